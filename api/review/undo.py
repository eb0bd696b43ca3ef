"""Taking a decision back: soon after deciding, its maker may withdraw it and the item is pending again.

Decisions stay append-only: the withdrawn decision is kept, a withdrawal row says who took it back and when, and
the suggestion's head (which decision stands) is removed, so the audit, exports and training stop counting it
exactly as they stop counting a superseded revision. A check copy's answer is withdrawn the same way, so an undo
never tells a copy from an ordinary item; the copy's first answer is still the one measured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from api.checks import service as checks
from api.db import utcnow
from api.decisions.models import Decision, DecisionHead, Withdrawal
from api.errors import ConflictError, UnprocessableError
from api.review import checking
from api.suggestions.models import Scope, Suggestion
from api.users.models import User

UNDO_WINDOW = timedelta(minutes=10)
"""How long after deciding its maker may still withdraw a decision (later, a change of mind is a new decision)."""


def withdraw(*, session: Session, user: User, suggestion_id: int) -> Suggestion:
    """Withdraw the user's standing decision (or answer) on a message; the item goes back to their queue.

    Refused (409) when nothing of theirs stands there or the undo window has passed; a roll-up's decision moved
    the account's pulse (and may have told the CRM), so it is changed with a new decision instead (422).
    """
    suggestion = checking.get_or_raise(session=session, user=user, suggestion_id=suggestion_id, deciding=True)
    is_copy = checks.copy_of(session, suggestion_id) is not None
    if is_copy:
        answer = checks.latest_answers(session, [suggestion_id]).get(suggestion_id)
        standing = None if answer is None or checks.withdrawn(session, [answer.id]) else (
            answer.id, answer.user_id, answer.created_at)
        previous = checks.previous_answer(session, answer) if answer is not None else None
        replaced = previous is not None and _replaced_a_standing(session, previous.id)
    else:
        if suggestion.scope == Scope.ACCOUNT:
            raise UnprocessableError(f"suggestion {suggestion_id} is an account roll-up: its decision set the "
                                     "account's pulse; change it with a new decision instead", field="suggestion_id")
        head = session.get(DecisionHead, suggestion_id)
        decision = session.get(Decision, head.decision_id) if head else None
        standing = (decision.id, decision.user_id, decision.created_at) if decision else None
        replaced = decision is not None and _replaced_a_standing(session, decision.supersedes_id)
    if standing is None or standing[1] != user.id:
        raise ConflictError(f"suggestion {suggestion_id} has no decision of yours standing to withdraw")
    if replaced:
        raise ConflictError(f"the decision on suggestion {suggestion_id} replaced an earlier one, which an undo "
                            "cannot bring back; change it with a new decision instead")
    withdrawn_id, _, made_at = standing
    if utcnow() - made_at > UNDO_WINDOW:
        raise ConflictError(f"the decision on suggestion {suggestion_id} was made more than "
                            f"{UNDO_WINDOW.seconds // 60} minutes ago; change it with a new decision instead")
    _record(session, suggestion_id, withdrawn_id or 0, user, is_copy)
    return suggestion


def _replaced_a_standing(session: Session, previous_id: int | None) -> bool:
    """Whether a decision (or a copy's answer) superseded one that stood, not one its maker had withdrawn.
    Withdrawing it would leave nothing standing, so an old decision, or a colleague's, could be made to stop
    counting in the audit and the exports by deciding again and undoing."""
    return previous_id is not None and not checks.withdrawn(session, [previous_id])


def _record(session: Session, suggestion_id: int, withdrawn_id: int, user: User, is_copy: bool) -> None:
    """Record the withdrawal and remove the head, only if that head still names the decision withdrawn.

    Between reading what stands and writing, another request may have withdrawn it already (ten presses of u at
    once) or decided again (a lead's override): the head is deleted on the condition that it still points at the
    withdrawn decision, and the withdrawal's unique key lets one of two at once win, so the loser is a 409 and
    a newer decision is never unseated.
    """
    lost = ConflictError(f"suggestion {suggestion_id} has no decision of yours standing to withdraw")
    try:
        if not is_copy:  # a copy's answers have no head: the withdrawal alone takes one back
            gone = session.execute(delete(DecisionHead).where(col(DecisionHead.suggestion_id) == suggestion_id,
                                                              col(DecisionHead.decision_id) == withdrawn_id))
            if cast(CursorResult[Any], gone).rowcount != 1:
                session.rollback()
                raise lost
        session.add(Withdrawal(withdrawn_id=withdrawn_id, suggestion_id=suggestion_id, user_id=user.id or 0))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise lost from None
