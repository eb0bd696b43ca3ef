"""Ingestion: matching read messages to accounts and storing them as scored interactions.

A message belongs to an account by the account's external id (the export's `account` column, or a
help-desk organisation translated by an account map), by the organisation's name, or by its sender's
e-mail domain (`email_domains` on the account; a sub-domain matches the nearest enclosing domain),
tried in the configured order.
Messages from our own agents' domains are not customer sentiment: they are counted and skipped.
Nothing is dropped silently: every message ends up created, already present, unmatched (with the
reason, in the report), skipped as ours, empty once cleaned, or an error naming its source.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from api.accounts.models import Account, AccountDomain
from api.config import Settings
from api.errors import PulseError, describe_validation_error
from api.hostile import scrubbed
from api.intake import service as interactions
from api.interactions.models import InteractionCreate, InteractionKind, TimeSource
from api.users import service as users
from api.users.models import Role, User
from models.classifier import Classifier
from pipelines.clean import clean_text
from pipelines.ingest.addresses import enclosing
from pipelines.ingest.readers import BadRecord, Notice, RawMessage, Record

INGEST_USER = "pulse ingest"
AMBIGUOUS_TEAM = "ambiguous_team"
"""The reason code of a message whose candidate accounts span teams (the start of its unmatched reason)."""


@dataclass
class IngestReport:
    """What happened to every message of an ingestion run."""

    counts: Counter[str] = field(default_factory=Counter)  # one outcome per message read
    matched_by: Counter[str] = field(default_factory=Counter)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)  # about the input, not one message
    files_not_read: int = 0  # files named in warnings as not read: read + files_not_read is what was given
    seconds: dict[str, float] = field(default_factory=dict)  # time spent in each stage

    def summary(self) -> dict[str, Any]:
        """Counts by outcome, the files not read, the first errors and warnings (all of them are in `errors` and
        `warnings`), and the seconds spent in each stage."""
        return {"read": sum(self.counts.values()), **dict(sorted(self.counts.items())),
                "files_not_read": self.files_not_read,
                "matched_by": dict(sorted(self.matched_by.items())), "errors_shown": self.errors[:20],
                "warnings": self.warnings[:20], "warnings_total": len(self.warnings),
                "seconds": {k: round(v, 3) for k, v in sorted(self.seconds.items())}}


class Matcher:
    """Finds the account of a message: by external id, name or sender domain, in the configured order,
    within one team.

    The routing rule (README, Security): a sender domain and an account's external id are claims only a lead
    or an admin makes, each naming one account across all teams, so a claim decides the team. Name matches in
    any other team are then ignored, and within the claimed team the configured order picks the account (the
    domain's own account when nothing else in that team matches). Claims of two teams on one message, or with
    no claim names in more than one team, leave the message unmatched as `ambiguous_team`.
    `account_map` translates the keys a help-desk export carries (`zendesk:organization:361`) into
    account external ids.
    """

    def __init__(self, session: Session, order: list[str], team: str | None,
                 account_map: dict[str, str] | None = None) -> None:
        self.order = order
        self.account_map = account_map or {}
        accounts = list(session.exec(select(Account).where(Account.team == team) if team else select(Account)))
        by_external: dict[str, list[Account]] = {}
        by_name: dict[str, list[Account]] = {}
        for account in accounts:
            if account.external_id:
                by_external.setdefault(account.external_id, []).append(account)
            by_name.setdefault(account.name.strip().casefold(), []).append(account)
        self.by_external, self.by_name = by_external, by_name
        teams = {a.id: a.team for a in accounts}
        self.by_domain = {d.domain: (d.account_id, teams[d.account_id]) for d in session.exec(select(AccountDomain))
                          if d.account_id in teams}

    def match(self, message: RawMessage) -> tuple[int | None, str]:
        """(account id, how) or (None, why not)."""
        key = self.account_map.get(message.account, message.account) if message.account else None
        by_external = self.by_external.get(key, []) if key else []
        by_name = self.by_name.get(message.account_name.strip().casefold(), []) if message.account_name else []
        domain = message.sender_domain
        claim = next((self.by_domain[c] for c in (enclosing(domain) if domain else []) if c in self.by_domain), None)
        # Domains and external ids are claims (only leads and admins make them); a name is not. Claims decide the
        # team, and claims of two teams on one message leave it to a person.
        claimed = {claim[1]} if claim else set()
        claimed |= {a.team for a in by_external}
        if len(claimed) > 1:
            return None, (AMBIGUOUS_TEAM + ": the sender's domain and the message's account id are claimed by "
                          "accounts of different teams; give --team, or ask an admin to settle the claims")
        if claimed:
            [team] = claimed
            by_external = [a for a in by_external if a.team == team]
            by_name = [a for a in by_name if a.team == team]
        elif len({a.team for a in by_name}) > 1:
            return None, (AMBIGUOUS_TEAM + ": the message's organisation names accounts of more than one team, "
                          "and no domain or account id claims it; claim the domain, or give --team")
        reasons = []
        for method in self.order:
            if method == "external_id":
                if key is None:
                    reasons.append("no account id in the message")
                elif len(by_external) == 1:
                    return by_external[0].id, "external_id"
                else:
                    reasons.append(f"account {key!r} matches no account" if not by_external else
                                   f"account {key!r} matches {len(by_external)} accounts")
            elif method == "name":
                if not message.account_name:
                    continue
                if len(by_name) == 1:
                    return by_name[0].id, "name"
                reasons.append(f"organisation {message.account_name!r} is the name of no account" if not by_name else
                               f"organisation {message.account_name!r} names {len(by_name)} accounts")
            elif method == "domain":
                if claim is not None:
                    return claim[0], "domain"
                reasons.append(f"sender domain {domain!r} belongs to no account" if domain else "no sender address")
        return None, "; ".join(reasons)


MAX_BODY = 200_000
"""The longest body an interaction stores (as the API accepts)."""


def bounded_body(body: str) -> str:
    """A body of at most MAX_BODY characters: a longer one is cleaned first (quoted history goes), and what is
    still too long keeps its first MAX_BODY characters, cut at the last line break before them."""
    if len(body) <= MAX_BODY:
        return body
    cleaned = clean_text(body)
    if len(cleaned) <= MAX_BODY:
        return cleaned
    cut = cleaned.rfind("\n", 0, MAX_BODY)
    return cleaned[: cut if cut > MAX_BODY // 2 else MAX_BODY]


def ingest_user(session: Session) -> User:
    """The service user that ingested interactions are recorded as created by."""
    user = session.exec(select(User).where(User.name == INGEST_USER, User.role == Role.ADMIN)).first()
    if user is None:
        user, _ = users.create(session=session, name=INGEST_USER, role=Role.ADMIN, team=None)
        user.disabled = True  # it never signs in: its key was never shown
        session.add(user)
        session.commit()
    return user


def would_happen(session: Session, items: list[InteractionCreate], settings: Settings) -> list[str]:
    """A dry run's outcome of each item: already_present, empty_after_cleaning or would_create."""
    present = interactions.stored_keys(session, items)
    outcomes = []
    for data in items:
        if (data.account_id, data.external_id) in present:
            outcomes.append("already_present")
        elif not interactions.prepare(data, settings)[0]:
            outcomes.append("empty_after_cleaning")
        else:
            present.add((data.account_id, data.external_id))
            outcomes.append("would_create")
    return outcomes


def timed(records: Iterable[Record], seconds: dict[str, float]) -> Iterator[Record]:
    """The records, with the time spent reading and parsing them added to seconds["parse"]."""
    iterator = iter(records)
    while True:
        started = time.perf_counter()
        try:
            record = next(iterator)
        except StopIteration:
            return
        finally:
            seconds["parse"] = seconds.get("parse", 0.0) + time.perf_counter() - started
        yield record


def ingest(*, session: Session, records: Iterable[Record], classifier: Classifier | None, settings: Settings,
           match_order: list[str], team: str | None, progress: Callable[[], None] | None = None,
           batch_size: int = 64, explained: bool = True, account_map: dict[str, str] | None = None,
           dry_run: bool = False) -> IngestReport:
    """Store every matched customer message as a scored interaction; report everything else.

    Messages are cleaned, scored and committed `batch_size` at a time (one model call, one
    transaction); an interrupted run loses at most the batch in flight, and running it again skips
    what is stored, so it resumes where it stopped. A dry run reads, matches and cleans everything
    and reports what it would store (`would_create`), writing nothing and scoring nothing.
    """
    report = IngestReport()
    agent_domains = {d.lower() for d in settings.agent_domains}
    matcher = Matcher(session, match_order, team, account_map)
    user = None if dry_run else ingest_user(session)
    batch: list[tuple[InteractionCreate, str, str]] = []  # (data, how it matched, source)

    def flush() -> None:
        if dry_run or user is None or classifier is None:
            outcomes = would_happen(session, [b[0] for b in batch], settings)
        else:
            outcomes = stored(user, classifier)
        for (_, how, _), outcome in zip(batch, outcomes, strict=True):
            report.counts[outcome] += 1
            if outcome in ("created", "already_present", "would_create"):
                report.matched_by[how] += 1
        batch.clear()

    def stored(user: User, classifier: Classifier) -> list[str]:
        try:
            outcomes = interactions.create_many(session=session, user=user, items=[b[0] for b in batch],
                                                classifier=classifier, settings=settings, explained=explained,
                                                seconds=report.seconds)
        except PulseError as error:  # pragma: no cover - create_many checks what could fail first
            session.rollback()
            outcomes = ["errors"] * len(batch)
            report.errors.extend({"source": source, "error": error.message} for _, _, source in batch)
        return outcomes

    for record in timed(records, report.seconds):
        if progress:
            progress()
        prepared = _prepared(record, report, matcher, agent_domains)
        if prepared is None:
            continue
        batch.append(prepared)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return report


def _prepared(record: Record, report: IngestReport, matcher: Matcher,
              agent_domains: set[str]) -> tuple[InteractionCreate, str, str] | None:
    """A customer message matched and cleaned, ready to store: (data, how it matched, source); anything else
    (a notice, an unreadable record, our own mail, no account, nothing left after cleaning, a bad field) is
    counted in the report, with its reason, and is None."""
    started = time.perf_counter()
    if isinstance(record, Notice):
        report.warnings.append({"source": record.source, "warning": record.warning})
        report.files_not_read += record.not_read
        return None
    if isinstance(record, BadRecord):
        report.counts["errors"] += 1
        report.errors.append({"source": record.source, "error": record.error})
        return None
    if record.ours or record.sender_domain in agent_domains:
        report.counts["ours_skipped"] += 1
        return None
    account_id, how = matcher.match(record)
    report.seconds["match"] = report.seconds.get("match", 0.0) + time.perf_counter() - started
    if account_id is None:
        report.counts["unmatched"] += 1
        report.unmatched.append({"source": record.source, "source_id": record.source_id,
                                 "account": record.account, "sender": record.sender, "reason": how})
        return None
    body = bounded_body(scrubbed(record.body))
    if not body.strip():
        report.counts["empty_after_cleaning"] += 1
        return None
    try:
        data = InteractionCreate(account_id=account_id, kind=InteractionKind(record.kind), body=body,
                                 subject=(record.subject or None) and scrubbed(record.subject or "")[:1000],
                                 author=(record.sender or None) and scrubbed(record.sender or "")[:300],
                                 occurred_at=record.occurred_at, external_id=scrubbed(record.source_id)[:300],
                                 occurred_at_source=TimeSource(record.date_source))
    except ValidationError as error:  # one message's bad field is its own error, never the run's
        report.counts["errors"] += 1
        report.errors.append({"source": record.source, "error": "; ".join(
            describe_validation_error(dict(e))["message"] for e in error.errors())})
        return None
    return data, how, record.source
