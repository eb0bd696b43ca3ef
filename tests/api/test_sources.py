"""Mailbox sources against a real Dovecot: first and incremental reads, restarts, two workers, UIDVALIDITY,
oversize messages, TLS and the worker's loop, on SQLite and PostgreSQL."""

from __future__ import annotations

import imaplib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.config import Settings
from api.db import make_engine, utcnow
from api.intake import sources as flow
from api.model_versions.holder import ModelHolder
from api.sources import service as sources
from api.sources.models import Source
from pipelines.ingest import imap as imap_reading
from tests import imap
from tests.api.sources_support import (  # noqa: F401 - fixtures
    add_source,
    holder_fixture,
    mailbox_fixture,
    message,
    row,
    stored,
    sync,
    world_fixture,
)
from tests.imap import (
    dovecot_fixture,  # noqa: F401 - the dovecot fixture
    throwaway_server,
)


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
    # And a new process: `pulse sources sync` finds the checkpoint and reads the one message that came since.
    dovecot.append(user, password, [message(5)])
    env = {**os.environ, "PULSE_MODEL_DIR": str(world.model_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([str(Path(sys.executable).parent / "pulse"), "sources", "sync", str(source_id), "--db",
                           world.database_url], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert (report["stored"], report["already_present"], report["steps"]) == (1, 0, 1)
    assert stored(engine) == 6 and row(engine, source_id).stored == 6


@pytest.mark.parametrize("window", [10_000, 2])
def test_a_long_mailbox_is_read_in_bounded_steps(window: int, engine: Engine, world: Settings, holder: ModelHolder,
                                                 dovecot: imap.Dovecot, mailbox: tuple[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imap_reading, "SEARCH_WINDOW", window)  # UIDs searched a few at a time, as in a huge folder
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


def test_an_oauth2_token_signs_in_with_xoauth2(engine: Engine, world: Settings, holder: ModelHolder,
                                               dovecot: imap.Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Dovecot of its own (the run's one skips or fails where none is installed) whose XOAUTH2 tokens are
    checked against a local token-info endpoint, as a provider's are."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class TokenInfo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            good = self.path.endswith("=ya29.good-token")
            body = json.dumps({"username": "alice"} if good else {"error": "invalid_token"}).encode()
            self.send_response(200 if good else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    tokens = ThreadingHTTPServer(("127.0.0.1", 0), TokenInfo)
    threading.Thread(target=tokens.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{tokens.server_address[1]}/tokeninfo?access_token="
    try:
        with throwaway_server(tokeninfo_url=url) as server:
            server.append("alice", server.password, [message(1)])
            monkeypatch.setenv("PULSE_TEST_TOKEN", "ya29.good-token")
            source_id = add_source(engine, server, "alice", password_env=None, oauth2_token_env="PULSE_TEST_TOKEN")
            [step] = sync(engine, world, holder, source_id)
            assert step.ok and step.counts["stored"] == 1, step.error
            monkeypatch.setenv("PULSE_TEST_TOKEN", "ya29.expired-token")
            expired = add_source(engine, server, "alice", password_env=None, oauth2_token_env="PULSE_TEST_TOKEN")
            [step] = sync(engine, world, holder, expired)
            assert not step.ok and step.error is not None and "sign-in as 'alice' refused" in step.error
            assert "expired-token" not in step.error
    finally:
        tokens.shutdown()


def test_a_literal_over_the_limit_ends_the_read_instead_of_filling_memory(dovecot: imap.Dovecot,
                                                                          mailbox: tuple[str, str]) -> None:
    user, password = mailbox
    dovecot.append(user, password, [message(1, body="x" * 5000)])
    box = imap_reading.mailbox_from_url(f"imap://{user}@127.0.0.1:{dovecot.port}/INBOX", tls="none")
    conn = imap_reading.connect(box, password, timeout_s=10, max_literal=1000)  # as if the server lied about sizes
    conn.select("INBOX", readonly=True)
    with pytest.raises(imaplib.IMAP4.abort, match="5,[0-9]{3}-byte literal, over the 1,000-byte limit"):
        conn.uid("FETCH", "1", "(BODY.PEEK[])")
