"""Interactions: cleaned, scored on write, and idempotent on their external id."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.config import Settings
from api.db import utcnow
from api.errors import UnprocessableError
from api.interactions.models import Interaction, InteractionCreate
from api.jobs import service as jobs
from api.jobs.models import JobKind
from api.suggestions import service as suggestions
from api.suggestions.models import Scope, Suggestion
from api.users.models import User
from models import explain
from models.classifier import Classifier
from pipelines.clean import clean_text
from pipelines.redact import redact_pii


def find_existing(*, session: Session, account_id: int, external_id: str) -> tuple[Interaction, Suggestion] | None:
    """The interaction already stored under this external id, with its latest suggestion."""
    interaction = session.exec(select(Interaction).where(Interaction.account_id == account_id)
                               .where(Interaction.external_id == external_id)).first()
    if interaction is None:
        return None
    suggestion = session.exec(select(Suggestion).where(Suggestion.interaction_id == interaction.id)
                              .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())).first()
    if suggestion is None:  # pragma: no cover - both rows are written in one transaction
        raise RuntimeError(f"interaction {interaction.id} has no suggestion")
    return interaction, suggestion


def request_roll_up(session: Session, account_id: int) -> None:
    """Ask a worker to refresh the account's roll-up over the new text, unless a request already waits."""
    if not jobs.pending_for_account(session, JobKind.ROLLUP, account_id):
        jobs.enqueue(session, JobKind.ROLLUP, {"account_id": account_id}, account_id=account_id)


def create(*, session: Session, user: User, data: InteractionCreate, classifier: Classifier,
           settings: Settings) -> tuple[Interaction, Suggestion, bool]:
    """Store and score an interaction; with a known external id, return the stored pair instead.

    Returns (interaction, suggestion, created).
    """
    account = accounts.get_or_raise(session=session, user=user, account_id=data.account_id)
    if data.external_id is not None:
        found = find_existing(session=session, account_id=data.account_id, external_id=data.external_id)
        if found:
            return (*found, False)
    body = clean_text(data.body)
    if not body:
        raise UnprocessableError("body holds no customer text once quoted replies, signatures and markup "
                                 "are removed", field="body")
    if settings.redact_pii:
        body = redact_pii(body, settings.pii_regions)
        data = data.model_copy(update={
            "author": data.author and redact_pii(data.author, settings.pii_regions),
            "subject": data.subject and redact_pii(data.subject, settings.pii_regions)})
    prediction = explain.predict(classifier, [body])[0]
    interaction = Interaction(**data.model_dump(exclude={"body", "occurred_at"}), body=body,
                              occurred_at=data.occurred_at or utcnow(), created_by=user.id or 0)
    session.add(interaction)
    try:
        session.flush()
        assert interaction.id is not None and account.id is not None
        suggestion = suggestions.from_prediction(prediction, account_id=account.id, scope=Scope.INTERACTION,
                                                 interaction_id=interaction.id, blind_share=settings.blind_share)
        session.add(suggestion)
        request_roll_up(session, account.id)
        session.commit()
    except IntegrityError:
        # Another request stored the same external id first: answer with its pair.
        session.rollback()
        if data.external_id is None:
            raise
        found = find_existing(session=session, account_id=data.account_id, external_id=data.external_id)
        if found is None:
            raise
        return (*found, False)
    session.refresh(interaction)
    session.refresh(suggestion)
    return interaction, suggestion, True
