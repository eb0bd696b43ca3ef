"""Decisions: append-only, superseding, idempotent on the caller's key, checked against reasons."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from api.decisions.models import Decision
from api.suggestions.models import Suggestion
from api.users.models import Role
from tests.conftest import UserFactory

OTHER = {"Red": "Green", "Yellow": "Red", "Green": "Red"}


def decisions_in(session: Session) -> list[Decision]:
    session.expire_all()
    return list(session.exec(select(Decision).order_by(col(Decision.id))))


def test_accept_records_the_decision_beside_the_suggestion(client: TestClient, session: Session, make_account,
                                                           post_message, emea_csm) -> None:
    user, headers = emea_csm
    suggestion = post_message(make_account()["id"], "Thanks, the fix works perfectly!")["suggestion"]
    label = suggestion["label"]
    reason = {"Red": "budget_cuts", "Yellow": "slow_adoption", "Green": "positive_feedback"}[label]
    response = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                           json={"label": label, "sentiment_reason": reason, "note": "fine", "viewed_ms": 5400})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0, "created_at": "", "suggestion_id": suggestion["id"], "user_id": user.id, "label": label,
        "point": None, "tags": [], "lifecycle_stage": None,
        "accepted": True, "direction": "same", "shift": 0, "sentiment_reason": reason, "override_reason": None,
        "note": "fine", "blind": False, "viewed_ms": 5400, "server_ms": None,
        "revision": 1, "supersedes_id": None, "superseded": False, "withdrawn_at": None,
        "suggested_label": label, "confidence": suggestion["confidence"], "model_version": suggestion["model_version"],
        "scope": "interaction", "account_id": suggestion["account_id"], "interaction_id": suggestion["interaction_id"],
        "team": "emea", "segment": None}
    [row] = decisions_in(session)
    assert (row.label, row.accepted, row.user_id, row.viewed_ms) == (label, True, user.id, 5400)
    stored = session.get(Suggestion, suggestion["id"])
    assert stored is not None and stored.label == label  # the suggestion itself never changes


def test_override_needs_a_reason_and_a_new_decision_supersedes(client: TestClient, session: Session,
                                                                make_account, post_message, emea_csm) -> None:
    _, headers = emea_csm
    suggestion = post_message(make_account()["id"], "We are not sure about the renewal yet.")["suggestion"]
    other = OTHER[suggestion["label"]]
    url = f"/v1/suggestions/{suggestion['id']}/decisions"
    missing = client.post(url, headers=headers, json={"label": other})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "override_reason"
    assert f"required when the label ({other}) differs from the suggestion ({suggestion['label']})" in missing.text
    assert decisions_in(session) == []

    first = client.post(url, headers=headers, json={"label": other, "override_reason": "missed_context"})
    assert first.status_code == 201
    direction = "rosier" if other == "Green" or (other == "Yellow" and suggestion["label"] == "Red") else "harsher"
    assert first.json()["direction"] == direction and first.json()["accepted"] is False
    second = client.post(url, headers=headers, json={"label": suggestion["label"]})
    assert second.status_code == 201
    assert second.json()["revision"] == 2 and second.json()["supersedes_id"] == first.json()["id"]
    rows = decisions_in(session)
    assert [(d.revision, d.label) for d in rows] == [(1, other), (2, suggestion["label"])]  # nothing deleted
    listed = client.get(f"/v1/decisions?account_id={suggestion['account_id']}", headers=headers).json()
    assert [d["superseded"] for d in listed["data"]] == [True, False]
    assert client.get("/v1/decisions?current=true", headers=headers).json()["count"] == 1


def test_reasons_must_fit_the_colour(client: TestClient, session: Session, make_account, post_message,
                                     emea_csm) -> None:
    _, headers = emea_csm
    suggestion = post_message(make_account()["id"], "Budget is cut, we may cancel.")["suggestion"]
    url = f"/v1/suggestions/{suggestion['id']}/decisions"
    label = suggestion["label"]
    wrong_colour = {"Red": "expansion_interest", "Yellow": "champion_left", "Green": "champion_left"}[label]
    response = client.post(url, headers=headers, json={"label": label, "sentiment_reason": wrong_colour})
    assert response.status_code == 422 and f"is not a reason for {label}" in response.text
    response = client.post(url, headers=headers, json={"label": label, "override_reason": "missed_context"})
    assert response.status_code == 422 and "applies only when the label differs" in response.text
    response = client.post(url, headers=headers, json={"label": OTHER[label], "override_reason": "vibes"})
    assert response.status_code == 422 and "override_reason 'vibes' is not known" in response.text
    response = client.post(url, headers=headers, json={"label": "Purple"})
    assert response.status_code == 422
    assert response.json()["detail"] == "label must be one of 'Red', 'Yellow' or 'Green', got 'Purple'"
    for body in ({"label": label, "accepted": False}, {"label": label, "user_id": 1},
                 {"label": label, "viewed_ms": -1}):
        assert client.post(url, headers=headers, json=body).status_code == 422
    assert decisions_in(session) == []


def test_idempotency_key_gives_one_decision(client: TestClient, session: Session, make_account, post_message,
                                            emea_csm) -> None:
    _, headers = emea_csm
    suggestion = post_message(make_account()["id"], "Great onboarding, thank you!")["suggestion"]
    url = f"/v1/suggestions/{suggestion['id']}/decisions"
    keyed = headers | {"Idempotency-Key": "accept-1"}
    first = client.post(url, headers=keyed, json={"label": suggestion["label"]})
    again = client.post(url, headers=keyed, json={"label": suggestion["label"]})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(decisions_in(session)) == 1
    clash = client.post(url, headers=keyed, json={"label": OTHER[suggestion["label"]], "override_reason": "other"})
    assert clash.status_code == 409 and "already used for a different request" in clash.json()["detail"]
    assert len(decisions_in(session)) == 1


def test_decisions_are_team_scoped(client: TestClient, session: Session, make_account, post_message,
                                   make_user: UserFactory) -> None:
    suggestion = post_message(make_account()["id"], "Fine, thanks")["suggestion"]
    url = f"/v1/suggestions/{suggestion['id']}/decisions"
    _, other = make_user(Role.CSM, "americas")
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    _, lead = make_user(Role.LEAD, "emea")
    foreign = client.post(url, headers=other, json={"label": suggestion["label"]})
    missing = client.post("/v1/suggestions/987654/decisions", headers=other, json={"label": "Red"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == {"detail": f"suggestion {suggestion['id']} not found"}
    assert client.post(url, headers=scientist, json={"label": suggestion["label"]}).status_code == 403
    assert client.post(url, json={"label": suggestion["label"]}).status_code == 401
    assert decisions_in(session) == []
    assert client.post(url, headers=lead, json={"label": suggestion["label"]}).status_code == 201
    assert client.get("/v1/decisions", headers=other).json() == {"data": [], "count": 0}
    assert client.get("/v1/decisions", headers=scientist).json()["count"] == 1
    assert session.exec(select(func.count()).select_from(Decision)).one() == 1
