"""Quality figures of a classifier that both training and the running service need.

They live here, beside the labels, so that the service can compare versions and audit shadows without
importing `training/`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from models.labels import LABELS

ECE_BINS = 15
BOOTSTRAP = 1000


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
    for c in range(len(LABELS)):
        tp = np.sum((predicted == c) & (truth == c))
        fp = np.sum((predicted == c) & (truth != c))
        fn = np.sum((predicted != c) & (truth == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def bootstrap_samples(n: int, *, seed: int = 0, resamples: int = BOOTSTRAP) -> NDArray[np.int64]:
    """Row indices of `resamples` resamples of n rows with replacement; paired when every figure uses them."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap(statistic: Callable[[NDArray[np.int64]], float], samples: NDArray[np.int64]) -> NDArray[np.float64]:
    """The statistic over each resample (a function of the resample's row indices)."""
    return np.array([statistic(rows) for rows in samples], dtype=np.float64)


def interval95(values: NDArray[np.float64]) -> list[float]:
    """The 95% percentile interval of bootstrapped values, rounded for reports."""
    return [round(float(q), 4) for q in np.percentile(values, [2.5, 97.5])]
