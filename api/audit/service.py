"""The gap between people and the model, over each suggestion's current decision.

Every figure comes from small tables that the database aggregates in one pass each:
- the cube: current decisions counted by person x suggested colour x chosen colour x blind x
  low-confidence x fast (with timing sums), from which agreement, kappas, the confusion matrix,
  per-person direction, rubber-stamp evidence and blind-versus-shown agreement all follow;
- weekly counts by model version x suggested x chosen colour, for trends and drift alarms;
- first Red flags per churned account, for outcome lead times.
"""

from __future__ import annotations

import math
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Integer, and_, case, cast, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.accounts.models import Account
from api.audit import stats
from api.config import Settings
from api.decisions.models import Decision, DecisionHead
from api.decisions.service import decision_filters
from api.interactions.models import Interaction
from api.outcomes.models import Outcome, OutcomeKind
from api.suggestions.models import Scope, Suggestion
from api.users.models import User
from models.labels import LABELS, Label

RANK = {label.value: label.rank for label in LABELS}
ROSIER, HARSHER = 3, 4  # positions of the override counts in a person's per-colour statistics


@dataclass(frozen=True)
class AuditSettings:
    """The thresholds the audit judges by; all documented in the README."""

    min_decisions: int = 20
    family_confidence: float = 0.99
    low_confidence: float = 0.6
    fast_ms: int = 2000
    min_evidence: int = 10
    min_week: int = 20
    drift_window: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditSettings:
        """The thresholds configured by PULSE_AUDIT_*."""
        return cls(min_decisions=settings.audit_min_decisions, low_confidence=settings.audit_low_confidence,
                   fast_ms=settings.audit_fast_ms, min_evidence=settings.audit_min_evidence,
                   min_week=settings.audit_min_week, drift_window=settings.audit_drift_window)


class Agreement(BaseModel):
    """Agreement on a subset of decisions, with a 95% Wilson interval."""

    n: int
    agreement: float | None
    ci_low: float | None = None
    ci_high: float | None = None


class Anchoring(BaseModel):
    """Agreement when the suggestion was shown minus when it was hidden: how much people lean on it."""

    shown: Agreement
    blind: Agreement
    effect: float | None
    ci_low: float | None
    ci_high: float | None


class UserDirection(BaseModel):
    """How one person's choices lean against the model, compared with peers on the same colours."""

    user_id: int
    name: str
    n: int
    accept_rate: float
    rosier_rate: float
    harsher_rate: float
    mean_shift: float
    ci_low: float | None
    ci_high: float | None
    peer_shift: float | None
    excess_shift: float | None
    excess_ci_low: float | None
    excess_ci_high: float | None
    rosier_excess: float | None
    rosier_z: float | None
    harsher_excess: float | None
    harsher_z: float | None
    flagged: bool
    lean: str | None
    low_confidence_n: int
    low_confidence_accept_rate: float | None
    timed_n: int
    fast_share: float | None
    mean_viewed_ms: float | None
    rubber_stamp: bool
    evidence: list[str]


class WeekTrend(BaseModel):
    """One week of one model version."""

    week: date
    model_version: str
    n: int
    agreement: float
    cohen_kappa: float | None
    override_rate: float
    override_ci_low: float | None
    override_ci_high: float | None


class DriftAlarm(BaseModel):
    """A week whose override rate rose beyond the range of the weeks before it."""

    model_version: str
    week: date
    override_rate: float
    override_ci_low: float
    previous_max: float
    previous_weeks: int


class OutcomeRace(BaseModel):
    """For one churned account: who flagged Red first, and how long before the churn."""

    account_id: int
    account: str
    churned_on: date
    model_first_red: datetime | None
    human_first_red: datetime | None
    first: str
    model_lead_days: int | None
    human_lead_days: int | None


