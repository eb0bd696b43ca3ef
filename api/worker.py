"""`pulse worker`: takes jobs from the database and runs them — webhook deliveries, roll-ups, backfill scoring —
and reads the mailbox sources that are due (api.intake.sources), one bounded step at a time between jobs.

Any number of workers, on any number of machines, can share one PostgreSQL: each claims jobs with
`FOR UPDATE SKIP LOCKED` (see api.jobs.service). `pulse serve` also runs one in a thread unless
PULSE_EMBEDDED_WORKER=false, so a single-machine install needs no second process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.accounts.models import Account
from api.config import Settings
from api.db import utcnow
from api.events import service as events
from api.intake import backfill
from api.intake import sources as source_reads
from api.jobs import deliveries
from api.jobs import service as jobs
from api.jobs.models import Job, JobKind, JobStatus
from api.lab import challengers
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion
from api.observability import safe_error
from api.pulse import overdue, rollup

log = logging.getLogger("pulse.worker")
SOURCE_CHECK_S = 5.0  # how often a worker looks for due sources (one indexed query); each has its own cadence
# httpx logs every request's full URL at INFO, credentials and query included: webhook URLs may carry secrets.
logging.getLogger("httpx").setLevel(logging.WARNING)


class PermanentJobError(Exception):
    """A failure that retrying cannot mend: the job is marked dead at once."""


class Worker:
    """Claims ready jobs, runs each, and records done, retry-later or dead."""

    def __init__(self, engine: Engine, settings: Settings, *, name: str | None = None,
                 kinds: list[JobKind] | None = None, models: ModelHolder | None = None, batch: int = 8,
                 sources: bool = True) -> None:
        self.engine = engine
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10_000}"
        self.kinds = list(JobKind) if kinds is None else kinds
        self.models = models or ModelHolder(settings.serving())
        self.batch = batch
        self.sources = sources
        self.handlers: dict[JobKind, Callable[[Session, Job], str | None]] = {
            JobKind.WEBHOOK: self.deliver, JobKind.ROLLUP: self.roll_up, JobKind.SCORE: self.score,
            JobKind.ADAPT: self.adapt}

    def run_once(self) -> int:
        """Claim one batch of ready jobs and run them; returns how many were claimed."""
        with Session(self.engine, expire_on_commit=False) as session:
            claimed = jobs.claim(session, worker=self.name, kinds=self.kinds, limit=self.batch,
                                 lease_s=self.settings.job_lease_s)
            session.commit()  # the claim stands before any job runs: other workers skip these now
            for job in claimed:
                self.run_job(session, job)
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set, sleeping `worker_poll_s` whenever no job is ready."""
        log.info("worker started", extra={"worker": self.name, "kinds": [k.value for k in self.kinds]})
        next_sweep = next_count = next_sources = time.monotonic()
        while not stop.is_set():
            more = False
            if self.sources and time.monotonic() >= next_sources:
                more = self.read_sources()
                next_sources = time.monotonic() + (0 if more else SOURCE_CHECK_S)
            if self.settings.overdue_sweep_s and time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.settings.overdue_sweep_s
                self.sweep_overdue()
            if self.settings.adapt_every and JobKind.ADAPT in self.kinds and time.monotonic() >= next_count:
                next_count = time.monotonic() + self.settings.adapt_check_s
                self.queue_adapting()
            try:
                busy = self.run_once()
            except Exception:  # a lost database connection must not end the worker
                log.exception("worker loop failed; retrying", extra={"worker": self.name})
                busy = 0
            if not busy and not more:
                stop.wait(self.settings.worker_poll_s)
        log.info("worker stopped", extra={"worker": self.name})

    def sweep_overdue(self) -> int:
        """Record a pulse.overdue event for each account newly past its due date; a failure is logged."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                recorded = overdue.sweep(session, self.settings, utcnow().date())
        except Exception:  # noqa: BLE001 - the sweep must not end the worker
            log.exception("overdue sweep failed", extra={"worker": self.name})
            return 0
        if recorded:
            log.info("overdue accounts", extra={"worker": self.name, "recorded": recorded})
        return recorded

    def read_sources(self) -> bool:
        """Read each due source one bounded step; True if one has more to read at once. A source's failure is
        recorded on it; a failure here (the database) is logged."""
        try:
            steps = source_reads.read_due(self.engine, self.settings, self.models.active, worker=self.name)
        except Exception:  # noqa: BLE001 - reading sources must not end the worker
            log.exception("source reads failed", extra={"worker": self.name})
            return False
        for step in steps:
            level = logging.INFO if step.ok else logging.WARNING
            log.log(level, "source read", extra={"worker": self.name, "source_id": step.source_id, "ok": step.ok,
                                                 "error": step.error, **step.counts})
        return any(step.more for step in steps)

    def queue_adapting(self) -> bool:
        """Queue a challenger's build once PULSE_ADAPT_EVERY labels were confirmed since the last; a failure is
        logged."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                queued = challengers.enqueue_if_due(session, self.settings)
                session.commit()
        except Exception:  # noqa: BLE001 - counting must not end the worker
            log.exception("adapt check failed", extra={"worker": self.name})
            return False
        if queued is not None:
            log.info("adapting queued", extra={"worker": self.name, "labels": queued.payload["labels"]})
        return queued is not None

    def adapt(self, session: Session, job: Job) -> str:
        """Build a challenger from the confirmed labels (in a child process) and put it in shadow."""
        return challengers.run_job(session, self.settings, self.models, job)

    def run_job(self, session: Session, job: Job) -> None:
        """Run one claimed job and record the outcome; a failure never escapes."""
        started = time.perf_counter()
        context = {"worker": self.name, "job_id": job.id, "kind": job.kind, "attempt": job.attempts}
        try:
            note = self.handlers[job.kind](session, job)
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the job
            session.rollback()
            message = safe_error(error)[:2000]
            status = jobs.fail(session, job, worker=self.name, error=message,
                               base_s=self.settings.webhook_retry_base_s, max_s=self.settings.webhook_retry_max_s,
                               permanent=isinstance(error, PermanentJobError))
            session.commit()
            level = logging.ERROR if status == JobStatus.DEAD else logging.WARNING
            log.log(level, "job failed", extra={**context, "error": message, "now": status})
            return
        finished = jobs.complete(session, job, worker=self.name)
        session.commit()
        if finished:
            log.info("job done", extra={**context, "ms": round((time.perf_counter() - started) * 1000, 1),
                                        "note": note})
        else:
            log.warning("job lease lost before it finished; another worker ran it again", extra=context)

    def deliver(self, session: Session, job: Job) -> str:
        """POST an event to an endpoint, signed; a non-2xx answer or a network error is retried."""
        event, endpoint = deliveries.endpoint_of(session, job)
        if not endpoint.active:
            raise PermanentJobError(f"webhook {endpoint.id} was deactivated")
        payload = events.body(event, endpoint.format)
        headers = {"Content-Type": "application/json", "X-Pulse-Event": event.type,
                   "X-Pulse-Event-Id": str(event.id), "X-Pulse-Delivery": str(job.id),
                   "X-Pulse-Attempt": str(job.attempts), events.SIGNATURE_HEADER: events.sign(endpoint.secret, payload)}
        shown = events.display_url(endpoint.url)  # never the credentials or query, in logs or last_error
        refused = events.refused_destination(endpoint.url, self.settings.webhook_allow_private)
        if refused is not None:  # checked again here: the name may resolve elsewhere now
            raise PermanentJobError(refused)
        status = self._post(endpoint.url, payload, headers, shown)
        if status == 410:
            raise PermanentJobError(f"{shown} answered 410 Gone")
        if not 200 <= status < 300:
            raise RuntimeError(f"{shown} answered {status}")
        return f"delivered to {shown}"

    def _post(self, url: str, payload: bytes, headers: dict[str, str], shown: str) -> int:
        """POST and return the answer's status, within webhook_timeout_s overall; the answer's body is never read.

        httpx's timeouts bound each read, so a receiver sending a byte every few seconds would hold the
        worker for ever: a timer closes the connection when the delivery's time is up. Redirects are not
        followed.
        """
        limit = self.settings.webhook_timeout_s
        client = httpx.Client(timeout=limit, follow_redirects=False, headers={"User-Agent": "Pulse-Webhooks/1.0"})
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            client.close()

        timer = threading.Timer(limit, expire)
        timer.start()
        try:
            with client.stream("POST", url, content=payload, headers=headers) as response:
                return response.status_code
        except Exception as error:  # noqa: BLE001 - a closed client may raise beyond httpx's own errors
            if expired.is_set():
                raise RuntimeError(f"{shown}: no answer within {limit:g} s") from None
            raise RuntimeError(f"{shown}: {type(error).__name__}") from None
        finally:
            timer.cancel()
            client.close()

    def roll_up(self, session: Session, job: Job) -> str:
        """Refresh an account's roll-up, unless one made after this request already covers its text."""
        account = session.get(Account, job.payload["account_id"])
        if account is None:
            raise PermanentJobError(f"account {job.payload['account_id']} no longer exists")
        return rollup.refresh(session=session, account=account, requested_at=job.created_at,
                              classifier=lambda: self.models.active(session), settings=self.settings)

    def score(self, session: Session, job: Job) -> str:
        """Score the listed interactions with a model version (backfill or shadow); see api.intake.backfill."""
        version = session.get(ModelVersion, job.payload["model_version"])
        if version is None:
            raise PermanentJobError(f"model version {job.payload['model_version']!r} is not registered")
        ids = [int(i) for i in job.payload["interaction_ids"]]
        return backfill.score(session, version=version, interaction_ids=ids, shadow=bool(job.payload.get("shadow")),
                              models=self.models, blind_share=self.settings.blind_share)


def start_in_thread(engine: Engine, settings: Settings, models: ModelHolder) -> tuple[threading.Thread,
                                                                                       threading.Event]:
    """Run a worker beside the web server (the single-machine default)."""
    stop = threading.Event()
    worker = Worker(engine, settings, models=models)
    thread = threading.Thread(target=worker.run, args=(stop,), name="pulse-worker", daemon=True)
    thread.start()
    return thread, stop
