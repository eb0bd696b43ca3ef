"""Labelled CSV datasets: `text,label` and, where the annotators gave it, `label_confidence`."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.labels import LABELS, Label


class DatasetError(ValueError):
    """The file cannot be used as a labelled dataset; the message names the file and row."""


@dataclass(frozen=True)
class Dataset:
    """Texts with their label indices (Red 0, Yellow 1, Green 2) and per-row weights."""

    texts: list[str]
    labels: NDArray[np.int64]
    weights: NDArray[np.float64]
    source: str
    sha256: str

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int] | NDArray[np.int64]) -> Dataset:
        """Rows at the given positions, keeping the source and hash of the whole file."""
        idx = np.asarray(index, dtype=np.int64)
        return Dataset([self.texts[i] for i in idx], self.labels[idx], self.weights[idx],
                       self.source, self.sha256)


def read_csv(path: Path, require_labels: bool = True) -> Dataset:
    """Read a CSV with a `text` column and (if required) a `label` column of Red/Yellow/Green."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    raw = path.read_bytes()
    try:
        lines = raw.decode("utf-8-sig").splitlines(keepends=True)
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not UTF-8 text ({error})") from error
    reader = csv.DictReader(lines)
    columns = reader.fieldnames or []
    needed = ["text", "label"] if require_labels else ["text"]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}")
    texts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    for row_number, row in enumerate(reader, start=2):
        text = (row.get("text") or "").strip()
        if not text:
            raise DatasetError(f"{path}, row {row_number}: text is empty")
        texts.append(text)
        if require_labels:
            try:
                labels.append(Label.parse(row.get("label") or "").rank)
            except ValueError as error:
                raise DatasetError(f"{path}, row {row_number}: {error}") from error
        weights.append(_confidence(path, row_number, row.get("label_confidence")))
    if not texts:
        raise DatasetError(f"{path}: no rows")
    return Dataset(texts, np.asarray(labels, dtype=np.int64), np.asarray(weights, dtype=np.float64),
                   str(path), hashlib.sha256(raw).hexdigest())


def _confidence(path: Path, row_number: int, value: str | None) -> float:
    if value is None or value.strip() == "":
        return 1.0
    try:
        weight = float(value)
    except ValueError:
        raise DatasetError(f"{path}, row {row_number}: label_confidence must be a number, got {value!r}") from None
    if not 0.0 < weight <= 1.0:
        raise DatasetError(f"{path}, row {row_number}: label_confidence must be in (0, 1], got {value!r}")
    return weight


def label_names(indices: NDArray[np.int64]) -> list[str]:
    """Label strings for label indices."""
    return [LABELS[int(i)].value for i in indices]


def from_rows(rows: Sequence[tuple[str, str]], source: str, weights: Sequence[float] | None = None) -> Dataset:
    """A dataset from (text, label) pairs (and per-row weights in (0, 1]), hashed over its content."""
    digest = hashlib.sha256()
    weights = list(weights) if weights is not None else [1.0] * len(rows)
    for (text, label), weight in zip(rows, weights, strict=True):
        digest.update(f"{label}\t{weight}\t{text}\n".encode())
    labels = np.asarray([Label.parse(label).rank for _, label in rows], dtype=np.int64)
    return Dataset([t for t, _ in rows], labels, np.asarray(weights, dtype=np.float64), source, digest.hexdigest())


def concat(first: Dataset, second: Dataset) -> Dataset:
    """Rows of both datasets; the source and hash name both parts."""
    digest = hashlib.sha256(f"{first.sha256}+{second.sha256}".encode()).hexdigest()
    return Dataset(first.texts + second.texts, np.concatenate([first.labels, second.labels]),
                   np.concatenate([first.weights, second.weights]), f"{first.source} + {second.source}", digest)