class Outcomes(BaseModel):
    """Who flagged churned accounts Red first, the model's suggestions or the CSM's pulse."""

    churned: int
    model_first: int
    human_first: int
    same_day: int
    neither: int
    median_model_lead_days: float | None
    median_human_lead_days: float | None
    accounts: list[OutcomeRace]


class AuditSummary(BaseModel):
    """Answer of GET /v1/audit/summary."""

    n: int
    agreement: float | None
    cohen_kappa: float | None
    weighted_kappa: float | None
    confusion: dict[str, dict[str, int]]
    confusion_axes: str = "confusion[model_label][human_label]"
    per_user: list[UserDirection]
    blind: Agreement
    shown: Agreement
    anchoring: Anchoring
    trends: list[WeekTrend]
    drift_alarms: list[DriftAlarm]
    outcomes: Outcomes
    method: dict[str, Any]
    filters: dict[str, Any]


@dataclass
class _Person:
    """Sufficient statistics for one person, summed from the cube."""

    n: int = 0
    accepted: int = 0
    rosier: int = 0
    harsher: int = 0
    shift_sum: float = 0.0
    shift_squares: float = 0.0
    low_n: int = 0
    low_accepted: int = 0
    timed: int = 0
    fast: int = 0
    viewed_sum: float = 0.0
    # Per suggested colour: [decisions, shift sum, shift squares, rosier, harsher].
    strata: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0] * 5))

    def add(self, suggested: str, chosen: str, low: bool, fast: int, count: int, timed: int, viewed: float) -> None:
        steps = RANK[chosen] - RANK[suggested]
        self.n += count
        self.accepted += count if steps == 0 else 0
        self.rosier += count if steps > 0 else 0
        self.harsher += count if steps < 0 else 0
        self.shift_sum += steps * count
        self.shift_squares += steps * steps * count
        if low:
            self.low_n += count
            self.low_accepted += count if steps == 0 else 0
        self.timed += timed
        self.fast += fast
        self.viewed_sum += viewed
        stratum = self.strata[suggested]
        stratum[0] += count
        stratum[1] += steps * count
        stratum[2] += steps * steps * count
        stratum[3] += count if steps > 0 else 0
        stratum[4] += count if steps < 0 else 0


def _current(query: Any) -> Any:
    """Restrict a query to current decisions, reading decision_heads first and each decision by its key.

    The unary plus keeps SQLite from searching decision_heads by index for every decision (twice as
    slow over a million rows); PostgreSQL reads it the same way.
    """
    return query.select_from(DecisionHead).join(
        Decision, col(Decision.id) == literal_column(f"+{DecisionHead.__tablename__}.decision_id"))


def _in_session(engine: Any, work: Any, *args: Any) -> Any:
    """Run a query function on a connection of its own (the audit's two scans run in parallel)."""
    with Session(engine) as session:
        return work(session, *args)


def _cube(session: Session, conditions: list[Any], settings: AuditSettings) -> list[Any]:
    """Current decisions counted by person, suggested and chosen colour, blind and low confidence."""
    low = case((col(Decision.confidence) < settings.low_confidence, 1), else_=0).label("low")
    fast = case((and_(col(Decision.viewed_ms).is_not(None), col(Decision.viewed_ms) < settings.fast_ms), 1),
                else_=0)
    timed = case((col(Decision.viewed_ms).is_not(None), 1), else_=0)
    blind = cast(col(Decision.blind), Integer).label("blind")
    viewed = func.sum(func.coalesce(col(Decision.viewed_ms), 0))
    query = (_current(sa_select(col(Decision.user_id), col(Decision.suggested_label), col(Decision.label), blind, low,
                                func.count(), func.sum(fast), func.sum(timed), viewed))
             .where(*conditions)
             .group_by(col(Decision.user_id), col(Decision.suggested_label), col(Decision.label), blind, low))
    return list(session.execute(query).all())


