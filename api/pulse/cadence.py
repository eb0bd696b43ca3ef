"""How often an account's pulse must be refreshed, and whether it is overdue: one rule, in Python and in SQL.

The cadence follows renewal proximity and the account's segment: by default weekly when renewal is 0-60
days away (or already past), monthly at 60-120, quarterly otherwise (PULSE_CADENCE_*); PULSE_CADENCE gives
a segment its own thresholds and its own cadence beyond them (top-tier accounts monthly at least, pooled
ones quarterly whatever the renewal). An account is stale when it has no pulse yet, or when its
last pulse is older than its cadence. The account list asks `is_stale`; the review queue ranks in SQL with
`stale_sql`, the same rule over columns, so the two always agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, literal

from api.config import CadenceRule, Settings


def rule_for(segment: str | None, settings: Settings) -> CadenceRule:
    """The cadence rule of an account's segment (PULSE_CADENCE), or the default one."""
    if segment is not None and segment in settings.cadence:
        return settings.cadence[segment]
    return CadenceRule(weekly_within_days=settings.cadence_weekly_within_days,
                       monthly_within_days=settings.cadence_monthly_within_days)


def cadence(renewal_date: date | None, today: date, settings: Settings, segment: str | None = None) -> str:
    """weekly when renewal is within the segment's weekly days (or already past), monthly within its monthly
    days, its `beyond` cadence otherwise (quarterly by default, and when no renewal date is set)."""
    rule = rule_for(segment, settings)
    if renewal_date is None:
        return rule.beyond
    days = (renewal_date - today).days
    if days <= rule.weekly_within_days:
        return "weekly"
    if days <= rule.monthly_within_days:
        return "monthly"
    return rule.beyond


def pulse_due(last_pulse: date | None, created: date, name: str, settings: Settings) -> date:
    """When the next pulse is due: a cadence after the last one, or at once if there never was one."""
    if last_pulse is None:
        return created
    return last_pulse + timedelta(days=settings.cadence_days[name])


def is_stale(last_pulse: date | None, due: date, today: date) -> bool:
    """No pulse yet, or the next one was due before today."""
    return last_pulse is None or today > due


def cadence_sql(renewal_date: Any, segment: Any, today: date, settings: Settings) -> ColumnElement[str]:
    """`cadence` over a renewal-date and a segment column: the cadence's name, as SQL."""

    def by_rule(rule: CadenceRule) -> ColumnElement[str]:
        return case((renewal_date.is_(None), literal(rule.beyond)),
                    (renewal_date <= today + timedelta(days=rule.weekly_within_days), literal("weekly")),
                    (renewal_date <= today + timedelta(days=rule.monthly_within_days), literal("monthly")),
                    else_=literal(rule.beyond))

    default = by_rule(rule_for(None, settings))
    if not settings.cadence:
        return default
    return case(*((segment == name, by_rule(rule)) for name, rule in settings.cadence.items()), else_=default)


def stale_sql(renewal_date: Any, segment: Any, last_pulse: Any, today: date, settings: Settings,
              weight: float = 1.0) -> ColumnElement[float]:
    """`is_stale` over columns, as `weight` when stale and 0 when not (the queue ranks with weight 0.5).

    Stale when today is past last_pulse's date + the cadence's days, that is when the last pulse came
    before midnight (UTC) of today minus those days.
    """
    name = cadence_sql(renewal_date, segment, today, settings)

    def older_than(cadence_name: str) -> ColumnElement[float]:
        cut = datetime.combine(today - timedelta(days=settings.cadence_days[cadence_name]), time(), UTC)
        return case((last_pulse < cut, weight), else_=0.0)

    return case((last_pulse.is_(None), weight), (name == "weekly", older_than("weekly")),
                (name == "monthly", older_than("monthly")), else_=older_than("quarterly"))
