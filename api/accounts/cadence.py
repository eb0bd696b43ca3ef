"""How often an account's pulse must be refreshed, and whether it is overdue."""

from __future__ import annotations

from datetime import date, timedelta

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
