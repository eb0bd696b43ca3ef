"""What the decision form sends beyond the colour: the context of a pulse update, read into the API's shapes."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from api.users.models import Role, User


def human(message: str) -> str:
    """An API message for a page: field and reason names in words ("override_reason" → "Override reason")."""
    worded = re.sub(r"\b[a-z]+(?:_[a-z]+)+\b", lambda m: m.group(0).replace("_", " "), message)
    return worded[:1].upper() + worded[1:]


def pulse_context(tags: str, lifecycle_stage: str, todo_title: str, todo_owner: str, todo_due: str) -> dict[str, Any]:
    """Tags (comma-separated), the lifecycle stage and one to-do, as DecisionCreate takes them; empty is none."""
    context: dict[str, Any] = {}
    if tags.strip():
        context["tags"] = [t for t in (part.strip() for part in tags.split(",")) if t]
    if lifecycle_stage.strip():
        context["lifecycle_stage"] = lifecycle_stage.strip()
    if todo_title.strip():
        context["todos"] = [{"title": todo_title.strip(), "owner_id": todo_owner.strip() or None,
                             "due_on": todo_due.strip() or None}]
    return context


def team_people(session: Session, team: str | None) -> list[User]:
    """Who may own a to-do on this team's accounts: its active CSMs and leads (everyone's, for no team)."""
    query = select(User).where(col(User.disabled).is_(False)).where(col(User.role).in_([Role.CSM, Role.LEAD]))
    if team is not None:
        query = query.where(User.team == team)
    return list(session.exec(query.order_by(col(User.name))))
