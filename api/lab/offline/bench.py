"""`pulse bench`: the serving path against the eager fp32 reference of the same model, in one run.

Each figure is measured in a fresh process per backend, so start-up time and peak memory belong
to that backend alone: the process loads the model, scores a first text (start-up to first
suggestion), then times batch-1 and batch-16 scoring on the same texts for both backends.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from api.config import get_settings
from models import registry

_OPENINGS = ["Hi team,", "Hello,", "Good morning,", "Hi Maya,", "Dear support,"]
_SENTENCES = [
    "We upgraded to the new release on Monday and most of the team has switched over.",
    "The nightly export failed twice this week and our finance close was delayed.",
    "Thanks for the quick turnaround on the SSO ticket, it is working for everyone now.",
    "Our leadership is reviewing all vendor contracts ahead of the renewal in March.",
    "Could you send the updated invoice with our new billing address?",
    "The dashboards are much faster since the last update and the managers like them.",
    "We still have three open tickets about permissions that nobody has answered.",
    "Adoption in the sales team is slower than we hoped and we need more training.",
    "The integration with our CRM keeps timing out during the sync window.",
    "We are considering expanding to the marketing team next quarter.",
    "Honestly the support experience has been frustrating over the past month.",
    "The new audit log is exactly what our compliance team asked for.",
    "Please let us know when the fix for the reporting bug will be deployed.",
    "We had a great workshop with your solutions engineer last Thursday.",
    "Our champion is leaving the company at the end of the month.",
]
_CLOSINGS = ["Thanks,\nAna", "Best regards,\nBen", "Cheers,\nChen", "Kind regards,\nDora"]


class BenchError(RuntimeError):
    """A measurement process failed; the message carries the end of its error output."""


def email_texts(count: int, words: int, seed: int) -> list[str]:
    """Deterministic email-like texts of about `words` words."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        body: list[str] = [rng.choice(_OPENINGS)]
        while sum(len(s.split()) for s in body) < words - 4:
            body.append(rng.choice(_SENTENCES))
        body.append(rng.choice(_CLOSINGS))
        texts.append("\n".join(body))
    return texts


SHORT, LONG = 200, 8


def bench_texts() -> list[str]:
    """The benchmark's texts: 200 emails of about 80 words, then 8 of about 400."""
    return email_texts(SHORT, 80, seed=1) + email_texts(LONG, 400, seed=2)


