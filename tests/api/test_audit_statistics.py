"""The audit's statistics on their own: the anchoring interval's coverage, the minimum detectable effect's
power, rubber-stamp evidence from server facts, and reproducible server draws."""

from __future__ import annotations

import random

import pytest

from api import draws
from api.audit import stats
from api.audit.stamps import BOUNDS, Habits, judge
from api.lab.offline.coverage import cell


@pytest.mark.parametrize(("shown_n", "blind_n", "shown_p", "blind_p"),
                         [(108, 12, 0.94, 0.70), (90, 30, 0.85, 0.60), (864, 96, 0.70, 0.70), (90, 30, 0.97, 0.90)])
def test_the_anchoring_interval_covers_the_true_difference_about_95_percent_of_the_time(
        shown_n: int, blind_n: int, shown_p: float, blind_p: float) -> None:
    result = cell(shown_n, blind_n, shown_p, blind_p, repeats=1500, seed=shown_n + blind_n)
    assert 0.925 <= result.coverage <= 0.99, result


def test_a_lean_at_the_minimum_detectable_effect_is_found_about_80_percent_of_the_time() -> None:
    rng = random.Random(5)
    n, base, z = 120, 0.1, stats.one_sided_z(0.05 / 24)
    sd = (base * (1 - base) / n) ** 0.5
    mde = stats.minimum_detectable(sd, z, base=base)
    found = 0
    for _ in range(3000):
        observed = sum(rng.random() < base + mde for _ in range(n))
        found += (observed - n * base) / (n * base * (1 - base)) ** 0.5 > z
    assert 0.74 <= found / 3000 <= 0.86  # the normal approximation, checked against binomial draws


def timed(fast: int, slow: int, fast_bucket: int = 2, slow_bucket: int = 9) -> list[int]:
    counts = [0] * (len(BOUNDS) + 1)
    counts[fast_bucket] += fast
    counts[slow_bucket] += slow
    return counts


def test_a_rubber_stamper_who_claims_nine_seconds_is_marked_from_decoys_and_the_servers_clock() -> None:
    peers = [Habits(low_n=30, low_accepted=15, timed=100, fast=0, server=timed(25, 75), decoys=6, decoys_accepted=0)
             for _ in range(6)]
    stamper = Habits(low_n=30, low_accepted=17, timed=100, fast=0, server=timed(100, 0), decoys=6, decoys_accepted=6)
    verdict = judge(stamper, peers, z=2.8, min_evidence=10, fast_ms=2000)
    assert verdict.flagged and verdict.rests_on == ["decoy_acceptance", "server_timing"]
    assert verdict.server_fast_share == 1.0
    honest = judge(peers[0], [*peers[1:], stamper], z=2.8, min_evidence=10, fast_ms=2000)
    assert not honest.flagged and honest.rests_on == []
    # Accepting decoys without being fast (anchored, not rubber-stamping) is not a flag on its own.
    anchored = Habits(low_n=30, low_accepted=27, timed=100, server=timed(25, 75), decoys=6, decoys_accepted=5)
    assert not judge(anchored, peers, z=2.8, min_evidence=10, fast_ms=2000).flagged
    # However fast the whole team works, speed is judged against peers: all ten times faster changes nothing.
    quick_peers = [Habits(low_n=30, low_accepted=15, timed=100, server=timed(25, 75, 0, 5), decoys=6)
                   for _ in range(6)]
    quick_stamper = Habits(low_n=30, low_accepted=17, timed=100, server=timed(100, 0, 0, 5), decoys=6,
                           decoys_accepted=6)
    assert judge(quick_stamper, quick_peers, z=2.8, min_evidence=10, fast_ms=2000).flagged


def test_seeded_draws_repeat_and_unseeded_draws_do_not_follow_a_seed() -> None:
    first = [draws.chance(0.5, 991) for _ in range(50)]
    draws._SEEDED.pop(991)  # a fresh process
    assert [draws.chance(0.5, 991) for _ in range(50)] == first
    assert 5 < sum(draws.chance(0.5) for _ in range(200)) < 195
    assert not draws.chance(0.0, 991)
