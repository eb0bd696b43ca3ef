"""Check items in the review loop: serving a copy now and then, and taking answers on copies.

After each ordinary decision by a CSM, a copy of a check item joins their queue with probability
share / (1 - share), so about PULSE_CHECK_SHARE of the items they decide are checks. The copy goes to one
person only, never to someone who decided that message, and looks like any other pending item.
"""

from __future__ import annotations

from sqlmodel import Session

from api import draws
from api.checks import service as checks
from api.checks.models import Check
from api.config import Settings
from api.db import utcnow
from api.decisions.models import DecisionCreate, DecisionPublic
from api.errors import ConflictError
from api.suggestions.models import Suggestion
from api.users.models import Role, User


def serve_after_decision(session: Session, user: User, settings: Settings) -> Suggestion | None:
    """Maybe add a check item's copy to a CSM's queue; returns it if one was added."""
    share = settings.check_share
    if user.role != Role.CSM or share <= 0 or not draws.chance(share / (1 - share), settings.random_seed):
        return None
    candidates = checks.eligible(session, user)
    if not candidates:
        return None
    rng = draws.generator(settings.random_seed)
    check = candidates[rng.randrange(len(candidates))]
    blind = draws.chance(settings.blind_share, settings.random_seed)
    decoy = not blind and draws.chance(settings.check_decoy_share, settings.random_seed)
    made = checks.copy(session, check, user, decoy=decoy, blind=blind, rng=rng)
    session.commit()
    return made


def answer(session: Session, *, user: User, copy: Suggestion, data: DecisionCreate,
           idempotency_key: str | None) -> tuple[DecisionPublic, bool]:
    """Record an answer on a check copy, shaped as a decision; returns (answer, created).

    Nothing but check_answers is written: no decision, pulse change, event, export row or training label.
    """
    assert data.label is not None and copy.id is not None
    check = session.get(Check, copy.check_id)
    assert check is not None
    earlier = checks.latest_answers(session, [copy.id]).get(copy.id)
    if idempotency_key is not None:
        replay = checks.answer_by_key(session, user.id or 0, idempotency_key)
        if replay is not None:
            if replay.suggestion_id != copy.id or replay.label != data.label or replay.note != data.note:
                raise ConflictError(f"Idempotency-Key {idempotency_key!r} was already used for a different request; "
                                    "use a new key for a new decision", field="Idempotency-Key")
            return checks.answer_public(replay, copy, check, revision=checks.revision_of(session, replay)), False
    now = utcnow()
    row = checks.answer(session, check=check, copy=copy, user=user, data=data,
                        server_ms=checks.elapsed_ms(session, user.id or 0, copy.id, now),
                        idempotency_key=idempotency_key)
    row.created_at = now
    session.commit()
    session.refresh(row)
    revision = checks.revision_of(session, row) if earlier else 1
    return checks.answer_public(row, copy, check, revision=revision), True


def answers_public(session: Session, copies: list[Suggestion]) -> dict[int, DecisionPublic]:
    """The standing answer on each answered copy, shaped as a decision, by the copy's id."""
    latest = checks.latest_answers(session, [c.id for c in copies if c.id is not None])
    found = {}
    for copy in copies:
        row = latest.get(copy.id or 0)
        check = session.get(Check, copy.check_id) if row else None
        if row is not None and check is not None:
            found[copy.id or 0] = checks.answer_public(row, copy, check, revision=checks.revision_of(session, row))
    return found


def message_and_answer(session: Session, suggestion: Suggestion) -> tuple[int | None, DecisionPublic | None]:
    """The message a suggestion is about, and for a check item's copy the answer that stands on it."""
    if suggestion.check_id is None:
        return suggestion.interaction_id, None
    check = session.get(Check, suggestion.check_id)
    assert check is not None
    return check.interaction_id, answers_public(session, [suggestion]).get(suggestion.id or 0)


def note_served(session: Session, user: User, suggestion: Suggestion) -> None:
    """An item opened by a person: the server's clock starts if it had not already."""
    if suggestion.id is not None and user.id is not None:
        checks.record_servings(session, user.id, [suggestion.id])
