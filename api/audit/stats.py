"""The statistics behind the audit, on small aggregated tables (never on raw rows)."""

from __future__ import annotations

import math
from statistics import NormalDist, median

import numpy as np
from numpy.typing import NDArray


def z_for(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level (0.95 gives 1.96)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion; exact enough at small n and never outside [0, 1]."""
    if n == 0:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def difference_interval(a: int, n_a: int, b: int, n_b: int, z: float = 1.959963984540054) -> tuple[
        float | None, float | None, float | None]:
    """Difference of two proportions a/n_a - b/n_b with Newcombe's hybrid Wilson interval."""
    if n_a == 0 or n_b == 0:
        return None, None, None
    p_a, p_b = a / n_a, b / n_b
    lo_a, hi_a = wilson(a, n_a, z)
    lo_b, hi_b = wilson(b, n_b, z)
    assert lo_a is not None and hi_a is not None and lo_b is not None and hi_b is not None
    d = p_a - p_b
    low = d - math.sqrt((p_a - lo_a) ** 2 + (hi_b - p_b) ** 2)
    high = d + math.sqrt((hi_a - p_a) ** 2 + (p_b - lo_b) ** 2)
    return round(d, 4), round(low, 4), round(high, 4)


def kappas(matrix: NDArray[np.float64]) -> tuple[float | None, float | None]:
    """Cohen's kappa and quadratic-weighted kappa of a square confusion matrix (None if undefined)."""
    n = matrix.sum()
    if n == 0:
        return None, None
    observed = matrix / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    pe = float(np.trace(expected))
    kappa = None if math.isclose(pe, 1.0) else (float(np.trace(observed)) - pe) / (1.0 - pe)
    k = matrix.shape[0]
    idx = np.arange(k)
    weights = (idx[:, None] - idx[None, :]) ** 2 / (k - 1) ** 2
    denominator = float((weights * expected).sum())
    weighted = None if math.isclose(denominator, 0.0) else 1.0 - float((weights * observed).sum()) / denominator
    return (None if kappa is None else round(kappa, 4)), (None if weighted is None else round(weighted, 4))


def robust_baseline(means: list[float]) -> float | None:
    """The peers' typical value: the median of their means, so one or two outliers cannot move it."""
    return median(means) if means else None


def median_variance(variances: list[float]) -> float:
    """Approximate variance of a median of independent estimates: (pi / 2) x the variance of their mean."""
    if not variances:
        return 0.0
    return (math.pi / 2) * sum(variances) / len(variances) ** 2


def one_sided_z(alpha: float) -> float:
    """The normal quantile a one-sided test at level `alpha` compares with (0.05 gives 1.64)."""
    return NormalDist().inv_cdf(1 - alpha)


POWER = 0.8
"""The chance of finding an effect at the minimum detectable effect."""


def minimum_detectable(sd_under_null: float, z_flag: float, power: float = POWER, base: float | None = None) -> float:
    """The smallest true excess a one-sided test with threshold `z_flag` finds with probability `power`,
    for an estimate whose standard deviation under "no excess" is `sd_under_null`.

    With `base`, the rate under "no excess", the spread under the excess itself is used for the power
    side (a binomial rate spreads more as it moves towards one half), found by fixed-point iteration.
    """
    z_power = NormalDist().inv_cdf(power)
    excess = (z_flag + z_power) * sd_under_null
    if base is None or not 0 < base < 1:
        return excess
    for _ in range(20):
        moved = min(base + excess, 0.999)
        sd_moved = sd_under_null * math.sqrt(moved * (1 - moved) / (base * (1 - base)))
        excess = z_flag * sd_under_null + z_power * sd_moved
    return excess