def summary(*, session: Session, team: str | None, since: datetime | None, until: datetime | None,
            model_version: str | None, scope: str | None, segment: str | None,
            settings: AuditSettings | None = None) -> AuditSummary:
    """The whole audit for the filtered current decisions."""
    settings = settings or AuditSettings()
    conditions = decision_filters(team=team, since=since, until=until, model_version=model_version, scope=scope,
                                  segment=segment)
    index = {label.value: i for i, label in enumerate(LABELS)}
    matrix = np.zeros((3, 3))
    people: dict[int, _Person] = defaultdict(_Person)
    blind_counts = {True: [0, 0], False: [0, 0]}
    # The two scans over all current decisions run at once, on two connections (SQLite readers in WAL
    # mode and PostgreSQL both serve them in parallel).
    engine = session.get_bind()
    with ThreadPoolExecutor(max_workers=2) as pool:
        cube_rows = pool.submit(_in_session, engine, _cube, conditions, settings)
        day_rows = pool.submit(_in_session, engine, _days, conditions)
        cube, days = cube_rows.result(), day_rows.result()
    for user_id, suggested, chosen, blind, low, count, fast, timed, viewed in cube:
        matrix[index[suggested], index[chosen]] += count
        people[user_id].add(suggested, chosen, bool(low), int(fast or 0), int(count), int(timed or 0),
                            float(viewed or 0))
        blind_counts[bool(blind)][0] += count
        blind_counts[bool(blind)][1] += count if suggested == chosen else 0
    n = int(matrix.sum())
    cohen, weighted = stats.kappas(matrix)
    names = dict(session.execute(sa_select(col(User.id), col(User.name))
                                 .where(col(User.id).in_(list(people)))).all()) if people else {}

    shown, blind = (_agreement(*blind_counts[False]), _agreement(*blind_counts[True]))
    effect, effect_low, effect_high = stats.difference_interval(blind_counts[False][1], blind_counts[False][0],
                                                                blind_counts[True][1], blind_counts[True][0])
    trends, alarms = _trends(days, settings)
    return AuditSummary(
        n=n, agreement=round(float(np.trace(matrix)) / n, 4) if n else None, cohen_kappa=cohen,
        weighted_kappa=weighted,
        confusion={m.value: {h.value: int(matrix[i, j]) for j, h in enumerate(LABELS)} for i, m in enumerate(LABELS)},
        per_user=_directions(people, names, settings),
        blind=blind, shown=shown,
        anchoring=Anchoring(shown=shown, blind=blind, effect=effect, ci_low=effect_low, ci_high=effect_high),
        trends=trends, drift_alarms=alarms, outcomes=_outcomes(session, team),
        method={
            "direction": "rosier and harsher override rates against the median of peers' rates on the same "
                         "suggested colour, each a one-sided score test under 'behaves like peers'",
            "rubber_stamp": "low-confidence acceptance and fast decisions both above peers' medians, each by "
                            "a Wilson interval",
            "flag_intervals": f"{settings.family_confidence:.0%} family-wise (Bonferroni over people and "
                              "directions)",
            "reported_intervals": "95% (mean shift, agreement, override rate, anchoring)",
            "min_decisions": settings.min_decisions,
            "low_confidence_below": settings.low_confidence, "fast_below_ms": settings.fast_ms,
        },
        filters={"team": team, "since": since, "until": until, "model_version": model_version, "scope": scope,
                 "segment": segment},
    )


def _agreement(n: int, agreed: int) -> Agreement:
    low, high = stats.wilson(agreed, n)
    return Agreement(n=n, agreement=round(agreed / n, 4) if n else None, ci_low=low, ci_high=high)


