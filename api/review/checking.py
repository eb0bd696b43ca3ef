"""Check items in the review loop: serving a copy now and then, and taking answers on copies.

After each ordinary decision by a CSM, a copy of a check item joins their queue with probability
share / (1 - share), so about PULSE_CHECK_SHARE of the items they decide are checks. The copy goes to one
person only, never to someone who decided that message, and looks like any other pending item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api import draws
from api.accounts.models import Account
from api.checks import service as checks
from api.checks.models import Check, CheckAnswer
from api.config import Settings
from api.db import utcnow
from api.decisions import service as decisions
from api.decisions.models import Decision, DecisionCreate, DecisionHead, DecisionPublic, decision_public
from api.errors import ConflictError, ForbiddenError, NotFoundError
from api.model_versions import service as model_versions
from api.policies import can_see, team_for_filter
from api.suggestions.models import Scope, Suggestion
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
    active = model_versions.get_active(session=session)
    made = checks.copy(session, check, user, decoy=decoy, blind=blind, rng=rng,
                       model_version=active.version if active else None)
    session.commit()
    return made


def get_or_raise(*, session: Session, user: User, suggestion_id: int, deciding: bool = False) -> Suggestion:
    """A suggestion the user may see; another team's answers exactly like a missing one, and so does another
    person's copy of a check item.

    A message a colleague decided is not a CSM's to read (404); one they try to decide, having had it open
    while a colleague decided it, is a 409 that shows nothing of the colleague's decision.
    """
    row = session.exec(select(Suggestion, Account.team).join(Account, col(Account.id) == Suggestion.account_id)
                       .where(Suggestion.id == suggestion_id)).first()
    if row is None or not can_see(user, row[1]):
        raise NotFoundError(f"suggestion {suggestion_id} not found")
    served = checks.copy_of(session, suggestion_id)
    if served is not None and served.served_to != user.id and user.role == Role.CSM:
        raise NotFoundError(f"suggestion {suggestion_id} not found")  # another person's copy of a check item
    if user.role == Role.CSM and _decided_by_another(session, row[0], user):
        # A CSM sees the messages they decided, never which ones colleagues did: that would tell a check item's
        # copy (of a message decided before) from an ordinary item.
        if deciding:
            raise ConflictError(f"suggestion {suggestion_id} was decided by a colleague while you had it open; it "
                                "has left your queue")
        raise NotFoundError(f"suggestion {suggestion_id} not found")
    return row[0]


def _decided_by_another(session: Session, suggestion: Suggestion, user: User) -> bool:
    """Whether a message's suggestion was decided, and never by `user` (roll-ups never count; a check item's
    copy is answered, never decided)."""
    if suggestion.scope != Scope.INTERACTION or session.get(DecisionHead, suggestion.id) is None:
        return False
    return session.exec(select(Decision.id).where(Decision.suggestion_id == suggestion.id)
                        .where(Decision.user_id == user.id)).first() is None


def may_answer(session: Session, copy: Suggestion, user: User) -> None:
    """Only the person a copy was served to answers it: the measured answer is theirs."""
    served = checks.copy_of(session, copy.id)
    if served is None or served.served_to != user.id:
        raise ForbiddenError(f"suggestion {copy.id} is a check item served to another person; only they answer it")


def standing_answer(session: Session, copy: Suggestion) -> tuple[int, dict[str, Any] | None]:
    """The revision that stands on a copy (0 for none: no answer, or the latest withdrawn, as a withdrawn decision
    leaves no head) and its body as a 409 or 412 shows it."""
    row = checks.latest_answers(session, [copy.id or 0]).get(copy.id or 0)
    if row is not None and checks.withdrawn(session, [row.id]):
        row = None
    check = checks.check_of(session, copy)
    return (row.revision if row else 0), _body(session, row, copy, check)


def answer(session: Session, *, user: User, copy: Suggestion, data: DecisionCreate, idempotency_key: str | None,
           request_hash: str) -> tuple[DecisionPublic, bool]:
    """Record an answer on a check copy, shaped as a decision; returns (answer, created).

    The caller checks it as it checks a decision, in the same order (replayed key, If-Match, reasons), so no
    answer tells a copy from an ordinary item. Nothing but check_answers is written: no decision, pulse
    change, event, export row or training label.
    """
    assert data.label is not None and copy.id is not None
    check = checks.check_of(session, copy)
    earlier = checks.latest_answers(session, [copy.id]).get(copy.id)
    now = utcnow()
    row = checks.answer(session, check=check, copy=copy, user=user, data=data,
                        server_ms=checks.elapsed_ms(session, user.id or 0, copy.id, now),
                        idempotency_key=idempotency_key, revision=(earlier.revision + 1) if earlier else 1)
    row.created_at, row.request_hash = now, request_hash
    try:
        session.commit()
    except IntegrityError:  # two answers at once: (suggestion_id, revision) lets one win, as with decisions
        session.rollback()
        if idempotency_key is not None:
            again = replay(session, user, idempotency_key, request_hash)
            if again is not None:
                return again, False
        winner = checks.latest_answers(session, [copy.id]).get(copy.id)
        raise decisions.decided_at_once(copy.id, _body(session, winner, copy, check)) from None
    session.refresh(row)
    return _public(session, row, copy, check, superseded=False), True


def replay(session: Session, user: User, key: str, request_hash: str) -> DecisionPublic | None:
    """The person's earlier decision or answer made with this Idempotency-Key, or None; the key sent with
    another request is a 409, whichever of the two it was first used on."""
    earlier = session.exec(select(Decision).where(Decision.user_id == user.id)
                           .where(Decision.idempotency_key == key)).first()
    if earlier is not None:
        if earlier.request_hash != request_hash:
            raise decisions.key_reused(key, earlier.id or 0)
        head = session.get(DecisionHead, earlier.suggestion_id)
        return decision_public(earlier, superseded=head is None or head.decision_id != earlier.id)
    row = checks.answer_by_key(session, user.id or 0, key)
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise decisions.key_reused(key, row.id or 0)
    copy, check = session.get(Suggestion, row.suggestion_id), session.get(Check, row.check_id)
    assert copy is not None and check is not None
    latest = checks.latest_answers(session, [row.suggestion_id]).get(row.suggestion_id)
    taken_back = checks.withdrawn(session, [row.id])  # withdrawn: superseded, as a decision left without a head
    return _public(session, row, copy, check, superseded=latest is None or latest.id != row.id or bool(taken_back))


def _public(session: Session, row: CheckAnswer, copy: Suggestion, check: Check, *, superseded: bool,
            withdrawn_at: datetime | None = None) -> DecisionPublic:
    """An answer as the decision its author believes they made (the account's segment, what it supersedes)."""
    account = session.get(Account, copy.account_id)
    previous = checks.previous_answer(session, row) if row.revision > 1 else None
    return checks.answer_public(row, copy, check, segment=account.segment if account else None,
                                supersedes_id=previous.id if previous else None, superseded=superseded,
                                withdrawn_at=withdrawn_at)


def _body(session: Session, row: CheckAnswer | None, copy: Suggestion, check: Check) -> dict[str, Any] | None:
    """The answer that stands, as the body of a 409 or 412 shows a decision."""
    return _public(session, row, copy, check, superseded=False).model_dump(mode="json") if row else None


def answers_public(session: Session, copies: list[Suggestion]) -> dict[int, DecisionPublic]:
    """The standing answer on each answered copy, shaped as a decision, by the copy's id."""
    latest = checks.latest_answers(session, [c.id for c in copies if c.id is not None])
    taken_back = checks.withdrawn(session, [row.id for row in latest.values()])
    latest = {copy_id: row for copy_id, row in latest.items() if row.id not in taken_back}
    found = {}
    for copy in copies:
        row = latest.get(copy.id or 0)
        if row is not None:
            found[copy.id or 0] = _public(session, row, copy, checks.check_of(session, copy), superseded=False)
    return found


def message_and_answer(session: Session, suggestion: Suggestion) -> tuple[int | None, DecisionPublic | None]:
    """The message a suggestion is about, and for a check item's copy the answer that stands on it."""
    if checks.copy_of(session, suggestion.id) is None:
        return suggestion.interaction_id, None
    check = checks.check_of(session, suggestion)
    return check.interaction_id, answers_public(session, [suggestion]).get(suggestion.id or 0)


def note_served(session: Session, user: User, suggestion: Suggestion) -> None:
    """An item opened by a person: the server's clock starts if it had not already."""
    if suggestion.id is not None and user.id is not None:
        checks.record_servings(session, user.id, [suggestion.id])
        session.commit()


def decisions_for(session: Session, *, user: User, filters: dict[str, Any], current: bool | None, limit: int,
                  offset: int, team: str | None = None) -> tuple[list[DecisionPublic], int]:
    """The decision listing as this person may read it: a CSM's own (own_decisions), everyone else's by team
    (one `team` of those they may read, if asked)."""
    if user.role == Role.CSM:
        return own_decisions(session, user=user, filters=filters, current=current, limit=limit, offset=offset)
    return decisions.get_all(session=session, team=team_for_filter(user, team), filters=filters, current=current,
                             limit=limit, offset=offset)


def own_decisions(session: Session, *, user: User, filters: dict[str, Any], current: bool | None, limit: int,
                  offset: int) -> tuple[list[DecisionPublic], int]:
    """A CSM's decisions, oldest first: their own only, with their answers on check copies among them, shaped,
    filtered and ordered as decisions are (a copy must look like any item after it is answered, too)."""
    if filters.get("user_id") not in (None, user.id):
        raise ForbiddenError(f"user_id: a csm reads their own decisions only (user_id {user.id})")
    ordinary, total = decisions.get_all(session=session, team=user.team, filters={**filters, "user_id": user.id},
                                        current=current, limit=offset + limit, offset=0)
    answers = [shown for shown, language in _answers_of(session, user)
               if _matches(shown, language, filters, current)]
    merged = sorted(ordinary + answers, key=lambda d: (d.created_at, d.id))
    return merged[offset:offset + limit], total + len(answers)


def _answers_of(session: Session, user: User) -> list[tuple[DecisionPublic, str | None]]:
    """Every answer a person gave on check copies, as decisions, each with its copy's language."""
    rows = session.exec(select(CheckAnswer).where(CheckAnswer.user_id == user.id)).all()
    copies = {c.id: c for c in session.exec(select(Suggestion).where(
        col(Suggestion.id).in_({r.suggestion_id for r in rows})))} if rows else {}
    latest = checks.latest_answers(session, [i for i in copies if i is not None])
    taken_back = checks.withdrawals(session, [r.id for r in rows])
    found = []
    for row in rows:
        copy, check = copies[row.suggestion_id], session.get(Check, row.check_id)
        assert check is not None
        standing = latest.get(row.suggestion_id)
        # A withdrawn answer is superseded and shows when, as a withdrawn decision does: the listing must not
        # tell a copy apart after an undo either.
        superseded = standing is None or standing.id != row.id or row.id in taken_back
        found.append((_public(session, row, copy, check, superseded=superseded,
                              withdrawn_at=taken_back.get(row.id or 0)), copy.language))
    return found


def _matches(shown: DecisionPublic, language: str | None, filters: dict[str, Any], current: bool | None) -> bool:
    """The decision listing's filters (api.decisions.service.decision_filters), on one answer shaped as a
    decision."""
    for name in ("account_id", "model_version", "label", "suggested_label", "scope", "segment", "blind",
                 "suggestion_id"):
        if filters.get(name) is not None and getattr(shown, name) != filters[name]:
            return False
    if filters.get("since") is not None and shown.created_at < filters["since"]:
        return False
    if filters.get("until") is not None and shown.created_at > filters["until"]:
        return False
    wanted = filters.get("language")
    if wanted is not None and not (language is None if wanted == "unknown" else language == wanted):
        return False
    return current is None or current != shown.superseded
