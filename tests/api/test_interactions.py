"""Interactions are cleaned, scored on write and idempotent on external_id."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.interactions.models import Interaction
from api.suggestions.models import Suggestion
from api.users.models import Role
from tests.conftest import UserFactory


def counts(session: Session) -> tuple[int, int]:
    return (session.exec(select(func.count()).select_from(Interaction)).one(),
            session.exec(select(func.count()).select_from(Suggestion)).one())


def test_posting_text_stores_the_cleaned_interaction_and_its_suggestion(client: TestClient, session: Session,
                                                                         make_account, emea_csm) -> None:
    account = make_account()
    response = client.post("/v1/interactions", headers=emea_csm[1], json={
        "account_id": account["id"], "kind": "email", "subject": "Export", "author": "ana@acme.example",
        "occurred_at": "2026-11-20T09:30:00+01:00", "external_id": "msg-1",
        "body": "The export failed again and we are furious.\n\n-- \nAna\nOn Mon, Bob wrote:\n> hi"})
    assert response.status_code == 201, response.text
    body = response.json()
    interaction, suggestion = body["interaction"], body["suggestion"]
    assert interaction["body"] == "The export failed again and we are furious."
    assert interaction["occurred_at"] == "2026-11-20T08:30:00Z"
    assert suggestion["interaction_id"] == interaction["id"] and suggestion["scope"] == "interaction"
    assert suggestion["status"] == "pending" and suggestion["model_version"].startswith("tfidf-logreg-")
    assert abs(sum(suggestion["probabilities"].values()) - 1) < 1e-4
    assert suggestion["label"] == max(suggestion["probabilities"], key=suggestion["probabilities"].get)
    stored = session.get(Suggestion, suggestion["id"])
    assert stored is not None and stored.label == suggestion["label"] and stored.account_id == account["id"]
    assert counts(session) == (1, 1)


def test_same_external_id_returns_the_stored_pair(client: TestClient, session: Session, make_account,
                                                  emea_csm) -> None:
    account = make_account()
    payload = {"account_id": account["id"], "kind": "ticket", "body": "Thanks, great support!", "external_id": "t-9"}
    first = client.post("/v1/interactions", headers=emea_csm[1], json=payload)
    again = client.post("/v1/interactions", headers=emea_csm[1], json=payload | {"body": "edited later"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert counts(session) == (1, 1)
    # The same external id on another account is a different message.
    other = make_account(name="Other")
    assert client.post("/v1/interactions", headers=emea_csm[1],
                       json=payload | {"account_id": other["id"]}).status_code == 201
    assert counts(session) == (2, 2)


def test_bad_interactions_are_refused_with_the_field_named(client: TestClient, session: Session, make_account,
                                                           emea_csm) -> None:
    account = make_account()
    base = {"account_id": account["id"], "kind": "email", "body": "hello"}
    cases = [
        (base | {"kind": "fax"}, 422, "kind must be one of 'email', 'ticket', 'call_note' or 'chat', got 'fax'"),
        (base | {"occurred_at": "2026-11-20T09:30:00"}, 422, "occurred_at must be a date-time with a timezone"),
        (base | {"occurred_at": "yesterday"}, 422, "occurred_at must be a date-time with a timezone"),
        (base | {"body": ""}, 422, "body: String should have at least 1 character"),
        (base | {"body": "> only a quote\n> nothing new"}, 422, "body holds no customer text"),
        (base | {"account_id": 424242}, 404, "account 424242 not found"),
        ({"kind": "email", "body": "x"}, 422, "account_id is required"),
        (base | {"suggestion": "Green"}, 422, "suggestion is not a field of this request"),
    ]
    for payload, status, message in cases:
        response = client.post("/v1/interactions", headers=emea_csm[1], json=payload)
        assert response.status_code == status, (payload, response.text)
        assert message in response.json()["detail"], response.json()
    assert counts(session) == (0, 0)


def test_other_team_and_wrong_role_cannot_post(client: TestClient, session: Session, make_account,
                                               make_user: UserFactory) -> None:
    account = make_account()
    _, other = make_user(Role.CSM, "americas")
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    payload = {"account_id": account["id"], "kind": "chat", "body": "hi there"}
    foreign = client.post("/v1/interactions", headers=other, json=payload)
    assert foreign.status_code == 404 and foreign.json() == {"detail": f"account {account['id']} not found"}
    refused = client.post("/v1/interactions", headers=scientist, json=payload)
    assert refused.status_code == 403 and "data_scientist cannot add interactions" in refused.json()["detail"]
    assert client.post("/v1/interactions", json=payload).status_code == 401
    assert counts(session) == (0, 0)


def test_pii_is_redacted_before_storage_when_configured(engine, settings, make_user: UserFactory,
                                                        session: Session) -> None:
    from api.main import create_app

    with TestClient(create_app(settings.model_copy(update={"redact_pii": True}))) as redacting:
        _, csm = make_user(Role.CSM, "emea")
        account = redacting.post("/v1/accounts", headers=csm, json={"name": "Acme"}).json()
        body = redacting.post("/v1/interactions", headers=csm, json={
            "account_id": account["id"], "kind": "email", "author": "ana@acme.example",
            "subject": "Call +1 415 555 0132", "body": "Please call me back on +1 (415) 555-0132, thanks."}).json()
    assert body["interaction"]["body"] == "Please call me back on [phone], thanks."
    assert body["interaction"]["author"] == "[email]" and body["interaction"]["subject"] == "Call [phone]"
    stored = session.exec(select(Interaction)).one()
    assert "555" not in stored.body and "ana@" not in (stored.author or "")
