"""Server-set fields sent in request bodies are refused, never stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

SERVER_SET = {"id": 1, "user_id": 1, "accepted": True, "model_version": "v-forged",
              "created_at": "2020-01-01T00:00:00Z", "revision": 9, "created_by": 1, "request_hash": "x",
              "superseded_by_id": 1, "shadow": True}


@pytest.mark.parametrize("field", sorted(SERVER_SET))
def test_server_set_fields_are_refused_in_every_body(client: TestClient, make_account, post_message, emea_csm,
                                                     field: str) -> None:
    headers = emea_csm[1]
    account = make_account()
    posted = post_message(account["id"], "The export failed again.")
    bodies = {
        "/v1/accounts": {"name": "Other"},
        "/v1/interactions": {"account_id": account["id"], "kind": "email", "body": "Hello"},
        f"/v1/suggestions/{posted['suggestion']['id']}/decisions": {"label": posted["suggestion"]["label"]},
        f"/v1/accounts/{account['id']}/outcomes": {"kind": "renewed", "occurred_on": "2026-11-01"},
    }
    for path, body in bodies.items():
        response = client.post(path, headers=headers, json=body | {field: SERVER_SET[field]})
        assert response.status_code == 422, (path, response.text)
        assert f"{field} is not a field of this request" in response.json()["detail"]
    # Nothing was stored by the refused calls: one interaction, no decision.
    assert client.get("/v1/decisions", headers=headers).json()["count"] == 0
    assert client.get("/v1/suggestions", headers=headers).json()["count"] == 1


def test_a_team_member_cannot_place_an_account_in_another_team(client: TestClient, emea_csm) -> None:
    refused = client.post("/v1/accounts", headers=emea_csm[1], json={"name": "Elsewhere", "team": "americas"})
    assert refused.status_code == 403 and "only in their own team (emea)" in refused.json()["detail"]
    own = client.post("/v1/accounts", headers=emea_csm[1], json={"name": "Here", "team": "emea"})
    assert own.status_code == 201 and own.json()["team"] == "emea"


def test_decisions_record_the_caller_and_the_suggestions_facts(client: TestClient, make_account, post_message,
                                                               emea_csm) -> None:
    user, headers = emea_csm
    account = make_account()
    suggestion = post_message(account["id"], "Thanks, all good.")["suggestion"]
    decided = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                          json={"label": suggestion["label"]}).json()
    assert decided["user_id"] == user.id and decided["accepted"] is True
    assert decided["model_version"] == suggestion["model_version"]
