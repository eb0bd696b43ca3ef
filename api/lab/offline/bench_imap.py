"""`pulse bench-ingest --imap`: a mailbox source read end to end from a local Dovecot, timed.

A throwaway Dovecot (api.lab.offline.dovecot) holds the benchmark's generated mail (the same messages as the
mbox of `pulse bench-ingest`: signed, half HTML, half with a quoted reply), put in its Maildir at once. The
source is read to the end as a worker reads it (api.intake.sources: steps of PULSE_SOURCE_STEP_MESSAGES, each
leased, ingested and checkpointed), then `incremental` more messages arrive by IMAP APPEND and it is read
again. Each figure says where its time went: fetch (the server and the network: sign-in, SELECT, which
indexes a new folder, UID SEARCH, sizes, bodies), parse, match, clean, score, store, and the rest (leases,
checkpoints, commits).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from api.config import Settings
from api.db import make_engine, migrate
from api.intake import sources as reads
from api.lab.offline.bench_ingest import mail_message, seed
from api.lab.offline.dovecot import throwaway_server
from api.model_versions.holder import ModelHolder
from api.sources import service as sources
from api.sources.models import SourceCreate

VARIABLE = "PULSE_BENCH_IMAP_PASSWORD"


def run(directory: Path, messages: int, settings: Settings, *, incremental: int = 100, accounts: int = 200,
        progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fill a local Dovecot with `messages`, read it as a source, add `incremental` and read again; the figures."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "bench-imap.db"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    migrate(url)
    engine = make_engine(url)
    rng = random.Random(11)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    mail = [bytes(mail_message(rng, n, accounts, start)) for n in range(messages + incremental)]
    holder = ModelHolder(settings.serving())
    try:
        with Session(engine) as session, throwaway_server() as server:
            version = seed(session, settings, accounts)
            holder.active(session).predict_proba(["warm-up"])  # model start-up is not part of reading mail
            user, password = server.add_user()
            server.fill(user, mail[:messages])
            os.environ[VARIABLE] = password
            source = sources.create(session, SourceCreate(url=f"imap://{user}@127.0.0.1:{server.port}/INBOX",
                                                          tls="none", team="emea", password_env=VARIABLE))
            session.commit()
            assert source.id is not None
            first = _read(engine, settings, holder, source.id, progress)
            server.append(user, password, mail[messages:])
            later = _read(engine, settings, holder, source.id, progress)
    finally:
        os.environ.pop(VARIABLE, None)
        engine.dispose()
    return {"messages": messages, "incremental": incremental, "model_version": version,
            "step_messages": settings.source_step_messages, "first_sync": first, "incremental_sync": later}


def _read(engine: Any, settings: Settings, holder: ModelHolder, source_id: int,
          progress: Callable[[int], None] | None) -> dict[str, Any]:
    """Read the source to its end, step by step, as a worker does; messages/s and each stage's share."""
    started = time.perf_counter()
    steps: list[reads.Step] = []
    while True:
        step = reads.read_due(engine, settings, holder.active, worker="bench", source_id=source_id, limit=1)
        steps += step
        if progress and step:
            progress(step[0].report.get("read", 0))
        if not step or not step[0].more:
            break
    seconds = time.perf_counter() - started
    if not steps[-1].ok:
        raise RuntimeError(f"the source could not be read: {steps[-1].error}")
    stages: dict[str, float] = {}
    for done in steps:
        for stage, spent in done.seconds.items():
            stages[stage] = stages.get(stage, 0.0) + spent
    stages["other"] = max(seconds - sum(stages.values()), 0.0)
    read = sum(s.report.get("read", 0) for s in steps)
    return {"read": read, "stored": sum(s.counts.get("stored", 0) for s in steps), "steps": len(steps),
            "seconds": round(seconds, 2), "messages_per_s": round(read / seconds, 1) if seconds else None,
            "stage_seconds": {k: round(v, 2) for k, v in sorted(stages.items())},
            "stage_share": {k: round(v / seconds, 3) for k, v in sorted(stages.items())}}
