"""Keeping up with sources: a worker (or `pulse sources sync`) reads each due source's new messages and ingests
them exactly as `pulse ingest` does.

One read is one bounded step: a lease on the source (api.sources.service), at most PULSE_SOURCE_STEP_MESSAGES
messages through the same matching, agent-domain skip, cleaning, scoring and idempotent storage as files
(api.intake.ingest), then the checkpoint, counters and health written by the lease holder alone. Messages are
stored before the checkpoint moves past them, so a crash between the two re-reads a few messages, which the
store's idempotency (Message-ID per account) keeps once: exactly once across restarts, re-runs and workers.

A read that fails (wrong password, no server, a vanished folder, a variable not set) becomes the source's
`last_error`, with the next try backed off from 60 s, doubling, up to an hour; after an hour of failures one
`source.failing` event is recorded. The worker and every other source carry on.

Each kind of source is a function from the source, the settings and its secret to a reader (READERS): an IMAP
mailbox, and Zendesk's incremental export (pipelines/ingest/zendesk_incremental.py, one page of changed tickets
a step, its cursor the checkpoint).
"""

from __future__ import annotations

import copy
import imaplib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.config import Settings
from api.db import utcnow
from api.intake.ingest import IngestReport, ingest
from api.jobs import deliveries
from api.jobs.service import backoff
from api.observability import safe_error
from api.sources import service as sources
from api.sources.models import Source, SourceKind
from models.classifier import Classifier
from pipelines.ingest.fetch import FetchError, FetchLimits
from pipelines.ingest.imap import Mailbox, MailboxError, MailboxReader
from pipelines.ingest.records import Record
from pipelines.ingest.zendesk_incremental import ZendeskReader

FAILING_AFTER = timedelta(hours=1)
RETRY_BASE_S = 60.0
RETRY_MAX_S = 3600.0
MATCH_ORDER = ("external_id", "name", "domain")


class SourceError(Exception):
    """A source that cannot be read now, in words safe to store and show (no secret)."""


class SourceReader(Protocol):
    """What a kind of source gives a read: records from its checkpoint on, and how far it got."""

    checkpoint: dict[str, Any]
    more: bool
    too_large: int
    notes: list[str]

    def records(self) -> Iterator[Record]:
        """The step's messages (and notices about those not read), moving `checkpoint` past each."""
        ...


def imap_reader(source: Source, settings: Settings, secret: str) -> SourceReader:
    """An IMAP mailbox's next step."""
    return MailboxReader(Mailbox.from_config(source.config), secret, copy.deepcopy(source.checkpoint),
                         budget=settings.source_step_messages, max_bytes=settings.source_max_message_bytes,
                         timeout_s=settings.source_timeout_s,
                         ca_file=str(settings.imap_ca_file) if settings.imap_ca_file else None)


def zendesk_reader(source: Source, settings: Settings, secret: str) -> SourceReader:
    """A Zendesk account's next page of changed tickets, from its cursor; a rate limit longer than 30 s ends the
    read (the source backs off) rather than holding the lease."""
    return ZendeskReader(source.config, secret, copy.deepcopy(source.checkpoint),
                         fetch=FetchLimits(timeout_s=settings.source_timeout_s, max_wait_s=30.0))


READERS: dict[str, Callable[[Source, Settings, str], SourceReader]] = {SourceKind.IMAP.value: imap_reader,
                                                                        SourceKind.ZENDESK.value: zendesk_reader}


@dataclass
class Step:
    """What one read of one source did."""

    source_id: int
    ok: bool
    more: bool = False
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    lease_lost: bool = False
    seconds: dict[str, float] = field(default_factory=dict)  # by stage: fetch (server and network), parse, …


def secret_of(source: Source) -> str:
    """The password or token, from the environment variable the source names."""
    name = source.credential_env or ""
    value = os.environ.get(name) if name else None
    if not value:
        raise SourceError(f"the environment variable {name or '(none named)'} is not set in this worker's "
                          "environment; set it where `pulse worker` and `pulse serve` run")
    return value


def read_once(session: Session, source: Source, *, settings: Settings, classifier: Callable[[], Classifier],
              worker: str) -> Step:
    """One bounded read of a leased source, its outcome recorded; a failure never escapes."""
    assert source.id is not None
    try:
        secret = secret_of(source)
        make = READERS.get(source.kind)
        if make is None:
            raise SourceError(f"this version of Pulse cannot read {source.kind!r} sources")
        reader = make(source, settings, secret)
        report = ingest(session=session, records=reader.records(), classifier=classifier(), settings=settings,
                        match_order=list(MATCH_ORDER), team=source.team)
    except (SourceError, MailboxError, FetchError) as error:
        return _failed(session, source, settings, worker, str(error))
    except (OSError, imaplib.IMAP4.error) as error:  # the connection broke in the middle of a read
        return _failed(session, source, settings, worker, f"{source.name}: the connection failed while reading "
                                                          f"({type(error).__name__}: {safe_error(error)[:200]})")
    except Exception as error:  # noqa: BLE001 - one source's failure is its own, never the worker's
        return _failed(session, source, settings, worker, f"{type(error).__name__}: {safe_error(error)[:500]}")
    return _succeeded(session, source, settings, worker, reader, report)


