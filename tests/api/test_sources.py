"""Mailbox sources against a real Dovecot: first and incremental reads, restarts, two workers, UIDVALIDITY,
failures with back-off, the failing event, TLS and oversize messages, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.config import Settings
from api.db import make_engine, utcnow
from api.events import service as events
from api.events.models import Event
from api.intake import sources as flow
from api.interactions.models import Interaction
from api.model_versions.holder import ModelHolder
from api.sources import service as sources
from api.sources.models import Source, SourceCreate
from api.users import service as users
from api.users.models import Role
from tests import imap
from tests.imap import dovecot_fixture  # noqa: F401 - the dovecot fixture


@pytest.fixture
def mailbox(dovecot: imap.Dovecot, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A fresh mailbox's user, with its password in PULSE_TEST_IMAP_PASSWORD."""
    user, password = dovecot.add_user()
    monkeypatch.setenv("PULSE_TEST_IMAP_PASSWORD", password)
    return user, password


@pytest.fixture
def world(engine: Engine, settings: Settings) -> Settings:
    """Two accounts of team emea, found by their senders' domains; our agents write from pulse-vendor.example."""
    with Session(engine) as session:
        admin, _ = users.create(session=session, name="Admin", role=Role.ADMIN, team=None)
        for name, domain in (("Northwind Logistics", "northwind.example"), ("Bluefin Analytics", "bluefin.example")):
            accounts.create(session=session, user=admin, data=AccountCreate(name=name, team="emea",
                                                                             email_domains=[domain]))
        session.commit()
    return settings.model_copy(update={"agent_domains": ["pulse-vendor.example"]})


@pytest.fixture(scope="module")
def holder(tiny_model: object) -> ModelHolder:
    """One loaded model for the module's reads."""
    from models.options import ServingOptions

    return ModelHolder(ServingOptions())


