"""`pulse bench-ingest`: ingest generated exports end to end (parse, clean, score, store) on SQLite, timed.

The exports are written for the benchmark from Pulse's demo messages: a JSONL export matched by
account id and an mbox archive matched by sender domain, with HTML mail, quoted reply chains and
signatures to strip, so every stage does the work it does on real exports.
"""

from __future__ import annotations

import json
import mailbox
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from api.accounts.models import Account, AccountDomain
from api.config import Settings
from api.db import make_engine, migrate
from api.demo_messages import MESSAGES
from api.intake.ingest import ingest
from api.model_versions.holder import ModelHolder
from api.model_versions.service import ensure_active
from pipelines.ingest.readers import read

CONTACTS = ["Ana Souza", "Ben Okafor", "Chen Wei", "Dana Levi", "Emil Novak", "Fatima Zahra"]
SIGNATURE = "\n\n--\n{contact}\nHead of Operations, {company}\n+44 20 7946 0{n:03d}\n"
QUOTE = ("\n\nOn Mon, 2 Nov 2026 at 09:14, Success Team <success@pulse-vendor.example> wrote:\n"
         "> {earlier}\n> Best,\n> Sam")


def company(n: int) -> str:
    return f"Account {n:04d}"


def write_exports(directory: Path, messages: int, accounts: int, seed: int = 11) -> list[Path]:
    """A JSONL export (70% of the messages) and an mbox archive (30%)."""
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    jsonl, mbox_path = directory / "export.jsonl", directory / "archive.mbox"
    n_mail = messages * 3 // 10
    mbox_path.unlink(missing_ok=True)  # mailbox.mbox appends to an existing archive
    with jsonl.open("w") as handle:
        for n in range(messages - n_mail):
            _, kind, _, body, _ = rng.choice(MESSAGES)
            account = rng.randrange(accounts)
            text = body.format(contact=rng.choice(CONTACTS), company=company(account))
            handle.write(json.dumps({
                "id": f"row-{n}", "account": f"crm-{account:04d}", "kind": kind, "text": text,
                "occurred_at": (start + timedelta(minutes=rng.randrange(250_000))).isoformat()}) + "\n")
    box = mailbox.mbox(mbox_path)
    box.lock()
    try:
        for n in range(n_mail):
            box.add(mail_message(rng, n, accounts, start))
    finally:
        box.flush()
        box.unlock()
        box.close()
    return [jsonl, mbox_path]


def mail_message(rng: random.Random, n: int, accounts: int, start: datetime) -> EmailMessage:
    """One customer's e-mail to an account's domain: signed, half with a quoted reply, half also in HTML."""
    _, _, subject, body, _ = rng.choice(MESSAGES)
    account = rng.randrange(accounts)
    contact = rng.choice(CONTACTS)
    text = body.format(contact=contact, company=company(account))
    text += SIGNATURE.format(contact=contact, company=company(account), n=n % 1000)
    if rng.random() < 0.5:
        text += QUOTE.format(earlier=rng.choice(MESSAGES)[3].format(contact="Sam", company="Pulse"))
    message = EmailMessage()
    message["From"] = f"{contact} <{contact.split()[0].lower()}@acct{account:04d}.example>"
    message["To"] = "success@pulse-vendor.example"
    message["Subject"] = f"Re: {subject}"
    message["Message-ID"] = f"<mail-{n}@acct{account:04d}.example>"
    message["Date"] = format_datetime(start + timedelta(minutes=rng.randrange(250_000)))
    message.set_content(text)
    if rng.random() < 0.5:
        html = "".join(f"<p>{line}</p>" for line in text.split("\n") if line)
        message.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    return message


def seed(session: Session, settings: Settings, accounts: int) -> str:
    """The model version registered and active, and the accounts with their domains; the version's id."""
    assert settings.model_dir is not None
    version = ensure_active(session=session, directory=settings.model_dir).version
    session.commit()  # records flush; whoever calls them commits
    for n in range(accounts):
        account = Account(name=company(n), team="emea", external_id=f"crm-{n:04d}")
        session.add(account)
        session.flush()
        session.add(AccountDomain(domain=f"acct{n:04d}.example", account_id=account.id or 0))
    session.commit()
    return version


def run(directory: Path, messages: int, settings: Settings, accounts: int = 200, explained: bool = True,
        batch_size: int = 64, progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """Generate the exports and a fresh SQLite database in `directory`, ingest, and report the figures."""
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / 'bench-ingest.db'}"
    (directory / "bench-ingest.db").unlink(missing_ok=True)
    paths = write_exports(directory, messages, accounts)
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        version = seed(session, settings, accounts)
        classifier = ModelHolder(settings.serving()).active(session)
        classifier.predict_proba(["warm-up"])  # model start-up is not part of ingestion
        started = time.perf_counter()
        report = ingest(session=session, records=(r for path in paths for r in read(path)), classifier=classifier,
                        settings=settings, match_order=["external_id", "domain"], team=None, progress=progress,
                        batch_size=batch_size, explained=explained)
        seconds = time.perf_counter() - started
    engine.dispose()
    stages = report.seconds
    total_stages = sum(stages.values())
    return {
        "messages": messages, "model_version": version, "explanations": explained, "batch_size": batch_size,
        "seconds": round(seconds, 2), "messages_per_s": round(messages / seconds, 1),
        "stage_seconds": {k: round(v, 2) for k, v in sorted(stages.items())},
        "stage_share": {k: round(v / total_stages, 3) for k, v in sorted(stages.items())},
        "outcomes": {k: v for k, v in report.summary().items() if k not in ("errors_shown", "seconds")},
    }