def _directions(people: dict[int, _Person], names: dict[int, str], settings: AuditSettings) -> list[UserDirection]:
    """Per person: rates, mean shift, rubber-stamp evidence, then direction against non-rubber-stamping peers."""
    # Flags are accusations: a 99% family-wise level over every person and both directions (Bonferroni),
    # so an honest team of any size is flagged in error at most 1% of the time.
    z = stats.z_for(1 - (1 - settings.family_confidence) / max(2 * len(people), 1))
    stamps = {uid: _rubber_stamp(uid, people, z, settings) for uid in people}
    honest_peers = {uid for uid, (flag, _) in stamps.items() if not flag}
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
        rubber_stamp, evidence = stamps[uid]
        peers = honest_peers - {uid}
        peer_shift, excess, excess_low, excess_high = _excess(uid, people, peers, pooled, stats.z_for(0.95))
        rosier, rosier_z = _rate_excess(uid, people, peers, ROSIER)
        harsher, harsher_z = _rate_excess(uid, people, peers, HARSHER)
        leans = {name: score for name, score in (("rosier", rosier_z), ("harsher", harsher_z))
                 if score is not None and score > z}
        flagged = not rubber_stamp and person.n >= settings.min_decisions and bool(leans)
        lean = max(leans, key=lambda name: leans[name]) if flagged else None
        if lean is not None:
            rate = rosier if lean == "rosier" else harsher
            evidence = [*evidence, f"{lean} overrides {rate:+.0%} above peers on the same suggested colours "
                                   f"(z {leans[lean]:.1f}, threshold {z:.1f})"]
        out.append(UserDirection(
            user_id=uid, name=names.get(uid, str(uid)), n=person.n, accept_rate=round(person.accepted / person.n, 4),
            rosier_rate=round(person.rosier / person.n, 4), harsher_rate=round(person.harsher / person.n, 4),
            mean_shift=round(mean, 4), ci_low=ci_low, ci_high=ci_high, peer_shift=peer_shift, excess_shift=excess,
            excess_ci_low=excess_low, excess_ci_high=excess_high, rosier_excess=rosier, rosier_z=rosier_z,
            harsher_excess=harsher, harsher_z=harsher_z, flagged=flagged, lean=lean,
            low_confidence_n=person.low_n,
            low_confidence_accept_rate=round(person.low_accepted / person.low_n, 4) if person.low_n else None,
            timed_n=person.timed, fast_share=round(person.fast / person.timed, 4) if person.timed else None,
            mean_viewed_ms=round(person.viewed_sum / person.timed, 1) if person.timed else None,
            rubber_stamp=rubber_stamp, evidence=evidence,
        ))
    return out


def _rubber_stamp(uid: int, people: dict[int, _Person], z: float, settings: AuditSettings) -> tuple[bool, list[str]]:
    """True only when both acceptance of uncertain suggestions and speed exceed peers' beyond the interval."""
    person = people[uid]
    peers = [p for other, p in people.items() if other != uid]
    peer_accept = stats.robust_baseline([p.low_accepted / p.low_n for p in peers if p.low_n >= 5])
    peer_fast = stats.robust_baseline([p.fast / p.timed for p in peers if p.timed >= 5])
    evidence: list[str] = []
    accepts = fast = False
    if person.low_n >= settings.min_evidence and peer_accept is not None:
        low, _ = stats.wilson(person.low_accepted, person.low_n, z)
        if low is not None and low > peer_accept:
            accepts = True
            evidence.append(f"accepted {person.low_accepted / person.low_n:.0%} of {person.low_n} low-confidence "
                            f"suggestions against peers' {peer_accept:.0%}")
    if person.timed >= settings.min_evidence and peer_fast is not None:
        low, _ = stats.wilson(person.fast, person.timed, z)
        if low is not None and low > peer_fast:
            fast = True
            evidence.append(f"decided {person.fast / person.timed:.0%} of {person.timed} timed items in under "
                            f"{settings.fast_ms} ms against peers' {peer_fast:.0%}")
    return accepts and fast, evidence if accepts and fast else []


