"""Interactions coming in: cleaned (and redacted), scored on write, stored with their suggestion, idempotent.

One text (POST /v1/interactions) or a batch (ingestion: one model call and one commit); each new text
queues its account's roll-up and any shadow version's scoring. `suggest` scores texts without storing them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.config import Settings
from api.db import utcnow
from api.errors import UnprocessableError
from api.interactions.models import Interaction, InteractionCreate
from api.interactions.service import erased_external_id
from api.jobs import service as jobs
from api.jobs.models import JobKind
from api.model_versions import service as model_versions
from api.suggestions import service as suggestions
from api.suggestions.models import CuePublic, Scope, Suggestion, TextSuggestion
from api.suggestions.service import find_existing
from api.users.models import User
from models import explain, language
from models.classifier import Classifier, Prediction
from pipelines.clean import clean_text
from pipelines.redact import redact_pii

EMPTY_BODY = "body holds no customer text once quoted replies, signatures and markup are removed"


def prepare(data: InteractionCreate, settings: Settings) -> tuple[str, InteractionCreate]:
    """The text to score and store (cleaned, PII redacted if configured), and the fields to store with it."""
    body = clean_text(data.body)
    if body and settings.redact_pii:
        body = redact_pii(body, settings.pii_regions)
        data = data.model_copy(update={
            "author": data.author and redact_pii(data.author, settings.pii_regions),
            "subject": data.subject and redact_pii(data.subject, settings.pii_regions)})
    return body, data


def language_cap(settings: Settings) -> float:
    """The highest confidence a suggestion in a language the model does not read may show: under the
    low-confidence line (by 0.05, and above a third, where three colours are already even)."""
    return max(0.34, min(language.UNSUPPORTED_CONFIDENCE_CAP, settings.audit_low_confidence - 0.05))


def stored_keys(session: Session, items: Sequence[InteractionCreate]) -> set[tuple[int, str | None]]:
    """The (account id, external id) pairs of these items that are stored already, erased ones included."""
    given = {i.external_id: i.external_id for i in items if i.external_id is not None}
    if not given:
        return set()
    keys = given | {erased_external_id(external_id): external_id for external_id in given}
    return {(account_id, keys[key]) for account_id, key in session.exec(
        select(Interaction.account_id, Interaction.external_id).where(col(Interaction.external_id).in_(list(keys))))
        if key is not None}


def create_many(*, session: Session, user: User, items: Sequence[InteractionCreate], classifier: Classifier,
                settings: Settings, explained: bool = True,
                seconds: dict[str, float] | None = None) -> list[str]:
    """Store and score a batch (ingestion): one model call and one commit for all of it.

    Returns each item's outcome: created, already_present (its external id is stored, or came
    earlier in the batch) or empty_after_cleaning. The caller has checked that the user may write
    to every account named. `seconds` accumulates the time spent cleaning, scoring and storing.
    """
    seconds = seconds if seconds is not None else {}
    outcomes = ["already_present"] * len(items)
    started = time.perf_counter()
    stored = stored_keys(session, items)
    _spent(seconds, "store", started)

    started = time.perf_counter()
    todo: list[tuple[int, InteractionCreate, str]] = []
    for n, data in enumerate(items):
        key = (data.account_id, data.external_id)
        if data.external_id is not None and key in stored:
            continue
        body, data = prepare(data, settings)
        if not body:
            outcomes[n] = "empty_after_cleaning"
            continue
        stored.add(key)
        todo.append((n, data, body))
    _spent(seconds, "clean", started)
    if not todo:
        return outcomes

    started = time.perf_counter()
    predictions = explain.predict(classifier, [body for _, _, body in todo], explain=explained,
                                  language_cap=language_cap(settings))
    _spent(seconds, "score", started)

    started = time.perf_counter()
    try:
        _store_scored(session, user, [(data, body, prediction) for (_, data, body), prediction
                                      in zip(todo, predictions, strict=True)], settings)
        session.commit()
    except IntegrityError:
        # Another import stored some of these at the same moment: store this batch one at a time.
        session.rollback()
        _spent(seconds, "store", started)
        for n, data, _ in todo:
            _, _, created = create(session=session, user=user, data=data, classifier=classifier, settings=settings)
            outcomes[n] = "created" if created else "already_present"
        return outcomes
    for n, _, _ in todo:
        outcomes[n] = "created"
    _spent(seconds, "store", started)
    return outcomes


def _store_scored(session: Session, user: User, scored: list[tuple[InteractionCreate, str, Prediction]],
                  settings: Settings) -> list[tuple[Interaction, Suggestion]]:
    """Add scored interactions, their suggestions and the work they start (roll-ups, shadow scoring).

    Flushes (a duplicate external id raises IntegrityError here) but leaves the commit to the caller.
    """
    rows = [Interaction(**data.model_dump(exclude={"body", "occurred_at"}), body=body, language=prediction.language,
                        occurred_at=data.occurred_at or utcnow(), created_by=user.id or 0)
            for data, body, prediction in scored]
    session.add_all(rows)
    session.flush()
    pairs = []
    for row, (_, _, prediction) in zip(rows, scored, strict=True):
        assert row.id is not None
        suggestion = suggestions.from_prediction(prediction, account_id=row.account_id, scope=Scope.INTERACTION,
                                                 interaction_id=row.id, blind_share=settings.blind_share,
                                                 seed=settings.random_seed)
        session.add(suggestion)
        pairs.append((row, suggestion))
    for account_id in sorted({row.account_id for row in rows}):
        request_roll_up(session, account_id)
    request_shadow_scoring(session, [row.id for row in rows if row.id is not None])
    return pairs


def _spent(seconds: dict[str, float], stage: str, started: float) -> None:
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started


def request_shadow_scoring(session: Session, interaction_ids: list[int]) -> None:
    """Ask a worker to score new interactions with each shadow version (never shown; compared in the audit)."""
    for version in model_versions.shadows(session=session):
        jobs.enqueue(session, JobKind.SCORE, {"model_version": version, "interaction_ids": interaction_ids,
                                              "shadow": True})


def request_roll_up(session: Session, account_id: int) -> None:
    """Ask a worker to refresh the account's roll-up over the new text, unless a request already waits."""
    if not jobs.pending_for_account(session, JobKind.ROLLUP, account_id):
        jobs.enqueue(session, JobKind.ROLLUP, {"account_id": account_id}, account_id=account_id)


