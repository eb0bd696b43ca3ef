"""Weekly trends per model version, and a drift alarm when the override rate leaves its recent range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.config import Settings
from api.decisions.models import DecisionCreate
from api.review import decide as decisions
from api.users.models import Role, User
from models.labels import Label
from tests.conftest import UserFactory

OTHER = {"Red": Label.GREEN, "Yellow": Label.RED, "Green": Label.RED}


def test_weekly_trends_and_a_drift_alarm(client: TestClient, engine, settings: Settings, make_account,
                                         post_message, emea_csm, make_user: UserFactory) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    account = make_account()
    monday = datetime(2026, 9, 7, 9, tzinfo=UTC)
    overrides_per_week = [2, 1, 3, 2, 16]  # of 25: steady, then a jump in the last week
    with Session(engine) as session:
        user = session.get(User, emea_csm[0].id)
        assert user is not None
        for week, overrides in enumerate(overrides_per_week):
            for i in range(25):
                posted = post_message(account["id"], f"week {week} message {i}: renewal status update")
                suggestion = posted["suggestion"]
                at = monday + timedelta(weeks=week, hours=i)
                label = OTHER[suggestion["label"]] if i < overrides else Label(suggestion["label"])
                data = DecisionCreate(label=label, override_reason="missed_context" if i < overrides else None)
                decisions.decide(session=session, user=user, suggestion_id=suggestion["id"], data=data,
                                 idempotency_key=None, settings=settings, at=at)
    summary = client.get("/v1/audit/summary", headers=lead).json()
    trends = summary["trends"]
    assert [t["week"] for t in trends] == [(monday + timedelta(weeks=w)).date().isoformat() for w in range(5)]
    assert [t["n"] for t in trends] == [25] * 5
    assert [t["override_rate"] for t in trends] == [o / 25 for o in overrides_per_week]
    assert all(t["override_ci_low"] <= t["override_rate"] <= t["override_ci_high"] for t in trends)
    [alarm] = summary["drift_alarms"]
    assert alarm["week"] == trends[-1]["week"] and alarm["previous_max"] == 0.12 and alarm["previous_weeks"] == 4
    # A period filter narrows the trend to the weeks asked for.
    since = (monday + timedelta(weeks=1)).date().isoformat()
    until = (monday + timedelta(weeks=3) - timedelta(days=1)).date().isoformat()  # the Sunday, whole (inclusive)
    narrowed = client.get("/v1/audit/summary", headers=lead, params={"since": since, "until": until}).json()
    assert [t["n"] for t in narrowed["trends"]] == [25, 25] and narrowed["drift_alarms"] == []
