"""How often the anchoring interval covers the true effect, by simulation.

    python -m api.lab.offline.coverage [--repeats 4000]

prints, for team and per-person sample sizes and agreement rates like Pulse's (10% of items blind), the
share of simulated audits whose 95% interval for "agreement when shown minus agreement when blind"
contains the true difference. A trustworthy interval covers about 95% of the time; the test suite checks
a smaller grid (tests/api/test_audit_statistics.py).
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass

from api.audit import stats

# (decisions shown, decisions blind): one person at 120 and 300 decisions, a team of eight at 120 each.
SIZES = ((108, 12), (90, 30), (270, 30), (864, 96))
RATES = ((0.70, 0.70), (0.94, 0.70), (0.85, 0.60), (0.55, 0.50), (0.97, 0.90))


@dataclass(frozen=True)
class Cell:
    """One setting and how often its interval covered the truth."""

    shown_n: int
    blind_n: int
    shown_p: float
    blind_p: float
    coverage: float
    mean_width: float


def cell(shown_n: int, blind_n: int, shown_p: float, blind_p: float, repeats: int, seed: int = 0) -> Cell:
    """Simulate `repeats` audits of one setting."""
    rng = random.Random(seed)
    truth = shown_p - blind_p
    covered = 0
    width = 0.0
    for _ in range(repeats):
        shown = sum(rng.random() < shown_p for _ in range(shown_n))
        blind = sum(rng.random() < blind_p for _ in range(blind_n))
        _, low, high = stats.difference_interval(shown, shown_n, blind, blind_n)
        assert low is not None and high is not None
        covered += low <= truth <= high
        width += high - low
    return Cell(shown_n, blind_n, shown_p, blind_p, round(covered / repeats, 4), round(width / repeats, 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=4000)
    args = parser.parse_args()
    print(f"{'shown':>6} {'blind':>6} {'p shown':>8} {'p blind':>8} {'coverage':>9} {'width':>6}")
    cells = [cell(s, b, ps, pb, args.repeats, seed=i) for i, ((s, b), (ps, pb))
             in enumerate((size, rate) for size in SIZES for rate in RATES)]
    for c in cells:
        print(f"{c.shown_n:>6} {c.blind_n:>6} {c.shown_p:>8.2f} {c.blind_p:>8.2f} {c.coverage:>9.1%} "
              f"{c.mean_width:>6.2f}")
    mean = sum(c.coverage for c in cells) / len(cells)
    print(f"lowest coverage {min(c.coverage for c in cells):.1%}, mean {mean:.1%}"
          f" over {len(cells)} settings x {args.repeats} simulated audits (nominal 95%)")


if __name__ == "__main__":
    main()