def create(*, session: Session, user: User, data: InteractionCreate, classifier: Classifier,
           settings: Settings) -> tuple[Interaction, Suggestion, bool]:
    """Store and score an interaction; with a known external id, return the stored pair instead.

    Returns (interaction, suggestion, created).
    """
    accounts.get_or_raise(session=session, user=user, account_id=data.account_id)  # 404 for another team
    if data.external_id is not None:
        found = find_existing(session=session, account_id=data.account_id, external_id=data.external_id)
        if found:
            return (*found, False)
    body, data = prepare(data, settings)
    if not body:
        raise UnprocessableError(EMPTY_BODY, field="body")
    prediction = explain.predict(classifier, [body], language_cap=language_cap(settings))[0]
    try:
        [(interaction, suggestion)] = _store_scored(session, user, [(data, body, prediction)], settings)
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


def suggest(classifier: Classifier, texts: Sequence[str], settings: Settings) -> list[TextSuggestion]:
    """Score texts without storing anything: each cleaned first; a text left empty by cleaning is refused."""
    if len(texts) > settings.max_texts_per_request:
        raise UnprocessableError(f"texts holds {len(texts)} items; at most "
                                 f"{settings.max_texts_per_request} per request", field="texts")
    cleaned = [clean_text(t) for t in texts]
    empty = [i for i, t in enumerate(cleaned) if not t]
    if empty:
        raise UnprocessableError(f"texts.{empty[0]} holds no text once quoting and markup are removed",
                                 field=f"texts.{empty[0]}")
    return [TextSuggestion(label=p.label, probabilities={k.value: round(v, 6) for k, v in p.probabilities.items()},
                           confidence=round(p.confidence, 6), model_version=p.model_version,
                           explanation=[asdict(e) for e in p.explanation],
                           cues=[CuePublic.model_validate(asdict(c)) for c in p.cues],
                           language=p.language, unsupported_language=p.unsupported_language)
            for p in explain.predict(classifier, cleaned, language_cap=language_cap(settings))]
