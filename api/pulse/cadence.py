"""How often an account's pulse must be refreshed, and whether it is overdue: one rule, in Python and in SQL.

The cadence follows renewal proximity: weekly when renewal is 0-60 days away (or already past), monthly at
60-120, quarterly otherwise (PULSE_CADENCE_*). An account is stale when it has no pulse yet, or when its
last pulse is older than its cadence. The account list asks `is_stale`; the review queue ranks in SQL with
`stale_sql`, the same rule over columns, so the two always agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case

from api.config import Settings


def cadence(renewal_date: date | None, today: date, settings: Settings) -> str:
    """weekly when renewal is 0-60 days away (or already past), monthly at 60-120, quarterly otherwise."""
    if renewal_date is None:
        return "quarterly"
    days = (renewal_date - today).days
    if days <= settings.cadence_weekly_within_days:
        return "weekly"
    if days <= settings.cadence_monthly_within_days:
        return "monthly"
    return "quarterly"


def pulse_due(last_pulse: date | None, created: date, name: str, settings: Settings) -> date:
    """When the next pulse is due: a cadence after the last one, or at once if there never was one."""
    if last_pulse is None:
        return created
    return last_pulse + timedelta(days=settings.cadence_days[name])


def is_stale(last_pulse: date | None, due: date, today: date) -> bool:
    """No pulse yet, or the next one was due before today."""
    return last_pulse is None or today > due


def cadence_sql(renewal_date: Any, today: date, settings: Settings) -> tuple[ColumnElement[bool],
                                                                            ColumnElement[bool]]:
    """`cadence` over a renewal-date column: the conditions (weekly, monthly); neither means quarterly."""
    weekly = and_(renewal_date.is_not(None),
                  renewal_date <= today + timedelta(days=settings.cadence_weekly_within_days))
    monthly = and_(renewal_date.is_not(None),
                   renewal_date <= today + timedelta(days=settings.cadence_monthly_within_days))
    return weekly, monthly


def stale_sql(renewal_date: Any, last_pulse: Any, today: date, settings: Settings,
              weight: float = 1.0) -> ColumnElement[float]:
    """`is_stale` over columns, as `weight` when stale and 0 when not (the queue ranks with weight 0.5).

    Stale when today is past last_pulse's date + the cadence's days, that is when the last pulse came
    before midnight (UTC) of today minus those days.
    """
    weekly, monthly = cadence_sql(renewal_date, today, settings)

    def older_than(name: str) -> ColumnElement[float]:
        cut = datetime.combine(today - timedelta(days=settings.cadence_days[name]), time(), UTC)
        return case((last_pulse < cut, weight), else_=0.0)

    return case((last_pulse.is_(None), weight), (weekly, older_than("weekly")), (monthly, older_than("monthly")),
                else_=older_than("quarterly"))
