"""What an attacker and a careless integrator found, each shut on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from api.config import Settings
from api.jobs.models import Job, JobKind
from api.observability import JsonFormatter, TextFormatter, safe_error
from api.users.models import Role
from api.worker import Worker
from tests.api.test_webhooks import drain, fast, roll_up, set_pulse
from tests.receiver import receiving


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
