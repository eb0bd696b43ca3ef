"""Weekly trends by model version, and drift alarms when a week's override rate leaves its past."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.audit import stats
from api.audit.models import AuditSettings, DriftAlarm, WeekTrend
from api.decisions.models import Decision
from api.decisions.service import from_current
from models.labels import LABELS


def day_of(column: Any, dialect: str) -> Any:
    """The UTC calendar day of a timestamp, on SQLite (stored as UTC text) and PostgreSQL."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.substr(column, 1, 10)


def days(session: Session, conditions: list[Any]) -> list[Any]:
    """Current decisions counted by day, model version, suggested and chosen colour."""
    day = day_of(col(Decision.created_at), session.get_bind().dialect.name).label("day")
    return list(session.execute(
        from_current(sa_select(day, col(Decision.model_version), col(Decision.suggested_label), col(Decision.label),
                           func.count()))
        .where(*conditions)
        .group_by(day, col(Decision.model_version), col(Decision.suggested_label), col(Decision.label))).all())


def trends(days: list[Any], settings: AuditSettings) -> tuple[list[WeekTrend], list[DriftAlarm]]:
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
