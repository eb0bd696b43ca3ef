"""Batch scoring of a CSV with a `text` column, written atomically with progress reported."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from models.classifier import Classifier, to_prediction
from models.labels import LABELS
from pipelines.cells import safe_cell
from pipelines.clean import clean_text

OUTPUT_COLUMNS = ["label", "p_red", "p_yellow", "p_green", "model_version"]


class ScoreInputError(ValueError):
    """The input file cannot be scored; the message names the file."""


def count_rows(path: Path) -> int:
    """Number of data rows, for a progress total."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def _batches(reader: csv.DictReader[str], size: int) -> Iterator[list[dict[str, str]]]:
    batch: list[dict[str, str]] = []
    for row in reader:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_csv(classifier: Classifier, source: Path, target: Path, batch_size: int = 64,
              progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Add label, probabilities and model version to every row; rows with no text get empty fields.

    The output appears only when complete: it is written to a temporary file and renamed.
    """
    if not source.is_file():
        raise ScoreInputError(f"{source}: no such file")
    scored = empty = 0
    with source.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        if "text" not in columns:
            raise ScoreInputError(f"{source}: needs a 'text' column; found {', '.join(columns) or 'no header'}")
        fd, temporary = tempfile.mkstemp(prefix=".pulse-score-", suffix=".csv", dir=target.parent or Path("."))
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
                # As the label export: every cell quoted and none starting like a formula, input columns included.
                fieldnames = columns + [c for c in OUTPUT_COLUMNS if c not in columns]
                writer = csv.writer(out, quoting=csv.QUOTE_ALL)
                writer.writerow([safe_cell(c) for c in fieldnames])
                for batch in _batches(reader, batch_size):
                    texts = [clean_text(row.get("text") or "") for row in batch]
                    present = [i for i, t in enumerate(texts) if t]
                    results = dict(zip(present, classifier.predict_proba([texts[i] for i in present]), strict=True)
                                   ) if present else {}
                    for i, row in enumerate(batch):
                        if i in results:
                            p = to_prediction(classifier.version, results[i])
                            row.update({"label": p.label.value, "model_version": p.model_version,
                                        **{f"p_{label.value.lower()}": f"{p.probabilities[label]:.6f}"
                                           for label in LABELS}})
                            scored += 1
                        else:
                            row.update(dict.fromkeys(OUTPUT_COLUMNS, ""))
                            empty += 1
                        writer.writerow([safe_cell(row.get(c)) for c in fieldnames])
                    if progress:
                        progress(len(batch))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return {"scored": scored, "empty": empty}
