"""The multilingual model's head: softmax regression over sentence embeddings, fitted by L-BFGS.

Rows come in two kinds. A full row's label is one of the three colours. A Red-versus-Green row comes
from a set without neutral rows (XED's film subtitles): its label says only which of Red and Green
the text is, so it is fitted on the probability of its label among those two, p(label | not Yellow),
and teaches nothing about Yellow. That lets non-English Red/Green lines sharpen the Red–Green
direction without dragging every prediction away from Yellow, as plain three-colour rows would.
Full rows are class-balanced (each colour weighs the same in all); Red-versus-Green rows weigh
`red_green_weight` each, relative to the mean full row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

RED, YELLOW, GREEN = 0, 1, 2


@dataclass(frozen=True)
class Head:
    """Logits = features @ coef.T + intercept."""

    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]

    def logits(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(features @ self.coef.T + self.intercept, dtype=np.float64)


def row_weights(labels: NDArray[np.int64], red_green: NDArray[np.bool_], red_green_weight: float
                ) -> NDArray[np.float64]:
    """Balanced weights for full rows (n / (3 · count of the colour)), a fixed weight for the others."""
    weights = np.full(len(labels), float(red_green_weight))
    full = ~red_green
    for colour in (RED, YELLOW, GREEN):
        chosen = full & (labels == colour)
        if chosen.any():
            weights[chosen] = full.sum() / (3 * chosen.sum())
    return weights


def fit_head(features: NDArray[np.float64], labels: NDArray[np.int64], red_green: NDArray[np.bool_] | None = None,
             c: float = 1.0, red_green_weight: float = 1.0, sample_weight: NDArray[np.float64] | None = None,
             max_iter: int = 500) -> Head:
    """Minimise the weighted mean negative log-likelihood plus ||coef||² / (2·C·n) (scikit-learn's C).

    `sample_weight` (a row's label confidence, say) multiplies the balanced weights.
    """
    n, width = features.shape
    red_green = np.zeros(n, dtype=bool) if red_green is None else np.asarray(red_green, dtype=bool)
    if (labels[red_green] == YELLOW).any():
        raise ValueError("a Red-versus-Green row cannot be labelled Yellow")
    weights = row_weights(labels, red_green, red_green_weight)
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype=np.float64)
    onehot = np.eye(3)[labels]
    mask = np.ones((n, 3))
    mask[red_green, YELLOW] = 0.0  # Yellow is outside the choice a Red-versus-Green row makes

    def objective(params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        coef, intercept = params[: 3 * width].reshape(3, width), params[3 * width :]
        z = features @ coef.T + intercept
        z = np.where(mask > 0, z, -np.inf)
        z -= z.max(axis=1, keepdims=True)
        exp = np.exp(z)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -(weights * np.log(np.clip((probs * onehot).sum(axis=1), 1e-300, None))).sum() / n
        loss += (coef**2).sum() / (2 * c * n)
        grad_z = weights[:, None] * (probs - onehot) / n
        grad_coef = grad_z.T @ features + coef / (c * n)
        return float(loss), np.concatenate([grad_coef.ravel(), grad_z.sum(axis=0)])

    result = minimize(objective, np.zeros(3 * width + 3), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    params = result.x
    return Head(params[: 3 * width].reshape(3, width), params[3 * width :])
