"""What an attacker and a careless integrator found, each shut on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import json
import logging
import socketserver
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, delete, select
from typer.testing import CliRunner

from api.cli import app
from api.config import Settings, get_settings
from api.db import migrate
from api.exports import service as exports
from api.jobs.models import Job, JobKind
from api.main import create_app
from api.observability import JsonFormatter, TextFormatter, safe_error
from api.ratelimit import RateLimiter
from api.shadows.models import ShadowPrediction
from api.suggestions.models import Suggestion
from api.users.models import Role
from api.worker import Worker
from models.labels import Label
from tests.api.test_web import sign_in
from tests.api.test_webhooks import drain, fast, roll_up, set_pulse
from tests.receiver import receiving

runner = CliRunner()


def test_webhook_urls_and_errors_are_shown_to_admins_only_and_without_secrets(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message, emea_csm,
        caplog: pytest.LogCaptureFixture) -> None:
    _, admin = make_user(Role.ADMIN, None)
    _, lead = make_user(Role.LEAD, "emea")
    account = make_account()
    post_message(account["id"], "The export failed again and nobody answered.")
    caplog.set_level(logging.INFO)
    with receiving(fail_first=1) as receiver:
        host = receiver.url.split("://", 1)[1]
        url = f"http://hook-user:hook-pass@{host}/hooks/pulse?token=s3cret-token"
        created = client.post("/v1/webhooks", headers=admin, json={"url": url})
        assert created.status_code == 201
        receiver.secrets["/hooks/pulse?token=s3cret-token"] = created.json()["secret"]
        set_pulse(client, emea_csm[1], roll_up(client, emea_csm[1], account["id"]), "Red")
        drain(Worker(engine, fast(settings)), engine)
    assert len(receiver.delivered) == 1  # delivered, on the second attempt

    def deliveries(headers: dict[str, str]) -> list[dict[str, object]]:
        timeline = client.get(f"/v1/accounts/{account['id']}/timeline", headers=headers).json()["data"]
        return [d for e in timeline if e["type"] == "pulse_change" for d in e["detail"]["deliveries"]]

    for reader in (emea_csm[1], lead):
        [seen] = deliveries(reader)
        assert "url" not in seen and "last_error" not in seen and seen["status"] == "done"
    [shown] = deliveries(admin)
    assert shown["url"] == f"http://{host}/hooks/pulse"
    assert [w["url"] for w in client.get("/v1/webhooks", headers=admin).json()["data"]] == [shown["url"]]
    with Session(engine) as session:
        errors = [j.last_error or "" for j in session.exec(select(Job).where(Job.kind == JobKind.WEBHOOK))]
    for secret in ("hook-pass", "s3cret-token"):
        assert not any(secret in e for e in errors) and secret not in caplog.text


def test_a_failing_statement_never_puts_its_values_in_the_log(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(DBAPIError) as failure:
        session.execute(text("INSERT INTO users (name, role) VALUES (:name, NULL)"),  # role may not be NULL
                        {"name": "customer text: our CFO is leaving"})
    assert "[SQL parameters hidden" in str(failure.value)  # SQLAlchemy's part; the database may quote the row
    record = logging.LogRecord("pulse.app", logging.ERROR, __file__, 1, "unhandled error", None,
                               (DBAPIError, failure.value, failure.value.__traceback__))
    for formatter in (JsonFormatter(), TextFormatter()):
        logged = formatter.format(record)
        assert "CFO is leaving" not in logged and "INSERT INTO users" in logged
    assert "CFO is leaving" not in safe_error(failure.value)


def test_blind_is_the_server_s_fact_never_the_client_s(client: TestClient, make_account, post_message,
                                                        emea_csm) -> None:
    account = make_account()
    shown = post_message(account["id"], "The export failed again and we are furious.")["suggestion"]
    assert shown["blind"] is False and shown["label"] is not None
    other = "Green" if shown["label"] != "Green" else "Red"
    url = f"/v1/suggestions/{shown['id']}/decisions"
    claimed = client.post(url, headers=emea_csm[1], json={"label": other, "blind": True})
    assert claimed.status_code == 422 and claimed.json()["errors"][0]["field"] == "override_reason"
    decided = client.post(url, headers=emea_csm[1], json={"label": other, "blind": True,
                                                          "override_reason": "missed_context"})
    assert decided.status_code == 201 and decided.json()["blind"] is False


@pytest.fixture
def blind_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"blind_share": 1.0}))) as test_client:
        yield test_client


def test_a_blind_suggestion_s_colour_shows_nowhere_until_decided(blind_client: TestClient, emea_csm,
                                                                 make_user) -> None:
    csm = emea_csm[1]
    _, lead = make_user(Role.LEAD, "emea")  # a CSM's timeline shows no suggestions on single messages
    account = blind_client.post("/v1/accounts", headers=csm, json={"name": "Acme"}).json()
    hidden = blind_client.post("/v1/interactions", headers=csm, json={
        "account_id": account["id"], "kind": "email", "body": "We are furious, the sync is broken."}).json()
    timeline_url = f"/v1/accounts/{account['id']}/timeline"

    def suggestion_events() -> list[dict[str, Any]]:
        return [e for e in blind_client.get(timeline_url, headers=lead).json()["data"] if e["type"] == "suggestion"]

    [event] = suggestion_events()
    assert event["label"] is None and not any(c in event["summary"] for c in ("Red", "Yellow", "Green", "%"))
    rolled = blind_client.post(f"/v1/accounts/{account['id']}/suggestions", headers=csm)
    assert rolled.status_code == 201
    with Session(blind_client.app.state.engine) as session:  # type: ignore[attr-defined]
        stored = session.get(Suggestion, rolled.json()["id"])
        assert stored is not None and all("label" not in e for e in stored.explanation)  # no message's colour
    decided = blind_client.post(f"/v1/suggestions/{hidden['suggestion']['id']}/decisions", headers=csm,
                                json={"label": "Red"})
    assert decided.status_code == 201
    labelled = {e["id"]: e["label"] for e in suggestion_events()}
    assert labelled[hidden["suggestion"]["id"]] is not None  # decided: its colour may show now


HOSTILE_BODIES = [
    ("/v1/accounts", {"name": "Acme\u0000Corp"}, "body.name"),
    ("/v1/accounts", {"name": "Acme", "external_id": "crm-\ud800"}, "body.external_id"),
    ("/v1/suggest", {"texts": ["fine", "broken \udc00 text"]}, "body.texts.1"),
    ("/v1/suggest", {"texts": ["we are \u0000 furious"]}, "body.texts.0"),
]


@pytest.mark.parametrize(("path", "body", "field"), HOSTILE_BODIES)
def test_nul_bytes_and_lone_surrogates_in_a_body_answer_422_naming_the_field(
        client: TestClient, emea_csm, make_user, path: str, body: dict[str, Any], field: str) -> None:
    caller = make_user(Role.LEAD, "emea")[1] if path == "/v1/suggest" else emea_csm[1]  # a CSM may not score
    answer = client.post(path, headers=caller | {"Content-Type": "application/json"},
                         content=json.dumps(body).encode())  # json.dumps escapes both as \\u0000 / \\ud800
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field


def test_nul_bytes_in_a_query_or_a_path_answer_422(client: TestClient, make_user, emea_csm) -> None:
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    query = client.get("/v1/decisions?model_version=v%001", headers=emea_csm[1])
    assert query.status_code == 422 and query.json()["errors"][0]["field"] == "model_version"
    assert client.post("/v1/models/v%00x/promote", headers=scientist).status_code == 422
    paired = client.post("/v1/suggest", headers=scientist, json={"texts": ["Thanks \U0001F389 great job"]})
    assert paired.status_code == 200  # an emoji is a surrogate pair in JSON, and welcome


def test_huge_offsets_extreme_times_and_non_finite_amounts_answer_422(client: TestClient, make_user,
                                                                       make_account, emea_csm) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    huge = 2**63
    cursor = base64.urlsafe_b64encode(f"o:{huge}".encode()).decode()
    for url, field in [(f"/v1/suggestions?cursor={cursor}", "cursor"), (f"/v1/decisions?offset={huge}", "offset"),
                       ("/v1/decisions?since=0001-01-01T00:00:00%2B01:00", "since"),
                       ("/v1/audit/summary?until=9999-12-31T23:00:00-05:00", "until")]:
        answer = client.get(url, headers=lead)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, (url, answer.text)
    for arr in ("Infinity", "NaN", "-Infinity"):
        answer = client.post("/v1/accounts", headers=emea_csm[1] | {"Content-Type": "application/json"},
                             content=f'{{"name": "Acme", "arr": {arr}}}'.encode())
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "arr", answer.text
    account = make_account()
    for when in ("9999-12-31T23:00:00-05:00", "9999-01-01T00:00:00+00:00", "0001-01-01T00:00:00+01:00"):
        answer = client.post("/v1/interactions", headers=emea_csm[1], json={
            "account_id": account["id"], "kind": "email", "body": "Hello", "occurred_at": when})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "occurred_at", answer.text


def test_keys_are_listed_rotated_and_disabled_and_their_web_sessions_end(client: TestClient, engine: Engine,
                                                                        database_url: str, make_user) -> None:
    csm, headers = make_user(Role.CSM, "emea", "Rotated Rosa")
    sign_in(client, headers)
    assert client.get("/app/queue", follow_redirects=False).status_code == 200
    listed = runner.invoke(app, ["users", "list", "--db", database_url])
    assert listed.exit_code == 0 and "Rotated Rosa" in listed.stdout
    assert headers["Authorization"].split()[1] not in listed.stdout  # the key itself is never shown

    rotated = runner.invoke(app, ["users", "rotate-key", str(csm.id), "--db", database_url])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert new_key.startswith("pulse_")
    assert client.get("/v1/reasons", headers=headers).status_code == 401  # the old key, at once
    assert client.get("/v1/reasons", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
    assert client.get("/app/queue", follow_redirects=False).status_code == 303  # the web session ended

    sign_in(client, {"Authorization": f"Bearer {new_key}"})
    disabled = runner.invoke(app, ["users", "disable", str(csm.id), "--db", database_url])
    assert disabled.exit_code == 0, disabled.output
    assert client.get("/v1/reasons", headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    assert client.get("/app/queue", follow_redirects=False).status_code == 303
    assert runner.invoke(app, ["users", "disable", "999999", "--db", database_url]).exit_code == 2


def test_the_demo_refuses_a_production_database_unless_forced(monkeypatch: pytest.MonkeyPatch,
                                                               postgresql_url: str) -> None:
    refused = runner.invoke(app, ["demo", "--no-serve", "--db", postgresql_url])
    assert refused.exit_code == 2 and "not a local SQLite file" in refused.output
    monkeypatch.setenv("PULSE_ENVIRONMENT", "production")
    get_settings.cache_clear()
    refused = runner.invoke(app, ["demo", "--no-serve", "--db", "sqlite:///never-made.db"])
    assert refused.exit_code == 2 and "PULSE_ENVIRONMENT is production" in refused.output
    get_settings.cache_clear()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.1.2.3", "[::1]", "0.0.0.0"])
def test_a_webhook_cannot_be_aimed_at_this_machine_its_network_or_a_metadata_service(
        engine: Engine, settings: Settings, make_user, host: str) -> None:
    _, admin = make_user(Role.ADMIN, None)
    closed = settings.model_copy(update={"webhook_allow_private": False})
    with TestClient(create_app(closed)) as client:
        refused = client.post("/v1/webhooks", headers=admin, json={"url": f"http://{host}:8080/hook"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url", refused.text
        assert client.post("/v1/webhooks", headers=admin, json={"url": f"gopher://{host}/"}).status_code == 422


class Stalling(socketserver.BaseRequestHandler):
    """A receiver that answers a byte at a time, slowly, then (if it ever finishes) sends a huge body."""

    sent: ClassVar[list[int]] = []

    def handle(self) -> None:
        self.request.recv(65536)
        status = b"HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n"
        try:
            for byte in status if self.server.drip else [status]:  # type: ignore[attr-defined]
                self.request.sendall(bytes([byte]) if isinstance(byte, int) else byte)
                time.sleep(0.3 if self.server.drip else 0)  # type: ignore[attr-defined]
            for _ in range(1024):  # 64 MB in 64 KB pieces, for as long as the worker keeps reading
                self.request.sendall(b"x" * 65536)
                Stalling.sent.append(65536)
        except OSError:
            return


@pytest.mark.parametrize("drip", [True, False])
def test_a_delivery_has_an_overall_deadline_and_never_reads_the_answer_s_body(
        engine: Engine, settings: Settings, make_user, make_account, post_message, emea_csm, drip: bool) -> None:
    _, admin = make_user(Role.ADMIN, None)
    Stalling.sent.clear()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Stalling)
    server.drip = drip  # type: ignore[attr-defined]
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with TestClient(create_app(settings)) as client:
            url = f"http://127.0.0.1:{server.server_address[1]}/hook"
            assert client.post("/v1/webhooks", headers=admin, json={"url": url}).status_code == 201
            account = make_account()
            post_message(account["id"], "We are furious.")
            set_pulse(client, emea_csm[1], roll_up(client, emea_csm[1], account["id"]), "Red")
        worker = Worker(engine, settings.model_copy(update={"webhook_timeout_s": 1.0}), kinds=[JobKind.WEBHOOK])
        assert worker.run_once() == 1
    finally:
        server.shutdown()
        server.server_close()
    with Session(engine) as session:
        job = session.exec(select(Job).where(Job.kind == JobKind.WEBHOOK)).one()
    if drip:  # the status line never finished within the deadline: the connection was closed
        assert job.status == "pending" and "no answer within 1 s" in (job.last_error or "")
    else:  # the status was read, the 64 MB body was not
        assert job.status == "done" and sum(Stalling.sent) < 64 * 1024 * 1024


def test_every_csv_cell_is_quoted_so_a_separator_inside_cannot_start_a_formula() -> None:
    rows = [dict.fromkeys(exports.COLUMNS, "") | {"text": "fine;=cmd|' /C calc'!A0", "label": "=1+1"}]
    written = "".join(exports.as_csv(rows)).splitlines()
    cells = next(csv.reader([written[1]], delimiter=";"))  # read as a ";" locale's spreadsheet would
    assert not any(cell.startswith("=") for cell in cells)
    assert '"\'=1+1"' in written[1] and all(cell.startswith('"') for cell in written[1].split('","')[:1])


def test_a_shadow_version_s_red_is_nobody_s_warning_before_a_churn(client: TestClient, engine: Engine,
                                                                    make_user, make_account) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    account = make_account()
    message = client.post("/v1/interactions", headers=lead, json={
        "account_id": account["id"], "kind": "email", "body": "Thanks, the rollout went fine."}).json()
    with Session(engine) as session:
        version = client.get("/healthz").json()["model_version"]  # any registered version, scoring silently
        session.exec(delete(Suggestion).where(col(Suggestion.interaction_id) == message["interaction"]["id"]))
        session.add(ShadowPrediction(account_id=account["id"], interaction_id=message["interaction"]["id"],
                                     label=Label.RED, p_red=0.9, p_yellow=0.05, p_green=0.05, confidence=0.9,
                                     margin=0.85, model_version=version))
        session.commit()
    assert client.post(f"/v1/accounts/{account['id']}/outcomes", headers=lead,
                       json={"kind": "churned", "occurred_on": "2026-11-01"}).status_code == 201
    outcomes = client.get("/v1/audit/summary", headers=lead).json()["outcomes"]
    assert outcomes["churned"] == 1 and outcomes["accounts"][0]["model_first_red"] is None


def test_only_leads_and_admins_claim_mail_domains_and_never_a_public_provider(client: TestClient, make_user,
                                                                              emea_csm) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    _, rival_lead = make_user(Role.LEAD, "americas")
    refused = client.post("/v1/accounts", headers=emea_csm[1], json={"name": "A", "email_domains": ["acme.example"]})
    assert refused.status_code == 403 and "email_domains" in refused.json()["detail"]
    public = client.post("/v1/accounts", headers=lead, json={"name": "A", "email_domains": ["gmail.com"]})
    assert public.status_code == 422 and public.json()["errors"][0]["field"] == "email_domains"
    assert client.post("/v1/accounts", headers=lead, json={"name": "A", "email_domains": ["acme.example"]}
                       ).status_code == 201
    taken = client.post("/v1/accounts", headers=rival_lead, json={"name": "B", "email_domains": ["acme.example"]})
    assert taken.status_code == 409 and "team" not in taken.json()["detail"] and "emea" not in taken.json()["detail"]


def test_a_new_sqlite_database_and_its_counters_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'private.db'}"
    migrate(url)
    limiter = RateLimiter(url, per_minute=5)
    limiter.hit("someone")
    limiter.close()
    for name in ("private.db", "private.db-ratelimit"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_erasure_covers_outcome_notes_too(client: TestClient, engine: Engine, make_user, make_account,
                                          database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    _, lead = make_user(Role.LEAD, "emea")
    account = make_account()
    assert client.post(f"/v1/accounts/{account['id']}/outcomes", headers=lead, json={
        "kind": "churned", "occurred_on": "2026-11-01", "note": "Zebediah said the CFO left"}).status_code == 201
    erased = runner.invoke(app, ["erase", "--account", str(account["id"]), "--yes", "--db", database_url])
    assert erased.exit_code == 0 and '"outcome_notes": 1' in erased.stdout, erased.output
    with engine.connect() as connection:
        notes = connection.execute(text("SELECT note FROM outcomes")).scalars().all()
    assert notes == [None]
    get_settings.cache_clear()
