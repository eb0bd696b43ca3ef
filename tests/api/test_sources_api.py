"""Sources through the API, the admin page and /metrics: admins only, never a secret, health where people look."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.db import utcnow
from api.sources.models import Source
from api.users.models import Role
from tests.api.test_web import sign_in
from tests.conftest import UserFactory

GOOD = {"url": "imaps://support%40northwind.example@imap.example.com/INBOX", "team": "emea",
        "password_env": "NORTHWIND_IMAP_PASSWORD"}


def test_only_admins_configure_sources_and_no_secret_is_taken(client: TestClient, make_user: UserFactory) -> None:
    _, admin = make_user(Role.ADMIN, None, "Ada")
    for role, team in ((Role.CSM, "emea"), (Role.LEAD, "emea"), (Role.DATA_SCIENTIST, None)):
        _, other = make_user(role, team)
        assert client.get("/v1/sources", headers=other).status_code == 403
        assert client.post("/v1/sources", headers=other, json=GOOD).status_code == 403
    refusals = {
        "the URL holds a password": GOOD | {"url": "imaps://me:hunter2@imap.example.com/INBOX"},
        "give exactly one of password_env and oauth2_token_env": GOOD | {"oauth2_token_env": "TOKEN"},
        "take an environment variable's name": GOOD | {"password_env": "hunter2 hunter2"},
        "only for a loopback address": GOOD | {"tls": "none"},
        "starts with imaps:// (TLS) or imap:// (STARTTLS)": GOOD | {"url": "pop3://me@mail.example.com/"},
        "password is not a field of this request": GOOD | {"password": "hunter2"},
    }
    for said, body in refusals.items():
        refused = client.post("/v1/sources", headers=admin, json=body)
        assert refused.status_code == 422 and said in refused.text, refused.text
        assert "hunter2" not in refused.text
    created = client.post("/v1/sources", headers=admin, json=GOOD)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["credential_env"], body["kind"], body["stored"], body["last_error"]) == (
        "imaps://support@northwind.example@imap.example.com/INBOX", "NORTHWIND_IMAP_PASSWORD", "imap", 0, None)
    listed = client.get("/v1/sources", headers=admin).json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == body["id"]
    assert "config" not in listed["data"][0] and "locked_by" not in listed["data"][0]


def test_read_now_remove_and_missing_sources(client: TestClient, make_user: UserFactory, engine: Engine) -> None:
    _, admin = make_user(Role.ADMIN, None, "Ada")
    source_id = client.post("/v1/sources", headers=admin, json=GOOD).json()["id"]
    with Session(engine) as session:  # backed off after failures
        source = session.get(Source, source_id)
        assert source is not None
        source.next_poll_at = utcnow() + timedelta(hours=1)
        session.add(source)
        session.commit()
    due = client.post(f"/v1/sources/{source_id}/sync", headers=admin)
    assert due.status_code == 202
    assert abs(utcnow() - datetime.fromisoformat(due.json()["next_poll_at"])) < timedelta(seconds=30)
    assert client.delete(f"/v1/sources/{source_id}", headers=admin).status_code == 200
    assert client.get("/v1/sources", headers=admin).json()["count"] == 0
    for method, path in (("delete", f"/v1/sources/{source_id}"), ("post", f"/v1/sources/{source_id}/sync")):
        missing = client.request(method.upper(), path, headers=admin)
        assert missing.status_code == 404 and f"source {source_id} not found" in missing.text
    assert client.delete(f"/v1/sources/{2**31}", headers=admin).status_code == 422


def test_the_admin_page_and_metrics_show_each_source_s_health(client: TestClient, make_user: UserFactory,
                                                              engine: Engine) -> None:
    _, admin = make_user(Role.ADMIN, None, "Ada")
    _, csm = make_user(Role.CSM, "emea")
    source_id = client.post("/v1/sources", headers=admin, json=GOOD).json()["id"]
    with Session(engine) as session:
        source = session.get(Source, source_id)
        assert source is not None
        source.stored, source.unmatched, source.errors, source.skipped = 41, 3, 1, 7
        source.last_error = "imap.example.com:993: sign-in as 'support@northwind.example' refused (<b>bad</b>)"
        source.failing_since = utcnow() - timedelta(minutes=5)
        session.add(source)
        session.commit()
    metrics = client.get("/metrics").text
    for outcome, value in (("stored", 41), ("unmatched", 3), ("errors", 1), ("skipped", 7)):
        assert (f'pulse_source_messages_total{{kind="imap",outcome="{outcome}",source="{source_id}"}} '
                f'{value}.0') in metrics
    csrf = sign_in(client, admin)
    page = client.get("/app/sources")
    assert page.status_code == 200 and 'href="/app/sources"' in page.text
    assert "imaps://support@northwind.example@imap.example.com/INBOX" in page.text and ">41<" in page.text
    assert "refused (&lt;b&gt;bad&lt;/b&gt;)" in page.text and "failing since" in page.text
    assert "$NORTHWIND_IMAP_PASSWORD" in page.text
    read = client.post(f"/app/sources/{source_id}/sync", data={"csrf_token": csrf}, follow_redirects=False)
    assert read.status_code == 303 and read.headers["location"].startswith("/app/sources?notice=")
    forged = client.post(f"/app/sources/{source_id}/sync", data={"csrf_token": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    client.cookies.clear()
    sign_in(client, csm)
    assert client.get("/app/sources").status_code == 403
    assert 'href="/app/sources"' not in client.get("/app/models").text
