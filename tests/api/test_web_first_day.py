"""What a CSM and a lead met on their first day, in-process: the logic behind the pages (the browser test in
tests/e2e/test_first_day.py shows each in Chromium)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from api.db import utcnow
from api.users.models import Role
from tests.api.test_web import sign_in


def test_until_is_inclusive_in_the_api_and_on_the_audit_page(client: TestClient, make_user, make_account,
                                                             emea_csm, post_message) -> None:
    account = make_account()
    posted = post_message(account["id"], "The export failed again.")
    label = posted["suggestion"]["label"]
    assert client.post(f"/v1/suggestions/{posted['suggestion']['id']}/decisions", headers=emea_csm[1],
                       json={"label": label}).status_code == 201
    today = utcnow().date()
    yesterday = (today - timedelta(days=1)).isoformat()
    lead = make_user(Role.LEAD)[1]
    day = {"since": today.isoformat(), "until": today.isoformat()}
    assert client.get("/v1/audit/summary", headers=lead, params=day).json()["n"] == 1
    assert client.get("/v1/decisions", headers=lead, params=day).json()["count"] == 1
    assert client.get("/v1/decisions", headers=lead, params={"until": yesterday}).json()["count"] == 0
    # A time is inclusive too: the decision's own moment includes it.
    made = client.get("/v1/decisions", headers=lead).json()["data"][0]["created_at"]
    assert client.get("/v1/decisions", headers=lead, params={"until": made}).json()["count"] == 1
    exported = client.get("/v1/export/labels", headers=make_user(Role.DATA_SCIENTIST)[1], params=day)
    assert exported.status_code == 200 and exported.text.count("\n") == 1
    sign_in(client, lead)
    page = client.get("/app/audit", params=day)
    assert re.search(r'id="audit-n" href="[^"]*">1</a>', page.text), page.text
    earlier = client.get("/app/audit", params={"since": yesterday, "until": yesterday})
    assert re.search(r'id="audit-n" href="[^"]*">0</a>', earlier.text)