def measure(model_dir: str, backend: str, threads: int, started: float) -> dict[str, Any]:
    """Run inside a fresh process: start-up, batch-1 and batch-16 speed, peak memory, labels."""
    texts = bench_texts()
    classifier, _ = registry.load(Path(model_dir), backend=backend, threads=threads, options=get_settings().serving())
    classifier.predict_proba([texts[0]])
    startup = time.perf_counter() - started

    for text in texts[:10]:  # warm-up
        classifier.predict_proba([text])
    single: list[float] = []
    for text in texts:
        t0 = time.perf_counter()
        classifier.predict_proba([text])
        single.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    probs = [classifier.predict_proba(texts[i : i + 16]) for i in range(0, len(texts), 16)]
    batch16 = time.perf_counter() - t0
    labels = [int(row.argmax()) for block in probs for row in block]
    transformer = getattr(classifier, "english", classifier)  # the multilingual model's English route
    short = statistics.quantiles(single[:SHORT], n=100)
    long = statistics.quantiles(single[SHORT:], n=100)
    return {
        "backend": backend,
        "texts": len(texts),
        "startup_to_first_suggestion_s": round(startup, 3),
        "throughput_batch1_texts_per_s": round(len(texts) / sum(single), 1),
        "throughput_batch16_texts_per_s": round(len(texts) / batch16, 1),
        "latency_p50_ms": round(short[49] * 1000, 2),
        "latency_p99_ms": round(short[98] * 1000, 2),
        "latency_400_words_p50_ms": round(long[49] * 1000, 2),
        "latency_400_words_max_ms": round(max(single[SHORT:]) * 1000, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "labels": labels,
        "precision": [getattr(transformer, "precision", None), getattr(transformer, "precision_why", None)],
    } | cue_cost(classifier, texts)


def cue_cost(classifier: Any, texts: list[str]) -> dict[str, Any]:
    """What reading the cues costs, where the model has a cue head: batch-16 throughput of a suggestion with its
    cues (the probabilities, the cues combined and the colour head over them, and the cues named) against the
    tone model alone on the same texts, each from an empty sentence cache."""
    head = getattr(classifier, "cue_head", None)
    if head is None:
        return {}

    def timed(with_cues: bool) -> float:
        head.forget()
        t0 = time.perf_counter()
        for i in range(0, len(texts), 16):
            classifier.predict_proba(texts[i : i + 16])
            if with_cues:
                head.find(texts[i : i + 16])
        return time.perf_counter() - t0

    saved = classifier.cue_head, classifier.combiner, getattr(classifier, "colour", None)
    with_cues = timed(True)
    classifier.cue_head = classifier.combiner = classifier.colour = None
    try:
        alone = timed(False)
    finally:
        classifier.cue_head, classifier.combiner, classifier.colour = saved
    return {"with_cues_batch16_texts_per_s": round(len(texts) / with_cues, 1),
            "tone_model_alone_batch16_texts_per_s": round(len(texts) / alone, 1),
            "cues_cost_of_throughput": round(1 - alone / with_cues, 3)}


def run(model_dir: Path, threads: int = 2) -> dict[str, Any]:
    """Measure the serving path and the fp32 reference, each in its own process, and compare them
    (`pulse bench` adds `pulse score`'s figure from bench_score)."""
    # The serving graph is derived once per artifact (as `pulse serve` does before starting); start-up
    # is then measured as a server sees it, with the graph already built.
    options = get_settings().serving()  # PULSE_SERVING_PRECISION=int8 pulse bench measures int8
    prepare_s = registry.prepare_isolated(model_dir, options, env=environment(threads))
    serving, reference = (isolated("import time; started = time.perf_counter(); from api.lab.offline.bench import "
                                   f"measure; result = measure({str(model_dir)!r}, {backend!r}, {threads}, started)",
                                   threads, f"the {backend} measurement") for backend in ("serving", "reference"))
    agree = sum(a == b for a, b in zip(serving.pop("labels"), reference.pop("labels"), strict=True))
    from models.transformer import cpu_features

    precision, why = serving.pop("precision")  # what the serving process really ran
    reference.pop("precision")
    return {
        "model_dir": str(model_dir),
        "cpu": cpu_features(options.isa_cap),
        "serving_path": {"backend": "openvino", "inference_precision": precision, "why": why},
        "prepare_serving_graph_s": round(prepare_s, 2),
        "threads": threads,
        "texts": "200 emails of about 80 words and 8 of about 400, the same for both; latency p50/p99 over "
                 "the 80-word emails, one text at a time, the 400-word ones reported apart",
        "serving": serving,
        "reference_fp32_eager": reference,
        "speedup_batch1": round(
            serving["throughput_batch1_texts_per_s"] / reference["throughput_batch1_texts_per_s"], 2),
        "speedup_batch16": round(
            serving["throughput_batch16_texts_per_s"] / reference["throughput_batch16_texts_per_s"], 2),
        "label_agreement": round(agree / serving["texts"], 4),
    }


def isolated(code: str, threads: int, what: str) -> dict[str, Any]:
    """Run `code`, which sets `result`, in a fresh Python process; returns that result (JSON round-trip)."""
    output = subprocess.run([sys.executable, "-c", f"import json; {code}; print(json.dumps(result))"],
                            capture_output=True, text=True, env=environment(threads))
    if output.returncode != 0:
        raise BenchError(f"{what} failed: {output.stderr.strip()[-2000:]}")
    found: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return found


def environment(threads: int) -> dict[str, str]:
    """The environment each measuring process runs in: the thread count, offline, quiet tokenizers."""
    import os

    return os.environ | {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1",
                         "TOKENIZERS_PARALLELISM": "false"}
