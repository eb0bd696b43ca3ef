"""Deciding: append-only, idempotent on the caller's key, checked against the reason lists and If-Match.

A decision on an account-scope suggestion may change the account's pulse; api.pulse records that change
(with its event) in the decision's own transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.checks import service as checks
from api.config import Settings
from api.db import utcnow
from api.decisions import service as decisions
from api.decisions.models import Decision, DecisionCreate, DecisionHead, DecisionPublic, decision_public
from api.errors import ConflictError, UnprocessableError
from api.pulse import service as pulse
from api.review import checking
from api.scale import colour_of
from api.scale import parse as parse_scale
from api.suggestions.models import Scope, Suggestion
from api.todos import service as todos
from api.todos.models import Todo
from api.users.models import User
from models.labels import Label


def _request_hash(suggestion_id: int, data: DecisionCreate) -> str:
    body = data.model_dump(mode="json")
    for later in ("point", "tags", "todos", "lifecycle_stage"):  # fields added later: left out when empty, so
        if not body.get(later):                                    # an old body hashes as it always did
            body.pop(later, None)
    canonical = json.dumps({"suggestion_id": suggestion_id, **body}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_point(data: DecisionCreate, settings: Settings) -> DecisionCreate:
    """The decision with its colour settled: from its scale point where one is given (which must be on the
    scale, and agree with the label if both are given)."""
    if data.point is None:
        if data.label is None:
            raise UnprocessableError("label is required (Red, Yellow or Green), or a point of the scale",
                                     field="label")
        return data
    scale = parse_scale(settings.scale, settings.guidelines)
    colour = colour_of(scale, data.point)
    if colour is None:
        raise UnprocessableError(f"point {data.point!r} is not on the scale; choose one of "
                                 f"{', '.join(p.name for p in scale.points)}", field="point")
    if data.label is not None and data.label != colour:
        raise UnprocessableError(f"label {data.label.value} does not match point {data.point!r}, which counts as "
                                 f"{colour.value}", field="label")
    return data.model_copy(update={"label": colour})


def check_reasons(data: DecisionCreate, suggested: Label, settings: Settings, blind: bool = False) -> None:
    """A sentiment reason must fit the chosen colour; an override needs an override reason.

    On a blind item the person never saw the suggestion, so an override reason is optional there.
    """
    assert data.label is not None  # settled by with_point
    allowed = settings.sentiment_reasons[data.label]
    if data.sentiment_reason is not None and data.sentiment_reason not in allowed:
        raise UnprocessableError(
            f"sentiment_reason {data.sentiment_reason!r} is not a reason for {data.label.value}; "
            f"choose one of {', '.join(allowed)}", field="sentiment_reason")
    overriding = data.label != suggested
    if overriding and not data.override_reason and not blind:
        raise UnprocessableError(
            f"override_reason is required when the label ({data.label.value}) differs from the suggestion "
            f"({suggested.value}); choose one of {', '.join(settings.override_reasons)}", field="override_reason")
    if data.override_reason is not None:
        if not overriding:
            raise UnprocessableError("override_reason applies only when the label differs from the suggestion "
                                     f"({suggested.value})", field="override_reason")
        if data.override_reason not in settings.override_reasons:
            raise UnprocessableError(
                f"override_reason {data.override_reason!r} is not known; choose one of "
                f"{', '.join(settings.override_reasons)}", field="override_reason")


def decide(*, session: Session, user: User, suggestion_id: int, data: DecisionCreate,
           idempotency_key: str | None, settings: Settings,
           at: datetime | None = None, if_revision: int | None = None) -> tuple[DecisionPublic, bool]:
    """Record a decision that supersedes the current one; returns (decision, created).

    The same Idempotency-Key with the same body returns the decision it made the first time.
    `at` records when a decision imported from elsewhere was made; the API always uses now.
    `if_revision` (the API's If-Match) is the revision the caller saw, 0 for none: if another
    decision came first, the answer is 412 with the current decision.

    One unit of work: the decision, its head, its follow-ups, the account's stage and any pulse change are
    committed together, and a conflict is met in one place (_decided_at_once). Serving the person's next check
    item comes after, on purpose, as a unit of its own: a decision never waits on, or fails with, the draw.
    """
    suggestion = checking.get_or_raise(session=session, user=user, suggestion_id=suggestion_id, deciding=True)
    request_hash = _request_hash(suggestion_id, data)
    data = with_point(data, settings)
    assert data.label is not None
    if idempotency_key is not None:  # a key is looked up among decisions and answers on check copies alike
        replay = checking.replay(session, user, idempotency_key, request_hash)
        if replay is not None:
            return replay, False
    if checks.copy_of(session, suggestion_id) is not None:  # a check item's copy: checked like any, in order
        return _answer_copy(session, user, suggestion, data, settings, idempotency_key, request_hash, if_revision)
    head = session.get(DecisionHead, suggestion_id)
    current = session.get(Decision, head.decision_id) if head else None
    account = session.get(Account, suggestion.account_id)
    assert account is not None
    _may_decide(suggestion, current, data, settings, if_revision)
    follow_ups = todos.build(session, account, data.todos, user)
    pulse_before = pulse.pulses(session=session, account_ids=[account.id or 0]) \
        if suggestion.scope == Scope.ACCOUNT else None
    decision = _new_decision(session, user, suggestion, account, current or _withdrawn_last(session, suggestion_id),
                             data, at, idempotency_key, request_hash)
    try:
        _record(session, decision, head, follow_ups, account, data)
        if pulse_before is not None:
            pulse.record_change(session, account, pulse_before, decision, settings)
        session.commit()
    except (IntegrityError, StaleDataError):  # StaleDataError: the head it moves was withdrawn meanwhile
        return _decided_at_once(session, user, suggestion_id, idempotency_key, request_hash), False
    session.refresh(decision)
    if at is None:
        checking.serve_after_decision(session, user, settings)  # its own unit of work, after the decision's
    return decision_public(decision, superseded=False), True


def _answer_copy(session: Session, user: User, copy: Suggestion, data: DecisionCreate, settings: Settings,
                 idempotency_key: str | None, request_hash: str,
                 if_revision: int | None) -> tuple[DecisionPublic, bool]:
    """A check item's copy is answered, not decided: checked like any item, in the same order."""
    checking.may_answer(session, copy, user)
    standing, body = checking.standing_answer(session, copy)
    if if_revision is not None and standing != if_revision:
        raise decisions.stale_revision(copy.id or 0, if_revision, standing, body)
    check_reasons(data, Label(copy.label), settings, blind=copy.blind)
    return checking.answer(session, user=user, copy=copy, data=data, idempotency_key=idempotency_key,
                           request_hash=request_hash)


def _may_decide(suggestion: Suggestion, current: Decision | None, data: DecisionCreate, settings: Settings,
                if_revision: int | None) -> None:
    """Refuse a decision on a stale revision, on a replaced suggestion, with the wrong reasons, or with a pulse
    update's context on a message."""
    if if_revision is not None and (current.revision if current else 0) != if_revision:
        raise decisions.stale_revision(suggestion.id or 0, if_revision, current.revision if current else 0,
                                       _current_body(current))
    if suggestion.superseded_by_id is not None and current is None:
        raise ConflictError(f"suggestion {suggestion.id} was replaced by suggestion {suggestion.superseded_by_id}, "
                            "made from newer text; decide on that one", field="suggestion_id")
    # Whether the item was blind is the server's fact: a client saying so skips nothing.
    check_reasons(data, Label(suggestion.label), settings, blind=suggestion.blind)
    if (data.tags or data.todos or data.lifecycle_stage) and suggestion.scope != Scope.ACCOUNT:
        raise UnprocessableError(f"tags, todos and lifecycle_stage go with a pulse update (an account roll-up); "
                                 f"suggestion {suggestion.id} is about one message", field="todos")


def _withdrawn_last(session: Session, suggestion_id: int) -> Decision | None:
    """The latest decision on a suggestion none stands on (its maker withdrew it), which the next one follows."""
    return session.exec(select(Decision).where(Decision.suggestion_id == suggestion_id)
                        .order_by(col(Decision.revision).desc())).first()


CHOSEN = {"label", "point", "tags", "lifecycle_stage", "sentiment_reason", "override_reason", "note", "viewed_ms"}
"""What a decision takes from the person's request as it is."""


def _new_decision(session: Session, user: User, suggestion: Suggestion, account: Account, current: Decision | None,
                  data: DecisionCreate, at: datetime | None, idempotency_key: str | None,
                  request_hash: str) -> Decision:
    """The next revision: the person's choice beside the facts of the suggestion and account it was made on."""
    now = at or utcnow()
    decision = Decision(
        **data.model_dump(include=CHOSEN), suggestion_id=suggestion.id or 0, user_id=user.id or 0,
        revision=(current.revision + 1) if current else 1, supersedes_id=current.id if current else None,
        accepted=data.label == suggestion.label,
        blind=suggestion.blind,  # blind exactly when the suggestion was served blind, whatever the client says
        idempotency_key=idempotency_key, request_hash=request_hash, created_at=now,
        server_ms=None if at else checks.elapsed_ms(session, user.id or 0, suggestion.id or 0, now),
        account_id=suggestion.account_id, interaction_id=suggestion.interaction_id, team=account.team,
        segment=account.segment, scope=suggestion.scope, suggested_label=suggestion.label,
        model_version=suggestion.model_version, confidence=suggestion.confidence)
    decision.id = checks.next_decision_id(session)  # one id space with check answers
    return decision


def _record(session: Session, decision: Decision, head: DecisionHead | None, follow_ups: list[Todo],
            account: Account, data: DecisionCreate) -> None:
    """Add the decision, point its suggestion's head at it, and add what came with it; flushed, not committed."""
    session.add(decision)
    session.flush()
    assert decision.id is not None
    if head is None:
        session.add(DecisionHead(suggestion_id=decision.suggestion_id, decision_id=decision.id))
    else:
        head.decision_id = decision.id
        session.add(head)
    for follow_up in follow_ups:
        follow_up.decision_id = decision.id
        session.add(follow_up)
    if data.lifecycle_stage:
        account.lifecycle_stage = data.lifecycle_stage
        session.add(account)
    session.flush()


def _decided_at_once(session: Session, user: User, suggestion_id: int, idempotency_key: str | None,
                     request_hash: str) -> DecisionPublic:
    """The one place a decision meets a conflict: two decisions on one suggestion at once, where
    (suggestion_id, revision) let the other win, or a withdrawal took away the head it was moving. This one is
    the winner's replay (same key and body) or a 409 naming the winner."""
    session.rollback()
    if idempotency_key is not None:
        replay = checking.replay(session, user, idempotency_key, request_hash)
        if replay is not None:
            return replay
    head = session.get(DecisionHead, suggestion_id)
    winner = session.get(Decision, head.decision_id) if head else None
    raise decisions.decided_at_once(suggestion_id, _current_body(winner)) from None


def _current_body(decision: Decision | None) -> dict[str, Any] | None:
    """The decision that stands, as the API shows it, for the body of a 409 or 412."""
    return decision_public(decision, superseded=False).model_dump(mode="json") if decision else None
