"""Blind review hides the model's answer until decided; outcomes judge who flagged Red first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.config import Settings
from api.decisions.models import Decision
from api.main import create_app
from api.suggestions.models import Suggestion
from api.users.models import Role
from tests.conftest import UserFactory


@pytest.fixture
def blind_client(engine, settings: Settings):
    with TestClient(create_app(settings.model_copy(update={"blind_share": 1.0}))) as test_client:
        yield test_client


def test_blind_items_hide_the_answer_until_decided(blind_client: TestClient, session: Session,
                                                    make_user: UserFactory) -> None:
    _, csm = make_user(Role.CSM, "emea")
    account = blind_client.post("/v1/accounts", headers=csm, json={"name": "Acme"}).json()
    posted = blind_client.post("/v1/interactions", headers=csm, json={
        "account_id": account["id"], "kind": "email", "body": "The export failed again and we are furious."}).json()
    hidden = posted["suggestion"]
    assert hidden["blind"] is True
    assert (hidden["label"], hidden["probabilities"], hidden["confidence"], hidden["explanation"]) == (None, None,
                                                                                                      None, [])
    queued = blind_client.get("/v1/suggestions", headers=csm).json()["data"][0]
    assert queued["label"] is None and queued["probabilities"] is None
    stored = session.get(Suggestion, hidden["id"])
    assert stored is not None and stored.label in ("Red", "Yellow", "Green")  # the model did answer

    # The person never saw the suggestion: no override reason is demanded, and the decision is blind
    # whatever the client claims.
    other = "Green" if stored.label != "Green" else "Red"
    decided = blind_client.post(f"/v1/suggestions/{hidden['id']}/decisions", headers=csm,
                                json={"label": other, "blind": False})
    assert decided.status_code == 201, decided.text
    assert decided.json()["blind"] is True and decided.json()["suggested_label"] == stored.label
    revealed = blind_client.get(f"/v1/suggestions/{hidden['id']}", headers=csm).json()
    assert revealed["label"] == stored.label and revealed["probabilities"] is not None
    row = session.exec(select(Decision)).one()
    assert row.blind is True


def test_anchoring_compares_blind_and_shown_agreement(client: TestClient, session: Session, make_account,
                                                      post_message, emea_csm, make_user: UserFactory) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    account = make_account()
    for i in range(6):
        suggestion = post_message(account["id"], f"Message {i}: thanks, all good")["suggestion"]
        blind = i < 2
        if blind:  # as if served blind
            row = session.get(Suggestion, suggestion["id"])
            assert row is not None
            row.blind = True
            session.add(row)
            session.commit()
        label = suggestion["label"] if not blind else ("Red" if suggestion["label"] != "Red" else "Green")
        assert client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=emea_csm[1],
                           json={"label": label}).status_code == 201
    anchoring = client.get("/v1/audit/summary", headers=lead).json()["anchoring"]
    assert anchoring["shown"]["n"] == 4 and anchoring["shown"]["agreement"] == 1.0
    assert anchoring["blind"]["n"] == 2 and anchoring["blind"]["agreement"] == 0.0
    assert anchoring["effect"] == 1.0 and anchoring["ci_low"] <= 1.0 <= anchoring["ci_high"]
    listed = client.get("/v1/decisions?blind=true", headers=lead).json()
    assert listed["count"] == 2


def test_outcomes_tell_who_flagged_red_first(client: TestClient, session: Session, make_account, post_message,
                                            emea_csm, make_user: UserFactory) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    _, other = make_user(Role.CSM, "americas")
    account = make_account(name="Churner")
    forty_days_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    notice = post_message(account["id"], "Please treat this as formal notice: we will not renew. Furious with "
                          "support.", occurred_at=forty_days_ago)
    assert notice["suggestion"]["label"] == "Red"
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1]).json()
    payload = {"label": "Red"} | ({"override_reason": "missed_context"} if rolled["label"] != "Red" else {})
    assert client.post(f"/v1/suggestions/{rolled['id']}/decisions", headers=emea_csm[1],
                       json=payload).status_code == 201
    churned_on = (date.today() + timedelta(days=10)).isoformat()
    recorded = client.post(f"/v1/accounts/{account['id']}/outcomes", headers=emea_csm[1],
                           json={"kind": "churned", "occurred_on": churned_on, "note": "moved to a competitor"})
    assert recorded.status_code == 201 and recorded.json()["kind"] == "churned"
    assert client.post(f"/v1/accounts/{account['id']}/outcomes", headers=other,
                       json={"kind": "churned", "occurred_on": churned_on}).status_code == 404
    bad = client.post(f"/v1/accounts/{account['id']}/outcomes", headers=emea_csm[1],
                      json={"kind": "vanished", "occurred_on": "2026-02-30"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"kind", "occurred_on"}
    assert client.get(f"/v1/accounts/{account['id']}/outcomes", headers=emea_csm[1]).json()["count"] == 1

    outcomes = client.get("/v1/audit/summary", headers=lead).json()["outcomes"]
    assert outcomes["churned"] == 1
    [race] = outcomes["accounts"]
    # The model read the notice as Red when it arrived, 40 days before the CSM's Red pulse today.
    assert race["first"] == "model" and race["model_lead_days"] == 50 and race["human_lead_days"] == 10
    assert outcomes["model_first"] == 1 and outcomes["median_model_lead_days"] == 50.0
