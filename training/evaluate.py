"""Evaluation of a model version on labelled data, in the shape `pulse eval` prints."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from models.classifier import Classifier
from models.labels import LABELS
from training.datasets import Dataset

ECE_BINS = 15


def expected_calibration_error(probs: NDArray[np.float64], labels: NDArray[np.int64],
                               bins: int = ECE_BINS) -> float:
    """ECE over equal-width confidence bins: the weighted gap between confidence and accuracy."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin i holds confidences in (edges[i], edges[i+1]]; a confidence of exactly 0 joins bin 0.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total / len(labels))


def macro_f1(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> float:
    """Macro-F1 over the three colours (a colour absent from both scores 0), fast enough to bootstrap."""
    scores = []
    for c in range(3):
        tp = np.sum((predicted == c) & (truth == c))
        fp = np.sum((predicted == c) & (truth != c))
        fn = np.sum((predicted != c) & (truth == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def metrics(probs: NDArray[np.float64], labels: NDArray[np.int64], model_version: str) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class figures, confusion (rows true, columns predicted) and ECE."""
    predicted = probs.argmax(axis=1)
    classes = list(range(len(LABELS)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=classes, zero_division=0)
    matrix = confusion_matrix(labels, predicted, labels=classes)
    return {
        "n": int(len(labels)),
        "accuracy": round(float((predicted == labels).mean()), 4),
        "macro_f1": round(float(np.mean(f1)), 4),
        "per_class": {
            label.value: {"precision": round(float(precision[i]), 4), "recall": round(float(recall[i]), 4),
                          "f1": round(float(f1[i]), 4), "support": int(support[i])}
            for i, label in enumerate(LABELS)
        },
        "confusion": {
            "labels": [label.value for label in LABELS],
            "rows": "true label",
            "columns": "predicted label",
            "matrix": matrix.tolist(),
        },
        "ece": round(expected_calibration_error(probs, labels), 4),
        "model_version": model_version,
    }


def evaluate(classifier: Classifier, data: Dataset, batch_size: int = 256) -> dict[str, Any]:
    """Score every row of a labelled dataset and report its metrics."""
    probs = np.vstack([classifier.predict_proba(data.texts[i : i + batch_size])
                       for i in range(0, len(data), batch_size)])
    return metrics(probs, data.labels, classifier.version)
