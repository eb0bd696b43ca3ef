"""Evaluation of a model version on labelled data, in the shape `pulse eval` prints."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from models.classifier import Classifier
from models.labels import LABELS
from models.metrics import expected_calibration_error
from training.datasets import Dataset


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
