"""Two `pulse worker` processes share one PostgreSQL queue: every webhook is delivered exactly once."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api.events.models import Event
from api.jobs.models import Job, JobKind, JobStatus
from api.users.models import Role
from tests import processes
from tests.api.test_webhooks import roll_up, set_pulse, subscribe
from tests.e2e.conftest import PULSE
from tests.receiver import receiving

pytestmark = pytest.mark.e2e
ACCOUNTS = 12
FLIPS = ["Red", "Yellow", "Green"]  # each decision changes the account's pulse


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_deliver_every_webhook_exactly_once(
        client: TestClient, engine: Engine, database_url: str, make_user, make_account, post_message, emea_csm,
        tmp_path: Path) -> None:
    _, admin = make_user(Role.ADMIN, None)
    with receiving(fail_first=2) as receiver:
        subscribe(client, admin, receiver)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")} | {
            "PULSE_DATABASE_URL": database_url, "PULSE_LOG_FORMAT": "text", "PULSE_LOG_LEVEL": "INFO",
            "PULSE_WORKER_POLL_S": "0.05", "PULSE_WEBHOOK_RETRY_BASE_S": "0.05", "PULSE_WEBHOOK_RETRY_MAX_S": "0.2",
            "PULSE_WEBHOOK_ALLOW_PRIVATE": "true",
            # No overdue sweep: a worker starting after an account was made, and before its first pulse,
            # would add a pulse.overdue event to the count (it did, once, in a full run).
            "PULSE_OVERDUE_SWEEP_S": "0"}
        logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
        workers = [processes.start([PULSE, "worker", "--kinds", "webhook", "--name", f"w{n}"], env=env,
                                   stderr=log.open("w")) for n, log in enumerate(logs, 1)]
        try:
            started = time.monotonic() + 60
            while not all("worker started" in log.read_text() for log in logs):
                assert time.monotonic() < started and all(w.poll() is None for w in workers), "a worker did not start"
                time.sleep(0.1)
            # Pulse changes arrive while both workers are polling.
            for n in range(ACCOUNTS):
                account = make_account(name=f"Account {n}")
                post_message(account["id"], "The new reports are helpful, thanks.")
                suggestion = roll_up(client, emea_csm[1], account["id"])
                for label in FLIPS:
                    set_pulse(client, emea_csm[1], suggestion, label)
            with Session(engine) as session:
                events = session.exec(select(func.count()).select_from(Event)).one()
            assert events == ACCOUNTS * len(FLIPS)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with Session(engine) as session:
                    open_jobs = session.exec(select(func.count()).select_from(Job).where(Job.kind == JobKind.WEBHOOK)
                                             .where(col(Job.status) != JobStatus.DONE)).one()
                if open_jobs == 0:
                    break
                time.sleep(0.2)
        finally:
            codes = [processes.stop(worker, grace_s=30) for worker in workers]
            assert codes == [0, 0], f"a worker did not stop cleanly on SIGTERM: {codes}"
        assert open_jobs == 0, f"{open_jobs} deliveries not done in 90 s"

    delivered = receiver.delivered_ids()
    assert receiver.bad_signatures == 0
    assert len(delivered) == events and set(delivered.values()) == {1}  # every event, once
    assert set(receiver.attempts.values()) == {3}  # two refusals, then the delivery
    # Both workers took part: each logged some of the deliveries it finished.
    per_worker = [len(re.findall(r"job done", log.read_text())) for log in logs]
    assert sum(per_worker) == events and min(per_worker) > 0, per_worker
