"""The gap between people and the model, over each suggestion's current decision.

Every figure comes from small tables that the database aggregates in one pass each:
- the cube: current decisions counted by team x person x suggested colour x chosen colour x blind x
  low-confidence x server-time bucket (with the client's timing sums), from which agreement, kappas,
  the confusion matrix, per-person direction, rubber-stamp evidence and blind-versus-shown agreement
  all follow;
- weekly counts by model version x suggested x chosen colour, for trends and drift alarms;
- first Red flags per churned account, for outcome lead times.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Integer, and_, case, cast, func, null
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.audit import stats
from api.audit.honesty import honesty
from api.audit.models import Agreement, AuditSettings, AuditSummary
from api.audit.outcomes import outcomes
from api.audit.people import Person, agreement, anchoring, anchoring_of, directions
from api.audit.signals import books, disagreements
from api.audit.stamps import BOUNDS
from api.audit.trends import days as days_of
from api.audit.trends import trends
from api.checks import service as checks
from api.decisions.models import Decision
from api.decisions.service import decision_filters, from_current
from api.suggestions.models import Suggestion
from api.users.models import User
from models.labels import LABELS


def _in_session(engine: Any, work: Any, *args: Any) -> Any:
    """Run a query function on a connection of its own (the audit's two scans run in parallel)."""
    with Session(engine) as session:
        return work(session, *args)


def _cube(session: Session, conditions: list[Any], settings: AuditSettings) -> list[Any]:
    """Current decisions counted by team, person, suggested and chosen colour, blind, low confidence and
    server-time bucket (stamps.BOUNDS; null when the server did not time the decision)."""
    low = case((col(Decision.confidence) < settings.low_confidence, 1), else_=0).label("low")
    fast = case((and_(col(Decision.viewed_ms).is_not(None), col(Decision.viewed_ms) < settings.fast_ms), 1),
                else_=0)
    timed = case((col(Decision.viewed_ms).is_not(None), 1), else_=0)
    blind = cast(col(Decision.blind), Integer).label("blind")
    viewed = func.sum(func.coalesce(col(Decision.viewed_ms), 0))
    ms = col(Decision.server_ms)
    bucket = case((ms.is_(None), null()), *[(ms < bound, index) for index, bound in enumerate(BOUNDS)],
                  else_=len(BOUNDS)).label("bucket")
    query = (from_current(sa_select(col(Decision.team), col(Decision.user_id), col(Decision.suggested_label),
                                    col(Decision.label), blind, low, bucket, func.count(), func.sum(fast),
                                    func.sum(timed), viewed))
             .where(*conditions)
             .group_by(col(Decision.team), col(Decision.user_id), col(Decision.suggested_label), col(Decision.label),
                       blind, low, bucket))
    return list(session.execute(query).all())


def _languages(session: Session, conditions: list[Any]) -> dict[str, Agreement]:
    """Agreement of current decisions by the language of the suggestion's text."""
    agreed = func.sum(case((col(Decision.suggested_label) == col(Decision.label), 1), else_=0))
    language = func.coalesce(col(Suggestion.language), "unknown")
    query = (from_current(sa_select(language, func.count(), agreed))
             .join(Suggestion, col(Suggestion.id) == col(Decision.suggestion_id))
             .where(*conditions).group_by(language))
    return {str(code): agreement(int(n), int(ok or 0)) for code, n, ok in session.execute(query).all()}


def summary(*, session: Session, team: str | None, since: datetime | None, until: datetime | None,
            model_version: str | None, scope: str | None, segment: str | None,
            settings: AuditSettings | None = None) -> AuditSummary:
    """The whole audit for the filtered current decisions."""
    settings = settings or AuditSettings()
    conditions = decision_filters(team=team, since=since, until=until, model_version=model_version, scope=scope,
                                  segment=segment)
    index = {label.value: i for i, label in enumerate(LABELS)}
    matrix = np.zeros((3, 3))
    people: dict[int, Person] = defaultdict(Person)
    blind_counts = {True: [0, 0], False: [0, 0]}
    teams: dict[str, Person] = defaultdict(Person)
    # The two scans over all current decisions run at once, on two connections (SQLite readers in WAL
    # mode and PostgreSQL both serve them in parallel).
    engine = session.get_bind()
    with ThreadPoolExecutor(max_workers=2) as pool:
        cube_rows = pool.submit(_in_session, engine, _cube, conditions, settings)
        day_rows = pool.submit(_in_session, engine, days_of, conditions)
        cube, days = cube_rows.result(), day_rows.result()
    for team_name, user_id, suggested, chosen, blind, low, bucket, count, fast, timed, viewed in cube:
        matrix[index[suggested], index[chosen]] += count
        if bucket is not None:
            people[user_id].habits.server[int(bucket)] += int(count)
        for who in (people[user_id], teams[team_name]):
            who.add(suggested, chosen, bool(low), int(fast or 0), int(count), int(timed or 0), float(viewed or 0),
                    blind=bool(blind))
        blind_counts[bool(blind)][0] += count
        blind_counts[bool(blind)][1] += count if suggested == chosen else 0
    for user_id, answers in checks.per_person(session, team, since, until).items():
        if user_id in people:
            person = people[user_id]
            person.check_n, person.check_right = answers["answered"], answers["right"]
            person.habits.decoys, person.habits.decoys_accepted = answers["decoys"], answers["decoys_accepted"]
    n = int(matrix.sum())
    cohen, weighted = stats.kappas(matrix)
    names = dict(session.execute(sa_select(col(User.id), col(User.name))
                                 .where(col(User.id).in_(list(people)))).all()) if people else {}

    overall = anchoring_of(blind_counts[False], blind_counts[True])
    weeks, alarms = trends(days, settings)
    team_books = books(session, team)
    return AuditSummary(
        n=n, agreement=round(float(np.trace(matrix)) / n, 4) if n else None, cohen_kappa=cohen,
        weighted_kappa=weighted,
        confusion={m.value: {h.value: int(matrix[i, j]) for j, h in enumerate(LABELS)} for i, m in enumerate(LABELS)},
        per_user=directions(people, names, settings),
        blind=overall.blind, shown=overall.shown, anchoring=overall,
        anchoring_by_team={name: anchoring(members) for name, members in sorted(teams.items())},
        trends=weeks, drift_alarms=alarms, outcomes=outcomes(session, team),
        per_language=_languages(session, conditions), signal_disagreements=disagreements(team_books),
        honesty=honesty(session, team_books),
        method=_method(settings),
        filters={"team": team, "since": since, "until": until, "model_version": model_version, "scope": scope,
                 "segment": segment},
    )


def _method(settings: AuditSettings) -> dict[str, Any]:
    """How each figure of the audit is computed, with the thresholds in force."""
    return {
        "direction": "rosier and harsher override rates against the median of peers' rates on the same "
                     "suggested colours, each a one-sided score test under 'behaves like peers'",
        "minimum_detectable_effect": f"the excess override rate a person's own decisions would show "
                                     f"{stats.POWER:.0%} of the time at the flag threshold",
        "rubber_stamp": "an acceptance kind (decoys accepted, low-confidence suggestions accepted) and a "
                        "timing kind (the server's clock against peers' lower quartile, or the client's "
                        "viewed_ms) both above peers' typical rate by a one-sided Wilson interval",
        "flag_intervals": f"{settings.family_confidence:.0%} family-wise, one-sided (Bonferroni over people "
                          "and directions)",
        "anchoring": "agreement when shown minus agreement when blind, Newcombe's hybrid Wilson interval "
                     "(coverage checked by simulation: python -m api.lab.offline.coverage)",
        "reported_intervals": "95% (mean shift, agreement, override rate, anchoring)",
        "min_decisions": settings.min_decisions,
        "low_confidence_below": settings.low_confidence, "fast_below_ms": settings.fast_ms,
    }
