"""Batch scoring of a CSV with a `text` column, written atomically with progress reported."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from models.classifier import Classifier, to_prediction
from models.labels import LABELS
from pipelines.cells import safe_cell, wide_cells
from pipelines.clean import clean_text

OUTPUT_COLUMNS = ["label", "p_red", "p_yellow", "p_green", "model_version"]
MAX_TEXT = 200_000
"""The most of a text that is scored (as an interaction stores at most): a longer one is cut."""


class ScoreInputError(ValueError):
    """The input file cannot be scored; the message names the file."""


def count_rows(path: Path) -> int:
    """Number of data rows, for a progress total."""
    with path.open(newline="", encoding="utf-8-sig") as handle, wide_cells():
        rows = 0
        reader = csv.reader(handle)
        while True:
            try:
                next(reader)
            except StopIteration:
                return max(rows - 1, 0)
            except csv.Error:
                pass  # counted: score_csv reports it
            rows += 1


def _batches(reader: csv.DictReader[str], size: int, unreadable: list[int]) -> Iterator[list[dict[str, str]]]:
    """Rows in batches; a row the csv module cannot read (a cell over WIDE_CELL characters) is noted by its line
    in `unreadable` and the rest are read."""
    batch: list[dict[str, str]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            unreadable.append(reader.line_num + 1)  # the line it stopped in, not yet counted
            continue
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_csv(classifier: Classifier, source: Path, target: Path, batch_size: int = 64,
              progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Add label, probabilities and model version to every row; rows with no text get empty fields.

    The output appears only when complete: it is written to a temporary file and renamed. Cells of up to
    WIDE_CELL characters are read, texts scored up to MAX_TEXT; a row the csv module cannot read is reported
    by its line (`unreadable_lines`) and left out, and the rest are scored.
    """
    if not source.is_file():
        raise ScoreInputError(f"{source}: no such file")
    scored = empty = 0
    unreadable: list[int] = []
    with source.open(newline="", encoding="utf-8-sig") as handle, wide_cells():
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
                for batch in _batches(reader, batch_size, unreadable):
                    texts = [clean_text((row.get("text") or "")[:MAX_TEXT]) for row in batch]
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
    return {"scored": scored, "empty": empty, "unreadable": len(unreadable),
            **({"unreadable_lines": unreadable[:20]} if unreadable else {})}
