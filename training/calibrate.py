"""Temperature scaling: one scalar that makes the model's probabilities honest on held-out data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar

from models.classifier import softmax


def nll(logits: NDArray[np.float64], labels: NDArray[np.int64], temperature: float) -> float:
    """Mean negative log-likelihood of the labels under softmax(logits / temperature)."""
    probs = softmax(logits / temperature)
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0))))


def fit_temperature(logits: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """The temperature in [0.05, 20] that minimises held-out negative log-likelihood."""
    return fit_temperature_across([(logits, labels)])


def fit_temperature_across(sets: Sequence[tuple[NDArray[np.float64], NDArray[np.int64]]]) -> float:
    """The temperature in [0.05, 20] that minimises the mean of the sets' negative log-likelihoods (logits,
    labels), each set counting alike whatever its number of rows."""
    result = minimize_scalar(lambda log_t: float(np.mean([nll(z, y, float(np.exp(log_t))) for z, y in sets])),
                             bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))
