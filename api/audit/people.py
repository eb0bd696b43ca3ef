"""Each person against their peers: direction of overrides (rosier, harsher), the smallest lean their number
of decisions could show, how much the shown suggestion anchors them, and rubber-stamp evidence (stamps)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from api.audit import stats
from api.audit.models import Agreement, Anchoring, AuditSettings, UserDirection
from api.audit.stamps import Habits, judge
from models.labels import Label, shift

ROSIER, HARSHER = 3, 4  # positions of the override counts in a person's per-colour statistics
TYPICAL_Z = 2.0  # within this many standard errors of everyone else, a person is part of the baseline


@dataclass
class Person:
    """Sufficient statistics for one person, summed from the cube."""

    n: int = 0
    accepted: int = 0
    rosier: int = 0
    harsher: int = 0
    shift_sum: float = 0.0
    shift_squares: float = 0.0
    viewed_sum: float = 0.0
    # [decisions, agreed with the model] when the suggestion was shown, and when blind.
    shown: list[int] = field(default_factory=lambda: [0, 0])
    blind: list[int] = field(default_factory=lambda: [0, 0])
    habits: Habits = field(default_factory=Habits)  # acceptance and timing, for rubber-stamp evidence
    check_n: int = 0
    check_right: int = 0
    # Per suggested colour: [decisions, shift sum, shift squares, rosier, harsher].
    strata: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0] * 5))

    def add(self, suggested: str, chosen: str, low: bool, fast: int, count: int, timed: int, viewed: float,
            blind: bool = False) -> None:
        steps = shift(Label(suggested), Label(chosen))
        side = self.blind if blind else self.shown
        side[0] += count
        side[1] += count if steps == 0 else 0
        self.n += count
        self.accepted += count if steps == 0 else 0
        self.rosier += count if steps > 0 else 0
        self.harsher += count if steps < 0 else 0
        self.shift_sum += steps * count
        self.shift_squares += steps * steps * count
        if low:
            self.habits.low_n += count
            self.habits.low_accepted += count if steps == 0 else 0
        self.habits.timed += timed
        self.habits.fast += fast
        self.viewed_sum += viewed
        stratum = self.strata[suggested]
        stratum[0] += count
        stratum[1] += steps * count
        stratum[2] += steps * steps * count
        stratum[3] += count if steps > 0 else 0
        stratum[4] += count if steps < 0 else 0


def directions(people: dict[int, Person], names: dict[int, str], settings: AuditSettings) -> list[UserDirection]:
    """Per person: rates, mean shift, rubber-stamp evidence, then direction against peers who neither
    rubber-stamp nor clearly lean."""
    # Flags are accusations: one-sided tests at a family-wise level over every person and both directions
    # (Bonferroni), so an honest team of any size is flagged in error at most 5% of the time.
    z = stats.one_sided_z((1 - settings.family_confidence) / max(2 * len(people), 1))
    stamps = {uid: judge(people[uid].habits, [p.habits for o, p in people.items() if o != uid], z,
                         settings.min_evidence, settings.fast_ms) for uid in people}
    baseline = _baseline(people, {uid for uid, stamp in stamps.items() if not stamp.flagged})
    pooled = _pooled_variances(people)
    out = []
    for uid in sorted(people):
        person = people[uid]
        mean = person.shift_sum / person.n
        ci_low = ci_high = None
        if person.n >= 2:
            variance = max((person.shift_squares - person.n * mean * mean) / (person.n - 1), 0.0)
            half = stats.z_for(0.95) * math.sqrt(variance / person.n)
            ci_low, ci_high = round(mean - half, 4), round(mean + half, 4)
        stamp = stamps[uid]
        evidence = list(stamp.evidence)
        peers = baseline - {uid}
        peer_shift, excess, excess_low, excess_high = _excess(uid, people, peers, pooled, stats.z_for(0.95))
        rosier, rosier_z, rosier_sd, rosier_base = _rate_excess(uid, people, peers, ROSIER)
        harsher, harsher_z, harsher_sd, harsher_base = _rate_excess(uid, people, peers, HARSHER)
        leans = {name: score for name, score in (("rosier", rosier_z), ("harsher", harsher_z))
                 if score is not None and score > z}
        flagged = not stamp.flagged and person.n >= settings.min_decisions and bool(leans)
        lean = max(leans, key=lambda name: leans[name]) if flagged else None
        if lean is not None:
            rate = rosier if lean == "rosier" else harsher
            evidence = [*evidence, f"{lean} overrides {rate:+.0%} above peers on the same suggested colours "
                                   f"(z {leans[lean]:.1f}, threshold {z:.1f})"]
        habits = person.habits
        out.append(UserDirection(
            user_id=uid, name=names.get(uid, str(uid)), n=person.n, accept_rate=round(person.accepted / person.n, 4),
            rosier_rate=round(person.rosier / person.n, 4), harsher_rate=round(person.harsher / person.n, 4),
            mean_shift=round(mean, 4), ci_low=ci_low, ci_high=ci_high, peer_shift=peer_shift, excess_shift=excess,
            excess_ci_low=excess_low, excess_ci_high=excess_high, rosier_excess=rosier, rosier_z=rosier_z,
            harsher_excess=harsher, harsher_z=harsher_z, flagged=flagged, lean=lean,
            rosier_mde=_mde(rosier_sd, z, rosier_base), harsher_mde=_mde(harsher_sd, z, harsher_base),
            anchoring=anchoring(person),
            low_confidence_n=habits.low_n,
            low_confidence_accept_rate=round(habits.low_accepted / habits.low_n, 4) if habits.low_n else None,
            timed_n=habits.timed, fast_share=round(habits.fast / habits.timed, 4) if habits.timed else None,
            mean_viewed_ms=round(person.viewed_sum / habits.timed, 1) if habits.timed else None,
            server_timed_n=habits.server_n, server_median_ms=habits.server_median_ms(),
            server_fast_share=stamp.server_fast_share, check_n=person.check_n,
            check_accuracy=round(person.check_right / person.check_n, 4) if person.check_n else None,
            decoy_n=habits.decoys,
            decoy_acceptance=round(habits.decoys_accepted / habits.decoys, 4) if habits.decoys else None,
            rubber_stamp=stamp.flagged, rests_on=stamp.rests_on, evidence=evidence,
        ))
    return out


def _baseline(people: dict[int, Person], honest_peers: set[int]) -> set[int]:
    """Whom each person is measured against, in a second pass: only the typical people, those whose rosier and
    harsher rates are within two standard errors of everyone else's, and who are not clearly anchored on the
    model (agreeing more when shown than when blind beyond the 95% interval, so overriding less than they
    would). A team with several leaning or anchored people still measures each person against the rest, and an
    honest person is not made to look leaning by colleagues who are not."""
    atypical = {uid for uid in honest_peers
                if any(score is not None and abs(score) > TYPICAL_Z
                       for score in _scores(uid, people, honest_peers - {uid}))}
    anchored = {uid for uid in honest_peers if (anchoring(people[uid]).ci_low or 0.0) > 0}
    typical = honest_peers - atypical - anchored
    return typical if len(typical) >= 3 else honest_peers


def _scores(uid: int, people: dict[int, Person], peers: set[int]) -> tuple[float | None, float | None]:
    """A person's rosier and harsher z-scores against these peers."""
    return _rate_excess(uid, people, peers, ROSIER)[1], _rate_excess(uid, people, peers, HARSHER)[1]


