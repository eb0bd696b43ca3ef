"""Erasing an account's personal data: its customers' words go, the anonymous decision counts stay.

Erased: every interaction's body, author and subject, and its external id, which becomes a digest (a
Message-ID often carries an address; the digest still tells a re-ingest of the same message that it is
stored, so the erased text does not come back); the evidence and roll-up snippets stored on its
suggestions; the free text of its pulse updates: decision notes, tags and lifecycle stages, to-do titles
and the account's own lifecycle stage; the notes on its outcomes, check items and check answers; the
sources of its signals. Kept: the rows themselves, their labels, scale points, reasons (from the
deployment's lists), versions, times, dates, values and people, so every audit count is the same before
and after, and the account's name, external id and mail domains, which route its further mail. On SQLite
the erased pages are overwritten (secure_delete), the WAL is checkpointed and truncated, and the file is
vacuumed, so the old text is in no file; on PostgreSQL the tables are vacuumed (WAL segments are recycled
by the server on its own schedule; see the README).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.accounts.models import Account
from api.checks.models import Check, CheckAnswer
from api.db import utcnow
from api.decisions.models import Decision
from api.errors import NotFoundError
from api.interactions.models import Interaction
from api.interactions.service import ERASED_PREFIX, erased_external_id
from api.outcomes.models import Outcome
from api.shadows.models import ShadowPrediction
from api.signals.models import Signal
from api.suggestions.models import Suggestion
from api.todos.models import Todo

ERASED = "[erased]"
ERASED_IN = (Account, Interaction, Suggestion, ShadowPrediction, Decision, Outcome, Check, CheckAnswer, Todo, Signal)
"""The tables erasure writes to, rewritten afterwards so the old text survives in no dead row."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure changed."""

    account_id: int
    interactions: int
    suggestions: int
    decision_notes: int
    outcome_notes: int
    check_notes: int = 0
    todos: int = 0
    signals: int = 0


def erase_account(engine: Engine, account_id: int) -> Erasure:
    """Erase the texts of one account everywhere Pulse keeps them, and leave no copy in the database files."""
    with Session(engine) as session:
        if session.get(Account, account_id) is None:
            raise NotFoundError(f"account {account_id} not found")
        if engine.dialect.name == "sqlite":
            session.execute(text("PRAGMA secure_delete = ON"))
        interactions = session.execute(update(Interaction).where(col(Interaction.account_id) == account_id)
                                       .values(body=ERASED, author=None, subject=None))
        _digest_external_ids(session, account_id)
        suggestions = session.execute(update(Suggestion).where(col(Suggestion.account_id) == account_id)
                                      .values(explanation=[], cues=[]))  # cues quote sentences
        session.execute(update(ShadowPrediction).where(col(ShadowPrediction.account_id) == account_id)
                        .values(explanation=[], cues=[]))
        notes = session.execute(update(Decision).where(col(Decision.account_id) == account_id)
                                .where(col(Decision.note).is_not(None)).values(note=None))
        session.execute(update(Decision).where(col(Decision.account_id) == account_id)  # migration 0017 allows it
                        .values(tags=[], lifecycle_stage=None))
        session.execute(update(Account).where(col(Account.id) == account_id).values(lifecycle_stage=None))
        todos = session.execute(update(Todo).where(col(Todo.account_id) == account_id).values(title=ERASED))
        signals = session.execute(update(Signal).where(col(Signal.account_id) == account_id).values(source=ERASED))
        outcome_notes = session.execute(update(Outcome).where(col(Outcome.account_id) == account_id)
                                        .where(col(Outcome.note).is_not(None)).values(note=None))
        checks_of_account = sa_select(col(Check.id)).where(col(Check.account_id) == account_id)
        check_notes = session.execute(update(CheckAnswer).where(col(CheckAnswer.check_id).in_(checks_of_account))
                                      .where(col(CheckAnswer.note).is_not(None)).values(note=None))
        session.execute(update(Check).where(col(Check.account_id) == account_id)  # nothing left to check against
                        .values(note=None, retired_at=func.coalesce(col(Check.retired_at), utcnow())))
        session.commit()
        result = Erasure(account_id=account_id, interactions=int(interactions.rowcount),  # type: ignore[attr-defined]
                         suggestions=int(suggestions.rowcount),  # type: ignore[attr-defined]
                         decision_notes=int(notes.rowcount),  # type: ignore[attr-defined]
                         outcome_notes=int(outcome_notes.rowcount),  # type: ignore[attr-defined]
                         check_notes=int(check_notes.rowcount),  # type: ignore[attr-defined]
                         todos=int(todos.rowcount), signals=int(signals.rowcount))  # type: ignore[attr-defined]
    _compact(engine)
    return result


def _digest_external_ids(session: Session, account_id: int) -> None:
    """Replace each external id of the account's interactions with its digest (one already erased stays)."""
    rows = session.execute(sa_select(col(Interaction.id), col(Interaction.external_id))
                           .where(col(Interaction.account_id) == account_id)
                           .where(col(Interaction.external_id).is_not(None))
                           .where(col(Interaction.external_id).not_like(f"{ERASED_PREFIX}%"))).all()
    for interaction_id, external_id in rows:
        session.execute(update(Interaction).where(col(Interaction.id) == interaction_id)
                        .values(external_id=erased_external_id(external_id)))


def _compact(engine: Engine) -> None:
    """Rewrite the database so the erased text survives in no page, WAL frame or free list."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            connection.execute(text("VACUUM"))
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            connection.execute(text(f"VACUUM {', '.join(str(t.__tablename__) for t in ERASED_IN)}"))