def outcome_counts(report: IngestReport, too_large: int) -> dict[str, int]:
    """A read's messages in the source's four counters (already_present counts nowhere: it was stored before)."""
    c = report.counts
    return {"stored": c["created"], "unmatched": c["unmatched"], "errors": c["errors"],
            "skipped": c["ours_skipped"] + c["empty_after_cleaning"] + too_large}


def _succeeded(session: Session, source: Source, settings: Settings, worker: str, reader: SourceReader,
               report: IngestReport) -> Step:
    assert source.id is not None
    now = utcnow()
    counts = outcome_counts(report, reader.too_large)
    summary = {k: v for k, v in report.summary().items() if k != "seconds"}
    shown = {"at": now.isoformat(), **summary, "too_large": reader.too_large, "notes": reader.notes[:20],
             "unmatched_shown": report.unmatched[:20]}
    values = {"checkpoint": reader.checkpoint, "last_sync_at": now, "last_error": None, "failing_since": None,
              "failures": 0, "failing_reported": False, "last_report": shown,
              "next_poll_at": now if reader.more else now + timedelta(seconds=settings.source_poll_s)}
    held = sources.finish(session, source, worker=worker, values=values, counts=counts)
    session.commit()
    return Step(source.id, ok=True, more=reader.more and held, counts=counts, report=shown, lease_lost=not held,
                seconds=_stages(report.seconds, getattr(reader, "parse_s", None)))


def _stages(seconds: dict[str, float], parse_s: float | None) -> dict[str, float]:
    """Ingestion's stages, its `parse` (the time spent drawing records) split into fetch and parse when the
    reader timed its parsing."""
    if parse_s is None:
        return dict(seconds)
    drawn = seconds.get("parse", 0.0)
    return {**seconds, "fetch": max(drawn - parse_s, 0.0), "parse": min(parse_s, drawn)}


def _failed(session: Session, source: Source, settings: Settings, worker: str, message: str) -> Step:
    assert source.id is not None
    session.rollback()
    now = utcnow()
    failures = source.failures + 1
    since = source.failing_since or now
    report_now = not source.failing_reported and now - since >= FAILING_AFTER
    values = {"last_error": message[:2000], "failures": failures, "failing_since": since,
              "failing_reported": source.failing_reported or report_now,
              "next_poll_at": now + timedelta(seconds=backoff(failures, RETRY_BASE_S, RETRY_MAX_S))}
    held = sources.finish(session, source, worker=worker, values=values)
    if held and report_now:
        _record_failing(session, source, since, message, failures, settings)
    session.commit()
    return Step(source.id, ok=False, error=message, lease_lost=not held)


def _record_failing(session: Session, source: Source, since: datetime, message: str, failures: int,
                    settings: Settings) -> None:
    deliveries.emit_source_failing(
        session, source={"id": source.id, "kind": source.kind, "name": source.name, "team": source.team},
        failing={"since": since.isoformat(), "last_error": message[:500], "failures": failures},
        max_attempts=settings.webhook_max_attempts)


def read_due(engine: Engine, settings: Settings, classifier: Callable[[Session], Classifier], *, worker: str,
             source_id: int | None = None, limit: int = 4) -> list[Step]:
    """Lease the due sources (or the one named), read each once, and record how it went."""
    with Session(engine, expire_on_commit=False) as session:
        claimed = sources.claim(session, worker=worker, lease_s=settings.job_lease_s, source_id=source_id,
                                limit=limit)
        session.commit()  # the lease stands before any read: other workers skip these sources now
        return [read_once(session, source, settings=settings, classifier=lambda: classifier(session),
                          worker=worker) for source in claimed]


def read_all(engine: Engine, settings: Settings, classifier: Callable[[Session], Classifier], *, worker: str,
             source_id: int, max_steps: int = 10_000) -> list[Step]:
    """Read one source until it has nothing new (or fails), step by step; [] if another worker holds it."""
    steps: list[Step] = []
    while len(steps) < max_steps:
        step = read_due(engine, settings, classifier, worker=worker, source_id=source_id, limit=1)
        steps.extend(step)
        if not step or not step[0].more:
            break
    return steps
