"""Concurrent writes against a live server, on SQLite and PostgreSQL: idempotent retries and optimistic locking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Live, cli

pytestmark = pytest.mark.e2e


def rolled_up_account(http: httpx.Client, csm: dict[str, str]) -> dict[str, Any]:
    account = http.post("/v1/accounts", headers=csm, json={"name": "Contested", "renewal_date": "2027-01-10"}).json()
    assert http.post("/v1/interactions", headers=csm, json={"account_id": account["id"], "kind": "email",
                                                            "body": "The export failed again."}).status_code == 201
    rolled = http.post(f"/v1/accounts/{account['id']}/suggestions", headers=csm)
    assert rolled.status_code == 201, rolled.text
    return dict(rolled.json())


def test_twenty_identical_retries_make_one_decision(live: Live) -> None:
    csm = {"Authorization": f"Bearer {live.keys['csm']}"}
    with httpx.Client(base_url=live.base, timeout=30) as http:
        suggestion = rolled_up_account(http, csm)
    body = {"label": suggestion["label"]}

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live.base, timeout=30) as http:
            return http.post(f"/v1/suggestions/{suggestion['id']}/decisions", json=body,
                             headers=csm | {"Idempotency-Key": "retry-1"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(post, range(20)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 19 + [201], codes
    assert len({a.json()["id"] for a in answers}) == 1
    with httpx.Client(base_url=live.base, timeout=30) as http:
        assert http.get("/v1/decisions", headers=csm).json()["count"] == 1


def test_two_csms_changing_one_pulse_at_once_one_wins_the_other_gets_the_current_state(live: Live) -> None:
    first = {"Authorization": f"Bearer {live.keys['csm']}"}
    second_key = cli("users", "create", "--name", "second csm", "--role", "csm", "--team", "emea", env=live.env)
    second = {"Authorization": f"Bearer {second_key}"}
    with httpx.Client(base_url=live.base, timeout=30) as http:
        suggestion = rolled_up_account(http, first)
        etag = http.get(f"/v1/suggestions/{suggestion['id']}", headers=first).headers["etag"]
    assert etag == '"0"'
    labels = ["Red", "Green"]

    def change(index: int) -> httpx.Response:
        label = labels[index % 2]
        body: dict[str, Any] = {"label": label}
        if label != suggestion["label"]:
            body["override_reason"] = "missed_context"
        with httpx.Client(base_url=live.base, timeout=30) as http:
            return http.post(f"/v1/suggestions/{suggestion['id']}/decisions", json=body,
                             headers=(first if index % 2 else second) | {"If-Match": etag})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(change, range(10)))
    won = [a for a in answers if a.status_code == 201]
    lost = [a for a in answers if a.status_code != 201]
    assert len(won) == 1, [(a.status_code, a.text[:120]) for a in answers]
    assert {a.status_code for a in lost} <= {409, 412}
    winner = won[0].json()
    for answer in lost:
        assert answer.json()["current"]["id"] == winner["id"], answer.text  # the state to decide again from
        assert answer.json()["current"]["label"] == winner["label"]
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account = http.get(f"/v1/accounts/{suggestion['account_id']}", headers=first).json()
        assert account["pulse"]["decision_id"] == winner["id"]
        # Read again, the loser can change it on purpose.
        etag = http.get(f"/v1/suggestions/{suggestion['id']}", headers=second).headers["etag"]
        assert etag == '"1"'
        other = "Yellow" if winner["label"] != "Yellow" else "Red"
        again = http.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=second | {"If-Match": etag},
                          json={"label": other} | ({} if other == suggestion["label"] else
                                                   {"override_reason": "missed_context"}))
        assert again.status_code == 201 and again.json()["revision"] == 2
        bad = http.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=second | {"If-Match": "soon"},
                        json={"label": other})
        assert bad.status_code == 422 and "If-Match must be the ETag" in bad.json()["detail"]
