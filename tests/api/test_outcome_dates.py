"""An outcome counts from the day it happened: a churn recorded ahead (the day a contract ends) leaves the account in
the queue until that day, and a date typed far ahead never outranks what happened since."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from api.db import utcnow


def test_a_churn_dated_ahead_takes_effect_on_its_day_and_never_hides_a_renewal(
        client: TestClient, make_account, emea_csm, post_message) -> None:
    account = make_account(name="Keystone", renewal_date="2027-01-15")
    posted = post_message(account["id"], "We are terminating the contract at the end of the month.")["suggestion"]
    headers, today = emea_csm[1], utcnow().date()

    def queued() -> list[int]:
        return [s["id"] for s in client.get("/v1/suggestions", headers=headers).json()["data"]]

    def churned() -> bool:
        return bool(client.get(f"/v1/accounts/{account['id']}", headers=headers).json()["churned"])

    def record(kind: str, days: int) -> None:
        response = client.post(f"/v1/accounts/{account['id']}/outcomes", headers=headers,
                               json={"kind": kind, "occurred_on": (today + timedelta(days=days)).isoformat()})
        assert response.status_code == 201, response.text

    record("churned", 36 * 365)  # a mistyped year: 2062
    assert posted["id"] in queued() and not churned()  # still a customer: the queue and the account agree
    record("churned", -3)  # it did churn, three days ago
    assert posted["id"] not in queued() and churned()
    record("renewed", 10)  # a renewal signed for next week is not yet in effect
    assert posted["id"] not in queued() and churned()
    record("renewed", 0)  # renewed today: back, whatever the 2062 churn says
    assert posted["id"] in queued() and not churned()
