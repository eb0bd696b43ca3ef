"""Accounts: creation within a team, scoped reads, pulse, cadence and staleness, timeline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, func, select

from api.accounts.models import Account
from api.config import CadenceRule, Settings
from api.users.models import Role
from tests.conftest import UserFactory


def count_accounts(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Account)).one()


def test_csm_creates_an_account_in_their_team(client: TestClient, session: Session, emea_csm) -> None:
    user, headers = emea_csm
    response = client.post("/v1/accounts", headers=headers, json={
        "name": "Harbor Health", "segment": "enterprise", "owner_id": user.id, "renewal_date": "2027-03-01",
        "arr": 310000, "lifecycle_stage": "expansion"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0, "created_at": "", "name": "Harbor Health", "segment": "enterprise", "owner_id": user.id,
        "renewal_date": "2027-03-01", "lifecycle_stage": "expansion", "arr": 310000.0, "external_id": None,
        "team": "emea", "email_domains": [], "pulse": None, "cadence": body["cadence"], "pulse_due": body["pulse_due"],
        "stale": True, "latest_suggestion": None, "signals": [], "risk_signals": 0, "outcome": None, "churned": False}
    row = session.get(Account, body["id"])
    assert row is not None and row.team == "emea" and row.renewal_date == date(2027, 3, 1)


def test_bad_account_input_names_the_field(client: TestClient, session: Session, emea_csm) -> None:
    _, headers = emea_csm
    cases = [
        ({"name": "A", "renewal_date": "2025-13-01"}, "renewal_date must be a date (YYYY-MM-DD), got '2025-13-01'"),
        ({"renewal_date": "2026-01-01"}, "name is required"),
        ({"name": "A", "arr": -5}, "arr: Input should be greater than or equal to 0"),
        ({"name": "A", "team_id": 3}, "team_id is not a field of this request"),
        ({"name": ""}, "name: String should have at least 1 character"),
        ({"name": "A", "owner_id": 999}, "owner_id 999 is not a user of team emea"),
    ]
    for body, message in cases:
        response = client.post("/v1/accounts", headers=headers, json=body)
        assert response.status_code == 422, body
        assert message in response.json()["detail"], response.json()
    response = client.post("/v1/accounts", headers=headers | {"content-type": "application/json"},
                           content=b"{not json")
    assert response.status_code == 422 and "the body is not valid JSON" in response.json()["detail"]
    response = client.post("/v1/accounts", headers=headers, content=b"name=A")
    assert response.status_code == 422 and "must be a JSON object" in response.json()["detail"]
    assert count_accounts(session) == 0


def test_team_rules_for_creating(client: TestClient, session: Session, make_user: UserFactory) -> None:
    _, csm = make_user(Role.CSM, "emea")
    _, admin = make_user(Role.ADMIN, None)
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    assert client.post("/v1/accounts", headers=csm, json={"name": "X", "team": "americas"}).status_code == 403
    assert client.post("/v1/accounts", headers=scientist, json={"name": "X"}).status_code == 403
    response = client.post("/v1/accounts", headers=admin, json={"name": "X"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "team"
    assert client.post("/v1/accounts", headers=admin, json={"name": "X", "team": "americas"}).status_code == 201
    # An external id routes ingested mail and imported signals: a claim, as a domain is, set by leads and admins.
    refused = client.post("/v1/accounts", headers=csm, json={"name": "Y", "external_id": "e1"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "external_id"
    assert client.post("/v1/accounts", headers=admin, json={"name": "Y", "team": "emea",
                                                             "external_id": "e1"}).status_code == 201
    duplicate = client.post("/v1/accounts", headers=admin, json={"name": "Y2", "team": "americas",
                                                                 "external_id": "e1"})
    assert duplicate.status_code == 409 and "external_id 'e1'" in duplicate.json()["detail"]
    assert client.post("/v1/accounts", json={"name": "Z"}).status_code == 401
    assert count_accounts(session) == 2


def test_another_teams_account_is_404_like_a_missing_one(client: TestClient, make_user: UserFactory,
                                                          make_account) -> None:
    account = make_account()
    _, other = make_user(Role.CSM, "americas")
    _, lead = make_user(Role.LEAD, "emea")
    foreign = client.get(f"/v1/accounts/{account['id']}", headers=other)
    missing = client.get("/v1/accounts/99999", headers=other)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == {"detail": f"account {account['id']} not found"}
    assert missing.json() == {"detail": "account 99999 not found"}
    assert client.get(f"/v1/accounts/{account['id']}/timeline", headers=other).status_code == 404
    assert client.post(f"/v1/accounts/{account['id']}/suggestions", headers=other).status_code == 404
    assert client.get(f"/v1/accounts/{account['id']}", headers=lead).status_code == 200
    assert client.get("/v1/accounts", headers=other).json() == {"data": [], "count": 0}
    assert client.get("/v1/accounts?team=emea", headers=other).status_code == 403


def test_pulse_cadence_and_staleness(client: TestClient, make_account, post_message, emea_csm) -> None:
    _, headers = emea_csm
    soon = make_account(name="Soon", renewal_date=str(date.today() + timedelta(days=30)))
    later = make_account(name="Later", renewal_date=str(date.today() + timedelta(days=90)))
    far = make_account(name="Far", renewal_date=None)
    assert [soon["cadence"], later["cadence"], far["cadence"]] == ["weekly", "monthly", "quarterly"]
    assert soon["stale"] and soon["pulse"] is None

    post_message(soon["id"], "We are furious, the export failed again and billing is wrong.")
    rolled = client.post(f"/v1/accounts/{soon['id']}/suggestions", headers=headers)
    assert rolled.status_code == 201, rolled.text
    suggestion = rolled.json()
    assert suggestion["scope"] == "account" and suggestion["explanation"][0]["interaction_id"] is not None
    chosen = "Yellow" if suggestion["label"] != "Yellow" else "Red"
    decided = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                          json={"label": chosen, "override_reason": "missed_context"})
    assert decided.status_code == 201, decided.text

    account = client.get(f"/v1/accounts/{soon['id']}", headers=headers).json()
    assert account["pulse"]["label"] == chosen
    assert account["pulse"]["decision_id"] == decided.json()["id"]
    assert account["pulse_due"] == str(date.today() + timedelta(days=7))
    assert account["stale"] is False
    assert account["latest_suggestion"]["id"] == suggestion["id"]
    stale = client.get("/v1/accounts?stale=true", headers=headers).json()
    assert sorted(a["name"] for a in stale["data"]) == ["Far", "Later"] and stale["count"] == 2
    fresh = client.get("/v1/accounts?stale=false", headers=headers).json()
    assert [a["name"] for a in fresh["data"]] == ["Soon"]

    timeline = client.get(f"/v1/accounts/{soon['id']}/timeline", headers=headers).json()
    # A CSM's timeline shows the roll-up and the pulse, not the model's suggestions on single messages (README,
    # Security: check items cannot be told apart).
    assert [e["type"] for e in timeline["data"]] == ["interaction", "suggestion", "decision", "pulse_change"]
    assert timeline["data"][-1]["detail"] == {"from": None, "to": chosen, "event_id": 1,
                                              "event_type": "pulse.red" if chosen == "Red" else "pulse.changed",
                                              "deliveries": []}


def test_roll_up_needs_recent_interactions(client: TestClient, make_account, emea_csm) -> None:
    account = make_account()
    response = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1])
    assert response.status_code == 422
    assert "has no interactions in the last 90 days" in response.json()["detail"]


def test_email_domains_are_validated_normalised_and_unique(client: TestClient, make_user) -> None:
    # Only a lead (or an admin) sets domains: they route ingested mail (tests/api/test_hardening.py).
    _, headers = make_user(Role.LEAD, "emea")
    created = client.post("/v1/accounts", headers=headers, json={"name": "A", "email_domains": ["@Acme.example"]})
    assert created.status_code == 201 and created.json()["email_domains"] == ["acme.example"]
    bad = client.post("/v1/accounts", headers=headers, json={"name": "B", "email_domains": ["not a domain"]})
    assert bad.status_code == 422 and "'not a domain' is not an e-mail domain" in bad.json()["detail"]
    taken = client.post("/v1/accounts", headers=headers, json={"name": "C", "email_domains": ["acme.example"]})
    assert taken.status_code == 409 and "acme.example is already assigned" in taken.json()["detail"]
    listed = client.get("/v1/accounts", headers=headers).json()
    assert [(a["name"], a["email_domains"]) for a in listed["data"]] == [("A", ["acme.example"])]


def test_cadence_follows_the_segment_in_the_list_and_the_queue_alike(
        client: TestClient, settings: Settings, make_account, post_message, emea_csm) -> None:
    settings.cadence = {
        "enterprise": CadenceRule(weekly_within_days=120, monthly_within_days=365, beyond="monthly"),
        "pooled": CadenceRule(weekly_within_days=-1, monthly_within_days=-1, beyond="quarterly")}
    far, near = str(date.today() + timedelta(days=200)), str(date.today() + timedelta(days=10))
    made = {name: make_account(name=name, segment=segment, renewal_date=renewal, arr=None)
            for name, segment, renewal in [("Top", "enterprise", far), ("Pool", "pooled", near),
                                           ("Plain", None, far), ("TopSoon", "enterprise", near)]}
    listed = {a["name"]: a["cadence"] for a in client.get("/v1/accounts", headers=emea_csm[1]).json()["data"]}
    assert listed == {"Top": "monthly", "Pool": "quarterly", "Plain": "quarterly", "TopSoon": "weekly"}
    # The queue ranks by the same rule: the same text weighs 1 + 0.5 (stale) + 0.5 for a monthly cadence,
    # + 1 for a weekly one, + 0 for a quarterly one.
    text = "Could you send the invoice? The dashboard is slow but fine."
    ids = {name: post_message(account["id"], text)["suggestion"]["id"] for name, account in made.items()}
    items = {s["id"]: s for s in client.get("/v1/suggestions", headers=emea_csm[1]).json()["data"]}
    weight = {name: items[i]["priority"] / items[ids["Plain"]]["priority"] for name, i in ids.items()}
    assert weight["Pool"] == pytest.approx(1.0) and weight["Top"] == pytest.approx(2.0 / 1.5, rel=1e-3)
    assert weight["TopSoon"] == pytest.approx(2.5 / 1.5, rel=1e-3)
    assert "monthly cadence" in items[ids["Top"]]["why"]


def test_a_cadence_rule_names_its_bad_field() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(cadence={"pooled": {"beyond": "daily"}})
    assert "cadence.pooled.beyond" in str(raised.value).replace("\n", ".").replace(" ", "")
