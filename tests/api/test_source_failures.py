"""Mailbox sources that cannot be read: a wrong password, a server down, a vanished folder, a missing variable,
an untrusted certificate; back-off, and the source.failing event after an hour, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.config import Settings
from api.db import utcnow
from api.events import service as events
from api.events.models import Event
from api.intake import sources as flow
from api.model_versions.holder import ModelHolder
from api.sources import service as sources
from api.sources.models import Source
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
from tests.imap import dovecot_fixture  # noqa: F401 - the dovecot fixture


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
        closed = imap.free_port()
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


