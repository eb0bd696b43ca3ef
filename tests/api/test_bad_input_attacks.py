"""Input a tired user or an attacker sends to the listings changed lately: dates at the ends of the calendar or
off it, ids past any key, junk filters. Each is answered (200 or a 422 quoting what was sent), never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.users.models import Role
from tests.conftest import UserFactory

PATHS = ("/v1/decisions", "/v1/audit/summary", "/v1/export/labels")


def test_until_and_since_at_and_past_the_calendar_ends(client: TestClient, make_user: UserFactory) -> None:
    lead, scientist = make_user(Role.LEAD)[1], make_user(Role.DATA_SCIENTIST, None)[1]
    for path in PATHS:
        headers = scientist if "export" in path else lead
        for value in ("9999-12-31", "0001-01-01", "9999-12-31T23:59:59.999999+00:00"):
            assert client.get(path, headers=headers, params={"until": value}).status_code == 200, (path, value)
        for value in ("2025-13-01", "2025-02-30", "99999999999999999999999", "9999-12-31T23:59:59-05:00", "x"):
            for name in ("until", "since"):
                answer = client.get(path, headers=headers, params={name: value})
                assert answer.status_code == 422, (path, name, value, answer.text)
                # The error quotes what was sent, not the end-of-day time a bare date is read as.
                assert repr(value) in answer.json()["detail"] and "T23:59:59.999999" not in answer.json()["detail"]


def test_ids_and_the_suggestion_filter_out_of_range_or_junk(client: TestClient, make_user: UserFactory) -> None:
    lead = make_user(Role.LEAD)[1]
    for value in (str(2**63), str(2**63 - 1), str(2**31), "0", "-1", "abc", "1.5", "１", "1e3"):
        listed = client.get("/v1/decisions", headers=lead, params={"suggestion_id": value})
        assert listed.status_code == 422 and "suggestion_id" in listed.json()["detail"], (value, listed.text)
        withdrawn = client.post(f"/v1/suggestions/{value}/withdraw", headers=lead)
        assert withdrawn.status_code == 422, (value, withdrawn.text)
    assert client.get("/v1/decisions", headers=lead, params={"suggestion_id": 2**31 - 1}).json()["count"] == 0
    assert client.post(f"/v1/suggestions/{2**31 - 1}/withdraw", headers=lead).status_code == 404


def test_nul_bytes_and_lone_surrogates_to_stateless_scoring(client: TestClient, make_user: UserFactory) -> None:
    lead = make_user(Role.LEAD)[1]
    for text in ('"\\u0000\\u0000"', '"renewal\\u0000looks fine"', '"\\ud800"', '"bad \\udfff refund"'):
        answer = client.post("/v1/suggest", headers=lead | {"Content-Type": "application/json"},
                             content=f'{{"texts": [{text}]}}')
        assert answer.status_code == 422 and "texts.0" in answer.json()["detail"], (text, answer.text)
    paired = client.post("/v1/suggest", headers=lead, json={"texts": ["\U0001f600 great renewal call"]})
    assert paired.status_code == 200 and 0 < paired.json()["data"][0]["confidence"] <= 1
