"""The v1 loop through a live `pulse serve`, driven by a plain HTTP client with keys from the CLI."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Live

pytestmark = pytest.mark.e2e


def test_the_loop_end_to_end(live: Live) -> None:
    base, keys = live.base, live.keys
    auth = {name: {"Authorization": f"Bearer {key}"} for name, key in keys.items()}
    with httpx.Client(base_url=base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth["csm"], json={
            "name": "Keystone Retail", "renewal_date": "2027-02-01", "arr": 18000})
        assert account.status_code == 201, account.text
        account_id = account.json()["id"]

        messages = ["Thank you, the new release is excellent and the team loves it!",
                    "The export failed again and nobody answered our ticket. We are furious.",
                    "Could you send the March invoice with our new VAT number?"]
        posted = [http.post("/v1/interactions", headers=auth["csm"], json={
            "account_id": account_id, "kind": "email", "body": body, "external_id": f"m-{i}"}) for i, body in
            enumerate(messages)]
        assert [p.status_code for p in posted] == [201, 201, 201]
        again = http.post("/v1/interactions", headers=auth["csm"], json={
            "account_id": account_id, "kind": "email", "body": messages[0], "external_id": "m-0"})
        assert again.status_code == 200 and again.json() == posted[0].json()

        queue = http.get("/v1/suggestions", headers=auth["csm"]).json()
        assert queue["count"] == 3
        first, second = queue["data"][0], queue["data"][1]

        accept = {"label": first["label"]}
        keyed = auth["csm"] | {"Idempotency-Key": "accept-once"}
        one = http.post(f"/v1/suggestions/{first['id']}/decisions", headers=keyed, json=accept)
        two = http.post(f"/v1/suggestions/{first['id']}/decisions", headers=keyed, json=accept)
        assert (one.status_code, two.status_code) == (201, 200) and one.json()["id"] == two.json()["id"]

        other = {"Red": "Green", "Yellow": "Green", "Green": "Red"}[second["label"]]
        override = http.post(f"/v1/suggestions/{second['id']}/decisions", headers=auth["csm"],
                             json={"label": other, "override_reason": "missed_context", "note": "renewal is safe"})
        assert override.status_code == 201 and override.json()["accepted"] is False

        decisions = http.get("/v1/decisions", headers=auth["lead"]).json()
        assert decisions["count"] == 2
        summary = http.get("/v1/audit/summary", headers=auth["lead"]).json()
        assert summary["n"] == 2 and summary["agreement"] == 0.5

        rival = auth["rival"]
        assert http.get(f"/v1/accounts/{account_id}", headers=rival).status_code == 404
        assert http.get(f"/v1/accounts/{account_id}", headers=rival).json() == \
            http.get("/v1/accounts/999999", headers=rival).json() | {"detail": f"account {account_id} not found"}
        assert http.post(f"/v1/suggestions/{first['id']}/decisions", headers=rival, json=accept).status_code == 404
        assert http.get("/v1/audit/summary", headers=auth["csm"]).status_code == 403

        rolled = http.post(f"/v1/accounts/{account_id}/suggestions", headers=auth["csm"])
        assert rolled.status_code == 201 and rolled.json()["scope"] == "account"
        pulse = http.post(f"/v1/suggestions/{rolled.json()['id']}/decisions", headers=auth["csm"],
                          json={"label": rolled.json()["label"]})
        assert pulse.status_code == 201
        listed = http.get("/v1/accounts", headers=auth["csm"]).json()
        assert listed["data"][0]["pulse"]["label"] == rolled.json()["label"]
        timeline = http.get(f"/v1/accounts/{account_id}/timeline", headers=auth["csm"]).json()
        assert "pulse_change" in [e["type"] for e in timeline["data"]]

        scored = http.post("/v1/suggest", headers=auth["scientist"], json={"texts": messages})
        assert [s["label"] for s in scored.json()["data"]] == [p.json()["suggestion"]["label"] for p in posted]
        models = http.get("/v1/models", headers=auth["scientist"]).json()
        version = models["data"][0]["version"]
        assert http.post(f"/v1/models/{version}/promote", headers=auth["scientist"]).status_code == 200
        assert http.get("/healthz").json()["model_version"] == version
        assert "pulse_http_requests_total" in http.get("/metrics").text
        assert http.post("/v1/accounts", headers=auth["csm"], json={"name": "X", "renewal_date": "2025-13-01"}
                         ).status_code == 422