def message(n: int, sender: str = "ops@northwind.example", body: str | None = None, subject: str | None = None,
            message_id: str | None = None) -> bytes:
    """A customer's e-mail."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "success@pulse-vendor.example"
    mail["Subject"] = subject or f"Update {n}"
    mail["Date"] = format_datetime(utcnow() - timedelta(hours=n))
    mail["Message-ID"] = message_id or f"<m{n}.{os.getpid()}@northwind.example>"
    mail.set_content(body or f"Message {n}: the rollout is going well and the team is happy with the support.")
    return bytes(mail)


def add_source(engine: Engine, dovecot: imap.Dovecot, user: str, folder: str = "INBOX", **fields: object) -> int:
    """A plain-text loopback source for a Dovecot user; its password in PULSE_TEST_IMAP_PASSWORD."""
    data = {"url": f"imap://{user}@127.0.0.1:{dovecot.port}/{folder}", "tls": "none", "team": "emea",
            "password_env": "PULSE_TEST_IMAP_PASSWORD"} | fields
    with Session(engine) as session:
        source = sources.create(session, SourceCreate.model_validate(data))
        session.commit()
        assert source.id is not None
        return source.id


def sync(engine: Engine, settings: Settings, holder: ModelHolder, source_id: int,
         worker: str = "w1") -> list[flow.Step]:
    return flow.read_all(engine, settings, holder.active, worker=worker, source_id=source_id)


def row(engine: Engine, source_id: int) -> Source:
    with Session(engine) as session:
        found = session.get(Source, source_id)
        assert found is not None
        return found


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Interaction)).one())


Sync = Callable[..., list[flow.Step]]


def test_first_incremental_and_restart_read_each_message_once(engine: Engine, world: Settings, holder: ModelHolder,
                                                              dovecot: imap.Dovecot,
                                                              mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    dovecot.append(user, password, [message(n) for n in range(3)])
    source_id = add_source(engine, dovecot, user)
    [step] = sync(engine, world, holder, source_id)
    assert step.ok and step.counts == {"stored": 3, "unmatched": 0, "errors": 0, "skipped": 0}
    first = row(engine, source_id)
    assert first.checkpoint["folders"]["INBOX"]["last_uid"] == 3
    assert first.last_sync_at is not None and first.last_error is None and first.stored == 3
    assert first.next_poll_at >= utcnow() + timedelta(seconds=world.source_poll_s - 5)

    dovecot.append(user, password, [message(n) for n in range(3, 5)])
    [step] = sync(engine, world, holder, source_id)
    assert step.counts["stored"] == 2 and step.report["read"] == 2  # only what is new is fetched
    # A restart: a new engine, model holder and worker name; the checkpoint in the database is all that holds.
    again = make_engine(world.database_url)
    try:
        [step] = flow.read_all(again, world, ModelHolder(world.serving()).active, worker="w-restarted",
                               source_id=source_id)
    finally:
        again.dispose()
    assert step.ok and step.report["read"] == 0
    assert stored(engine) == 5 and row(engine, source_id).stored == 5


def test_a_long_mailbox_is_read_in_bounded_steps(engine: Engine, world: Settings, holder: ModelHolder,
                                                 dovecot: imap.Dovecot, mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    dovecot.append(user, password, [message(n) for n in range(5)])
    source_id = add_source(engine, dovecot, user)
    small = world.model_copy(update={"source_step_messages": 2})
    [first] = flow.read_due(engine, small, holder.active, worker="w1", source_id=source_id)
    assert first.more and first.counts["stored"] == 2
    assert row(engine, source_id).next_poll_at <= utcnow()  # due again at once: the rest follows the worker's jobs
    steps = sync(engine, small, holder, source_id)
    assert [s.counts["stored"] for s in steps] == [2, 1] and stored(engine) == 5


def test_two_workers_at_once_store_each_message_once(engine: Engine, world: Settings, holder: ModelHolder,
                                                     dovecot: imap.Dovecot, mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    dovecot.append(user, password, [message(n) for n in range(30)])
    source_id = add_source(engine, dovecot, user)
    with Session(engine) as session:  # a lease keeps a second worker off a source being read
        assert [s.id for s in sources.claim(session, worker="a", lease_s=60, source_id=source_id)] == [source_id]
        session.commit()
        assert sources.claim(session, worker="b", lease_s=60, source_id=source_id) == []
        assert sources.claim(session, worker="b", lease_s=60) == []
        held = session.get(Source, source_id)
        assert held is not None and sources.finish(session, held, worker="a", values={})
        session.commit()
    small = world.model_copy(update={"source_step_messages": 4})
    results: dict[str, list[flow.Step]] = {}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        steps: list[flow.Step] = []
        for _ in range(1000):  # as the poll loop does: read again while there is more; wait while the other reads
            got = flow.read_due(engine, small, holder.active, worker=name, source_id=source_id, limit=1)
            steps += got
            if got and not got[0].more:
                break
            if not got:
                time.sleep(0.02)
        results[name] = steps

    threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert stored(engine) == 30
    assert sum(s.counts.get("stored", 0) for steps in results.values() for s in steps) == 30
    assert row(engine, source_id).stored == 30


def test_a_new_uidvalidity_reads_the_folder_again_without_duplicates(engine: Engine, world: Settings,
                                                                     holder: ModelHolder, dovecot: imap.Dovecot,
                                                                     mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    conn = dovecot.client(user, password)
    conn.create("Support")
    conn.logout()
    dovecot.append(user, password, [message(n) for n in range(2)], folder="Support")
    source_id = add_source(engine, dovecot, user, folder="Support")
    sync(engine, world, holder, source_id)
    before = row(engine, source_id).checkpoint["folders"]["Support"]["uidvalidity"]
    dovecot.recreate(user, password, "Support")
    dovecot.append(user, password, [message(n) for n in range(3)], folder="Support")
    [step] = sync(engine, world, holder, source_id)
    after = row(engine, source_id).checkpoint["folders"]["Support"]
    assert after["uidvalidity"] != before and after["last_uid"] == 3
    assert step.report["read"] == 3 and step.report.get("already_present") == 2 and step.counts["stored"] == 1
    assert "UIDVALIDITY changed" in step.report["notes"][0]
    assert stored(engine) == 3


def test_outcomes_agents_strangers_and_a_20_mb_message(engine: Engine, world: Settings, holder: ModelHolder,
                                                       dovecot: imap.Dovecot, mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    huge = message(9, subject="Quarterly export attached", body="x" * (20 * 1024 * 1024))
    dovecot.append(user, password, [message(1), message(2, sender="agent@pulse-vendor.example"),
                                    message(3, sender="someone@elsewhere.example"), huge, message(4)])
    source_id = add_source(engine, dovecot, user)
    [step] = sync(engine, world, holder, source_id)
    assert step.counts == {"stored": 2, "unmatched": 1, "errors": 0, "skipped": 2}
    assert step.report["too_large"] == 1 and step.report["ours_skipped"] == 1
    [warning] = step.report["warnings"]
    assert warning["source"].endswith("/INBOX;UID=4")
    assert "over the 10,485,760-byte limit" in warning["warning"] and "Quarterly export attached" in warning["warning"]
    assert "sender domain 'elsewhere.example' belongs to no account" in step.report["unmatched_shown"][0]["reason"]
    assert row(engine, source_id).checkpoint["folders"]["INBOX"]["last_uid"] == 5


def failing_read(engine: Engine, settings: Settings, holder: ModelHolder, source_id: int) -> Source:
    with Session(engine) as session:  # due now, back-off or not
        sources.poll_now(session, source_id)
        session.commit()
    [step] = flow.read_due(engine, settings, holder.active, worker="w1", source_id=source_id)
    assert not step.ok and step.error
    return row(engine, source_id)


def test_a_wrong_password_backs_off_and_other_sources_carry_on(engine: Engine, world: Settings, holder: ModelHolder,
                                                               dovecot: imap.Dovecot, mailbox: tuple[str, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    user, password = mailbox
    dovecot.append(user, password, [message(1)])
    good = add_source(engine, dovecot, user)
    monkeypatch.setenv("PULSE_TEST_WRONG", "not-the-password-" + password)
    bad = add_source(engine, dovecot, user, password_env="PULSE_TEST_WRONG")
    steps = flow.read_due(engine, world, holder.active, worker="w1")  # both are due: one fails, one reads
    assert {s.source_id: s.ok for s in steps} == {good: True, bad: False}
    first = row(engine, bad)
    assert first.last_error is not None and "sign-in as" in first.last_error and "refused" in first.last_error
    assert password not in first.last_error and first.failures == 1 and first.failing_since is not None
    assert timedelta(seconds=40) <= first.next_poll_at - utcnow() <= timedelta(seconds=80)
    second = failing_read(engine, world, holder, bad)
    assert second.failures == 2 and second.next_poll_at - utcnow() >= timedelta(seconds=85)
    assert second.failing_since == first.failing_since and stored(engine) == 1
    with Session(engine) as session:
        assert session.exec(select(Event)).all() == []  # failing for minutes, not an hour: no event yet
        assert all(password not in str(sources.public(s).model_dump()) for s in sources.get_all(session))


def test_failing_for_an_hour_records_one_event_and_recovery_clears_it(engine: Engine, world: Settings,
                                                                      holder: ModelHolder, dovecot: imap.Dovecot,
                                                                      mailbox: tuple[str, str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    user, password = mailbox
    monkeypatch.delenv("PULSE_TEST_LATER", raising=False)
    source_id = add_source(engine, dovecot, user, password_env="PULSE_TEST_LATER")
    failing_read(engine, world, holder, source_id)
    with Session(engine) as session:
        found = session.get(Source, source_id)
        assert found is not None
        found.failing_since = utcnow() - timedelta(minutes=61)
        session.add(found)
        session.commit()
    failing_read(engine, world, holder, source_id)
    failing_read(engine, world, holder, source_id)
    with Session(engine) as session:
        [event] = session.exec(select(Event)).all()
    assert event.type == "source.failing" and event.account_id is None
    assert event.payload["source"]["id"] == source_id
    assert "PULSE_TEST_LATER is not set" in event.payload["failing"]["last_error"]
    said = events.message(event, events.slack_text)
    assert said.startswith(f":warning: Pulse: source *imap://{user}@127.0.0.1:{dovecot.port}/INBOX* (team emea) has "
                           "failed to be read since ") and said.endswith("is not set in this worker's environment; "
                                                                         "set it where `pulse worker` and `pulse "
                                                                         "serve` run")
    monkeypatch.setenv("PULSE_TEST_LATER", password)
    [step] = sync(engine, world, holder, source_id)
    healed = row(engine, source_id)
    assert step.ok and healed.last_error is None and healed.failing_since is None and healed.failures == 0
    assert not healed.failing_reported


@pytest.mark.parametrize("case", ["server down", "vanished folder", "variable not set", "untrusted certificate"])
def test_an_unreadable_source_says_why(case: str, engine: Engine, world: Settings, holder: ModelHolder,
                                       dovecot: imap.Dovecot, mailbox: tuple[str, str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    user, _ = mailbox
    if case == "server down":
        closed = imap._free_port()
        source_id = add_source(engine, dovecot, user, url=f"imap://{user}@127.0.0.1:{closed}/INBOX")
        expected = f"127.0.0.1:{closed}: cannot connect"
    elif case == "vanished folder":
        source_id = add_source(engine, dovecot, user, folder="Gone")
        expected = "folder 'Gone' cannot be opened; it may have been deleted or renamed"
    elif case == "variable not set":
        source_id = add_source(engine, dovecot, user, password_env="PULSE_TEST_NOT_SET")
        monkeypatch.delenv("PULSE_TEST_NOT_SET", raising=False)
        expected = "the environment variable PULSE_TEST_NOT_SET is not set"
    else:
        source_id = add_source(engine, dovecot, user, url=f"imaps://{user}@127.0.0.1:{dovecot.tls_port}/INBOX",
                               tls=None)
        expected = "the server's certificate is not trusted"
    failed = failing_read(engine, world, holder, source_id)
    assert failed.last_error is not None and expected in failed.last_error, failed.last_error
    assert failed.failures == 1 and failed.locked_by is None


@pytest.mark.parametrize("tls", ["tls", "starttls"])
def test_tls_verified_against_a_private_ca(tls: str, engine: Engine, world: Settings, holder: ModelHolder,
                                           dovecot: imap.Dovecot, mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    dovecot.append(user, password, [message(1)])
    scheme, port = ("imaps", dovecot.tls_port) if tls == "tls" else ("imap", dovecot.port)
    source_id = add_source(engine, dovecot, user, url=f"{scheme}://{user}@127.0.0.1:{port}/INBOX", tls=None,
                           ca_file=str(dovecot.ca_file))
    [step] = sync(engine, world, holder, source_id)
    assert step.ok and step.counts["stored"] == 1
    # The setting for every source does the same.
    other = add_source(engine, dovecot, user, url=f"{scheme}://{user}@127.0.0.1:{port}/INBOX", tls=None)
    [step] = sync(engine, world.model_copy(update={"imap_ca_file": dovecot.ca_file}), holder, other)
    assert step.ok and step.report["already_present"] == 1


def test_the_worker_reads_due_sources_between_its_jobs(engine: Engine, world: Settings, holder: ModelHolder,
                                                       dovecot: imap.Dovecot, mailbox: tuple[str, str]) -> None:
    from api.jobs.models import Job, JobKind, JobStatus
    from api.worker import Worker

    user, password = mailbox
    dovecot.append(user, password, [message(n) for n in range(5)])
    source_id = add_source(engine, dovecot, user)
    settings = world.model_copy(update={"source_step_messages": 2, "worker_poll_s": 0.05})
    worker = Worker(engine, settings, name="w-loop", models=holder)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and row(engine, source_id).stored < 5:
            time.sleep(0.1)
        while time.monotonic() < deadline:  # the roll-up the new text queued is run by the same loop
            with Session(engine) as session:
                if session.exec(select(Job).where(Job.kind == JobKind.ROLLUP)
                                .where(Job.status == JobStatus.DONE)).first():
                    break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=60)
    read = row(engine, source_id)
    assert read.stored == 5 and stored(engine) == 5 and read.locked_by is None
    assert read.next_poll_at >= utcnow() + timedelta(seconds=settings.source_poll_s - 30)
    with Session(engine) as session:
        assert session.exec(select(Job).where(Job.kind == JobKind.ROLLUP).where(Job.status == JobStatus.DONE)).first()
    idle = Worker(engine, settings, name="w-idle", models=holder)
    assert idle.read_sources() is False and row(engine, source_id).stored == 5  # not due: nothing read