def _pooled_variances(people: dict[int, _Person]) -> dict[str, float]:
    """Variance of the shift per suggested colour over everyone, for strata too small to estimate alone."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for person in people.values():
        for stratum, (count, total, squares, _, _) in person.strata.items():
            totals[stratum][0] += count
            totals[stratum][1] += total
            totals[stratum][2] += squares
    return {s: max((q - t * t / c) / (c - 1), 0.0) if c > 1 else 0.0 for s, (c, t, q) in totals.items()}


def _excess(uid: int, people: dict[int, _Person], peers: set[int], pooled: dict[str, float],
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


def _rate_excess(uid: int, people: dict[int, _Person], peers: set[int],
                 which: int) -> tuple[float | None, float | None]:
    """(excess rate, z-score under "behaves like peers") for rosier (3) or harsher (4) overrides.

    Per suggested colour, the baseline is the median of peers' rates; the person's expected rate is
    their own mix of colours weighted by those baselines. The variance is the binomial variance at the
    baseline (the null hypothesis) plus the median's own uncertainty.
    """
    person = people[uid]
    impossible = "Green" if which == ROSIER else "Red"  # no override can be greener than Green
    compared = observed = expected = variance = 0.0
    for stratum, values in person.strata.items():
        count = values[0]
        if stratum == impossible:
            continue
        rates, rate_variances = [], []
        for other in peers:
            o = people[other].strata.get(stratum)
            if o is not None and o[0] >= 5:
                rate = o[which] / o[0]
                rates.append(rate)
                rate_variances.append(max(rate * (1 - rate), 0.25 / o[0]) / o[0])
        base = stats.robust_baseline(rates)
        if base is None or count == 0:
            continue
        compared += count
        observed += values[which]
        expected += count * base
        variance += count * max(base * (1 - base), 0.25 / count) + count * count * stats.median_variance(rate_variances)
    if compared == 0 or variance == 0:
        return None, None
    return round((observed - expected) / compared, 4), round((observed - expected) / math.sqrt(variance), 2)


def day_of(column: Any, dialect: str) -> Any:
    """The UTC calendar day of a timestamp, on SQLite (stored as UTC text) and PostgreSQL."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.substr(column, 1, 10)


def _days(session: Session, conditions: list[Any]) -> list[Any]:
    """Current decisions counted by day, model version, suggested and chosen colour."""
    day = day_of(col(Decision.created_at), session.get_bind().dialect.name).label("day")
    return list(session.execute(
        _current(sa_select(day, col(Decision.model_version), col(Decision.suggested_label), col(Decision.label),
                           func.count()))
        .where(*conditions)
        .group_by(day, col(Decision.model_version), col(Decision.suggested_label), col(Decision.label))).all())


def _trends(days: list[Any], settings: AuditSettings) -> tuple[list[WeekTrend], list[DriftAlarm]]:
    """Weekly (Monday, UTC) agreement, kappa and override rate per model version, and drift alarms."""
    index = {label.value: i for i, label in enumerate(LABELS)}
    cells: dict[tuple[date, str], np.ndarray] = defaultdict(lambda: np.zeros((3, 3)))
    for day_value, version, suggested, chosen, count in days:
        day = day_value if isinstance(day_value, date) else date.fromisoformat(str(day_value)[:10])
        monday = day - timedelta(days=day.weekday())
        cells[(monday, version)][index[suggested], index[chosen]] += count
    trends = []
    for (day, version), matrix in sorted(cells.items()):
        n = int(matrix.sum())
        agreed = int(np.trace(matrix))
        low, high = stats.wilson(n - agreed, n)
        trends.append(WeekTrend(week=day, model_version=version, n=n, agreement=round(agreed / n, 4),
                                cohen_kappa=stats.kappas(matrix)[0], override_rate=round(1 - agreed / n, 4),
                                override_ci_low=low, override_ci_high=high))
    alarms = []
    by_version: dict[str, list[WeekTrend]] = defaultdict(list)
    for trend in trends:
        if trend.n >= settings.min_week:
            by_version[trend.model_version].append(trend)
    for version, weeks in by_version.items():
        for i, current in enumerate(weeks):
            previous = weeks[max(0, i - settings.drift_window):i]
            if len(previous) < 2 or current.override_ci_low is None:
                continue
            ceiling = max(w.override_rate for w in previous)
            if current.override_ci_low > ceiling:
                alarms.append(DriftAlarm(model_version=version, week=current.week, override_rate=current.override_rate,
                                         override_ci_low=current.override_ci_low, previous_max=ceiling,
                                         previous_weeks=len(previous)))
    return trends, alarms


