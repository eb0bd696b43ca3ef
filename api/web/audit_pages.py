"""The lead's audit page: every count links to the decisions behind it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, select

from api.accounts.models import Account
from api.audit import service as audit
from api.audit.models import AuditSettings
from api.checks import service as checks
from api.db import end_of_day, utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import UnprocessableError
from api.policies import team_for_filter
from api.users.models import Role
from api.web import charts
from api.web.cards import first_words, suggestion_texts
from api.web.pages import Viewer, allow, render, with_query

router = APIRouter(include_in_schema=False)


@router.get("/app/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, viewer: Viewer, settings: SettingsDep,
               since_text: Annotated[str, Query(alias="since", max_length=40)] = "",
               until_text: Annotated[str, Query(alias="until", max_length=40)] = "",
               model_version: str | None = None,
               team_text: Annotated[str, Query(alias="team", max_length=100)] = "") -> HTMLResponse:
    """Agreement, confusion, direction, anchoring, trends and rubber-stamp flags; every count links to its rows.

    Either date may be left empty (the form sends both): an empty one is no bound. An admin may narrow it to one
    team, and then sees each person measured against the same peers as that team's lead does."""
    user = allow(viewer, (Role.LEAD, Role.ADMIN), "read the audit")
    team = team_for_filter(user, team_text.strip() or None)
    since, until = _date_field(since_text, "since"), _date_field(until_text, "until")
    model_version = model_version or None
    thresholds = AuditSettings.from_settings(settings)
    # Until is inclusive: From = Until = today is today's decisions.
    summary = audit.summary(session=session, team=team, since=_day(since),
                            until=end_of_day(until) if until else None, model_version=model_version, scope=None,
                            segment=None, settings=thresholds)
    base = {"since": since, "until": until, "model_version": model_version, "current": "true",
            "team": team_text.strip() or None}

    def rows(**filters: Any) -> str:
        merged = {**base, **filters}
        return with_query("/app/decisions", **{k: (v.isoformat() if isinstance(v, date) else v)
                                               for k, v in merged.items()})

    total = sum(sum(row.values()) for row in summary.confusion.values())
    listed = checks.listing(session=session, team=team, limit=50)
    texts = suggestion_texts(session, [c.suggestion_id for c in listed], limit=2000)
    trend = lambda weeks: charts.trend_chart([(t.week.isoformat(), t.model_version, t.override_rate,  # noqa: E731
                                                t.override_ci_low, t.override_ci_high) for t in weeks])
    return render(request, "audit.html", viewer, summary=summary, rows=rows, total=total, heat=charts.heat, trend=trend,
                  interval=charts.interval, since=since, until=until, model_version=model_version,
                  checks=listed, check_words={c.id: first_words(texts.get(c.suggestion_id)) for c in listed},
                  minimum=thresholds.min_evidence, team=team, teams=_teams(session) if user.role == Role.ADMIN else [],
                  check_share=settings.check_share, family=thresholds.family_confidence,
                  week_end=lambda week: (week + timedelta(days=6)).isoformat())  # its Sunday, inclusive


def _date_field(text: str, name: str) -> date | None:
    """A date from a form field: empty is None; anything else must be YYYY-MM-DD."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UnprocessableError(f"{name} must be a date like 2026-11-28, got {text!r}", field=name) from None


def _day(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=utcnow().tzinfo) if day else None


def _teams(session: Session) -> list[str]:
    """Every team with an account, for an admin's team filter."""
    return sorted(t for t in session.exec(select(Account.team).distinct()) if t)
