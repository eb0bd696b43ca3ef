"""`pulse bench`'s batch-scoring figure: `pulse score` end to end against a plain eager fp32 loop.

The serving side is what `pulse score` runs: read a CSV, clean each text, score in batches of 64 on the
serving path, write the CSV. The reference is the same model in eager fp32 (transformers), called in
batches of 16 over the same texts, cleaned before its clock starts so the labels compare like with like,
with nothing else around it. Each runs in a fresh process.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path
from typing import Any

from api.config import get_settings
from api.lab.offline.bench import email_texts, isolated
from models import registry
from models.labels import LABELS


def measure(model_dir: str, backend: str, threads: int, count: int) -> dict[str, Any]:
    """Run inside a fresh process: score `count` e-mail-like texts and time it."""
    texts = email_texts(count, 80, seed=3)
    classifier, _ = registry.load(Path(model_dir), backend=backend, threads=threads, options=get_settings().serving())
    classifier.predict_proba(texts[:2])  # loaded and warm before the clock starts, on both sides
    if backend == "serving":
        from pipelines.score import score_csv

        with tempfile.TemporaryDirectory() as folder:
            source, target = Path(folder) / "in.csv", Path(folder) / "out.csv"
            with source.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "text"])
                writer.writerows(enumerate(texts))
            started = time.perf_counter()
            counts = score_csv(classifier, source, target, batch_size=64)
            elapsed = time.perf_counter() - started
            with target.open(newline="") as handle:
                labels = [row["label"] for row in csv.DictReader(handle)]
        scored = counts["scored"]
    else:
        from pipelines.clean import clean_text

        texts = [clean_text(t) for t in texts]  # what pulse score feeds the model; cleaned before the clock
        started = time.perf_counter()
        probabilities = [row for i in range(0, count, 16) for row in classifier.predict_proba(texts[i : i + 16])]
        elapsed = time.perf_counter() - started
        labels = [LABELS[int(row.argmax())].value for row in probabilities]
        scored = len(probabilities)
    return {"backend": backend, "texts": scored, "seconds": round(elapsed, 2),
            "texts_per_s": round(scored / elapsed, 1), "labels": labels}


def run(model_dir: Path, threads: int, count: int) -> dict[str, Any]:
    """`pulse score` on the serving path against the eager fp32 loop, in one run."""
    serving, reference = (isolated("from api.lab.offline.bench_score import measure; "
                                   f"result = measure({str(model_dir)!r}, {backend!r}, {threads}, {count})",
                                   threads, f"the {backend} scoring measurement")
                          for backend in ("serving", "reference"))
    same = sum(a == b for a, b in zip(serving.pop("labels"), reference.pop("labels"), strict=True))
    return {"texts": f"{count} e-mails of about 80 words", "pulse_score": serving,
            "reference_fp32_eager_loop": reference,
            "speedup": round(serving["texts_per_s"] / reference["texts_per_s"], 2),
            "label_agreement": round(same / max(serving["texts"], 1), 4)}