def _outcomes(session: Session, team: str | None) -> Outcomes:
    """For each churned account (of the team), the first Red from the model and from the CSM's pulse."""
    churn = (sa_select(col(Outcome.account_id), func.max(col(Outcome.occurred_on)).label("churned_on"))
             .join(Account, col(Account.id) == col(Outcome.account_id))
             .where(col(Outcome.kind) == OutcomeKind.CHURNED))
    if team is not None:
        churn = churn.where(col(Account.team) == team)
    churned: dict[int, date] = dict(session.execute(churn.group_by(col(Outcome.account_id))).all())
    if not churned:
        return Outcomes(churned=0, model_first=0, human_first=0, same_day=0, neither=0, median_model_lead_days=None,
                        median_human_lead_days=None, accounts=[])
    # The model could have flagged a message when it arrived, even if it was scored later in a backfill.
    flagged_at = func.coalesce(col(Interaction.occurred_at), col(Suggestion.created_at))
    model = dict(session.execute(
        sa_select(col(Suggestion.account_id), func.min(flagged_at))
        .outerjoin(Interaction, col(Interaction.id) == col(Suggestion.interaction_id))
        .where(col(Suggestion.label) == Label.RED, col(Suggestion.account_id).in_(list(churned)))
        .group_by(col(Suggestion.account_id))).all())
    human = dict(session.execute(
        sa_select(col(Decision.account_id), func.min(col(Decision.created_at)))
        .where(col(Decision.scope) == Scope.ACCOUNT, col(Decision.label) == Label.RED,
               col(Decision.account_id).in_(list(churned)))
        .group_by(col(Decision.account_id))).all())
    names = dict(session.execute(sa_select(col(Account.id), col(Account.name))
                                 .where(col(Account.id).in_(list(churned)))).all())
    races = []
    for account_id, churned_on in sorted(churned.items()):
        first_model = _before(model.get(account_id), churned_on)
        first_human = _before(human.get(account_id), churned_on)
        model_days = (churned_on - first_model.date()).days if first_model else None
        human_days = (churned_on - first_human.date()).days if first_human else None
        if model_days is None and human_days is None:
            first = "neither"
        elif human_days is None or (model_days is not None and model_days > human_days):
            first = "model"
        elif model_days is None or human_days > model_days:
            first = "human"
        else:
            first = "same_day"
        races.append(OutcomeRace(account_id=account_id, account=names.get(account_id, str(account_id)),
                                 churned_on=churned_on, model_first_red=first_model, human_first_red=first_human,
                                 first=first, model_lead_days=model_days, human_lead_days=human_days))
    model_leads = [r.model_lead_days for r in races if r.model_lead_days is not None]
    human_leads = [r.human_lead_days for r in races if r.human_lead_days is not None]
    return Outcomes(
        churned=len(races), model_first=sum(r.first == "model" for r in races),
        human_first=sum(r.first == "human" for r in races), same_day=sum(r.first == "same_day" for r in races),
        neither=sum(r.first == "neither" for r in races),
        median_model_lead_days=float(np.median(model_leads)) if model_leads else None,
        median_human_lead_days=float(np.median(human_leads)) if human_leads else None, accounts=races)


def _before(moment: datetime | None, day: date) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # aggregates on SQLite can come back naive; they are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment if moment.date() <= day else None