def anchoring(person: Person) -> Anchoring:
    """Agreement with the model when shown minus when blind, for one person or a team."""
    return anchoring_of(person.shown, person.blind)


def anchoring_of(shown: list[int], blind: list[int]) -> Anchoring:
    """Anchoring from [decisions, agreed] counts when shown and when blind, with Newcombe's interval (its
    coverage is checked by simulation in `api.lab.offline.coverage`)."""
    effect, low, high = stats.difference_interval(shown[1], shown[0], blind[1], blind[0])
    return Anchoring(shown=agreement(*shown), blind=agreement(*blind), effect=effect, ci_low=low, ci_high=high)


def agreement(n: int, agreed: int) -> Agreement:
    """Agreement on a subset of decisions, with its 95% Wilson interval."""
    low, high = stats.wilson(agreed, n)
    return Agreement(n=n, agreement=round(agreed / n, 4) if n else None, ci_low=low, ci_high=high)


def _mde(sd: float | None, z: float, base: float | None) -> float | None:
    return None if sd is None else round(stats.minimum_detectable(sd, z, base=base), 4)


def _pooled_variances(people: dict[int, Person]) -> dict[str, float]:
    """Variance of the shift per suggested colour over everyone, for strata too small to estimate alone."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for person in people.values():
        for stratum, (count, total, squares, _, _) in person.strata.items():
            totals[stratum][0] += count
            totals[stratum][1] += total
            totals[stratum][2] += squares
    return {s: max((q - t * t / c) / (c - 1), 0.0) if c > 1 else 0.0 for s, (c, t, q) in totals.items()}


def _excess(uid: int, people: dict[int, Person], peers: set[int], pooled: dict[str, float],
            z: float) -> tuple[float | None, float | None, float | None, float | None]:
    """(peer shift, excess shift, interval) for a person, over the colours where peers give a baseline."""
    person = people[uid]
    compared = expected = excess = variance = 0.0
    for stratum, (count, total, squares, _, _) in person.strata.items():
        peer_means, peer_variances = [], []
        for other in peers:
            o_count, o_total, o_squares, _, _ = people[other].strata.get(stratum, (0.0,) * 5)
            if o_count >= 5:
                o_mean = o_total / o_count
                peer_means.append(o_mean)
                o_var = max((o_squares - o_count * o_mean * o_mean) / (o_count - 1), 0.0)
                peer_variances.append(o_var / o_count)
        base = stats.robust_baseline(peer_means)
        if base is None or count == 0:
            continue
        mean = total / count
        own_var = max((squares - count * mean * mean) / (count - 1), 0.0) if count > 1 else pooled.get(stratum, 0.0)
        compared += count
        expected += count * base
        excess += count * (mean - base)
        variance += count * count * (own_var / count + stats.median_variance(peer_variances))
    if compared == 0:
        return None, None, None, None
    excess /= compared
    half = z * math.sqrt(variance) / compared
    return round(expected / compared, 4), round(excess, 4), round(excess - half, 4), round(excess + half, 4)


def _rate_excess(uid: int, people: dict[int, Person], peers: set[int],
                 which: int) -> tuple[float | None, float | None, float | None, float | None]:
    """(excess rate, z-score under "behaves like peers", its standard deviation under that hypothesis, the
    expected rate under it) for rosier (3) or harsher (4) overrides.

    Per suggested colour, the baseline is the peers' pooled rate (their overrides over their decisions on
    that colour); the person's expected rate is their own mix of colours weighted by those baselines. The
    variance is the binomial variance at the baseline (the null hypothesis) plus the baseline's own.
    Pooled, not the median of peers' rates: with a dozen decisions a colour, the median of skewed small
    counts sits below their mean and made honest people look leaning (4 of 50 flagged in simulation);
    outliers are kept out of the peers instead (see `directions`).
    """
    person = people[uid]
    impossible = "Green" if which == ROSIER else "Red"  # no override can be greener than Green
    compared = observed = expected = variance = 0.0
    for stratum, values in person.strata.items():
        count = values[0]
        if stratum == impossible or count == 0:
            continue
        contributing = [people[other].strata[stratum] for other in peers if stratum in people[other].strata]
        total = sum(o[0] for o in contributing)
        if len([o for o in contributing if o[0] > 0]) < 2 or total < 10:
            continue
        base = sum(o[which] for o in contributing) / total
        spread = max(base * (1 - base), 0.25 / total)
        compared += count
        observed += values[which]
        expected += count * base
        variance += count * max(base * (1 - base), 0.25 / count) + count * count * spread / total
    if compared == 0 or variance == 0:
        return None, None, None, None
    return (round((observed - expected) / compared, 4), round((observed - expected) / math.sqrt(variance), 2),
            math.sqrt(variance) / compared, expected / compared)
