"""The review queue: pending suggestions most in need of a human first, each saying why it stands where it does.

The rank is uncertainty (1 - margin) plus what is at stake (the chance of Red, or the strongest risk cue), weighted
up for near renewals, ARR and stale accounts, computed in SQL
(with the same staleness rule as the account list, api.pulse.cadence) so the database orders and pages
the whole queue.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.accounts.models import Account
from api.checks import service as checks
from api.checks.models import Check, CheckAnswer, CheckCopy
from api.config import Settings
from api.db import count
from api.decisions import shown
from api.decisions.models import Decision, DecisionHead, DecisionPublic
from api.decisions.service import current_decisions
from api.decisions.shown import SuggestionPublic
from api.errors import UnprocessableError
from api.interactions.models import Interaction
from api.outcomes import service as outcomes
from api.pulse.cadence import cadence_sql, stale_sql
from api.pulse.service import last_pulses
from api.review import checking
from api.suggestions.models import Scope, Suggestion
from models.cues import RISK

MISS_WEIGHT = 1.5
"""How much the risk at stake weighs against uncertainty (at most 1) in the queue rank: a confident Green whose
risk cue scores 0.8 outranks the most uncertain routine Yellow, and a confident Red (an account that may not
renew, which somebody must confirm and act on) is never buried under routine questions because the model is
sure of it."""


def priority_parts(today: date, settings: Settings, last: Any) -> dict[str, ColumnElement[float]]:
    """The weights of the queue rank, each a SQL expression: miss, renewal, arr, stale and language (see
    priority_expression)."""
    name = cadence_sql(col(Account.renewal_date), col(Account.segment), today, settings)
    return {
        # What is at stake: the probability of Red or the strongest risk cue, whichever is higher, on every
        # suggestion. On a Red one it is the risk somebody must act on; on another, what a confident wrong call
        # would cost (a confident Green naming a competitor is not safe).
        "miss": case((col(Suggestion.p_red) > col(Suggestion.risk), col(Suggestion.p_red)), else_=col(Suggestion.risk)),
        "renewal": case((name == "weekly", 1.0), (name == "monthly", 0.5), else_=0.0),
        "arr": case((col(Account.arr).is_(None), 0.0), (col(Account.arr) >= 200_000, 0.5),
                    else_=col(Account.arr) / 400_000.0),
        "stale": stale_sql(col(Account.renewal_date), col(Account.segment), last.c.last_pulse, today, settings,
                           weight=0.5),
        "language": case((col(Suggestion.unsupported_language), 1.0), else_=0.0),
    }


MISS_SHOWN = 0.2
"""A chance of a missed risk at least this high is named in an item's `why`."""


def why(margin: float, parts: dict[str, float], suggestion: Suggestion | None = None) -> str:
    """The queue rank in words: how uncertain the model is, what is at stake (the risk cue or the chance of Red,
    on a Red suggestion as on any other), and what about the account weighs it up."""
    reasons = [f"uncertainty {1 - margin:.2f} (margin {margin:.2f} between the two likeliest colours)"]
    miss = parts.get("miss", 0.0)
    if miss >= MISS_SHOWN and suggestion is not None:
        cue = strongest_risk(suggestion)
        said = (f"risk cue: {cue['kind'].replace('_', ' ')}" if cue and cue["score"] >= miss
                else f"chance of Red {miss:.2f}")
        reasons[0] += f" + {said} (suggested {suggestion.label}) (+{MISS_WEIGHT * miss:.2f})"
    if parts["renewal"]:
        reasons.append(f"{'weekly' if parts['renewal'] >= 1 else 'monthly'} cadence: renewal near or a top segment "
                       f"(+{parts['renewal']:g})")
    if parts["arr"]:
        reasons.append(f"ARR (+{parts['arr']:.2f})")
    if parts["stale"]:
        reasons.append(f"pulse overdue or missing (+{parts['stale']:g})")
    if parts.get("language"):
        reasons.append(f"written in a language the model does not read (+{parts['language']:g})")
    return reasons[0] + (" × (1 + " + " + ".join(reasons[1:]) + ")" if len(reasons) > 1 else "")


def strongest_risk(suggestion: Suggestion) -> dict[str, Any] | None:
    """The suggestion's strongest risk cue, or None."""
    return max((c for c in suggestion.cues if c.get("kind") in RISK), key=lambda c: float(c["score"]), default=None)


def priority_expression(parts: dict[str, ColumnElement[float]]) -> ColumnElement[float]:
    """Queue rank from `priority_parts`: uncertainty (1 - margin) plus what is at stake (the suggestion's chance
    of Red or its strongest risk cue, whichever is higher), weighted up for near renewals, ARR, stale accounts
    and text in a language the model does not read.

    Stale means what GET /v1/accounts says: no pulse yet, or the last one older than the account's
    cadence (weekly, monthly or quarterly by renewal distance). Computed in SQL, with the day bounds
    bound as parameters, so the database orders the whole queue and pages through it.
    """
    return ((literal(1.0) - col(Suggestion.margin) + MISS_WEIGHT * parts["miss"])
            * (literal(1.0) + parts["renewal"] + parts["arr"] + parts["stale"] + parts["language"]))


def decided_order(own_first_for: int | None) -> list[Any]:
    """Decided items by when their standing decision (or a check copy's latest answer) was made, newest first;
    given a person, theirs first."""
    decision = (sa_select(col(Decision.created_at))
                .join(DecisionHead, col(DecisionHead.decision_id) == col(Decision.id))
                .where(col(DecisionHead.suggestion_id) == col(Suggestion.id)).scalar_subquery())
    answer = (sa_select(func.max(col(CheckAnswer.created_at)))
              .where(col(CheckAnswer.suggestion_id) == col(Suggestion.id)).scalar_subquery())
    order: list[Any] = [func.coalesce(decision, answer).desc(), col(Suggestion.id).desc()]
    if own_first_for is not None:
        theirs = or_(exists().where(col(DecisionHead.suggestion_id) == col(Suggestion.id),
                                    col(DecisionHead.decision_id) == col(Decision.id),
                                    col(Decision.user_id) == own_first_for),
                     col(CheckCopy.served_to) == own_first_for)
        order.insert(0, case((theirs, 0), else_=1))
    return order


MAX_OFFSET = 2**63 - 1
"""The largest offset a database can skip (a 64-bit integer)."""


def encode_cursor(offset: int) -> str:
    """An opaque page cursor."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset inside a cursor this API gave out."""
    if not cursor:
        return 0
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        offset = int(value)
        if kind != "o" or not 0 <= offset <= MAX_OFFSET:
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise UnprocessableError(f"cursor {cursor!r} is not a cursor this API gave out", field="cursor") from None
    return offset


def queue(*, session: Session, team: str | None, status: str, scope: Scope | None, account_id: int | None,
          limit: int, cursor: str | None, today: date, settings: Settings,
          viewer_id: int | None = None, own_decided: bool = False,
          own_first: bool = False) -> tuple[list[SuggestionPublic], int, str | None]:
    """The review queue: pending suggestions most in need of a human first, or decided ones by when they were
    decided, newest first (with `own_first`, the viewer's own decisions before colleagues').

    A check item's copy is served to one person (`viewer_id`) and looks like any other item; a pending page
    read by a person records when each item was first served to them (the server's clock for the audit).
    With `own_decided` (a CSM reading), decided messages are those the viewer decided: which ones colleagues
    decided would tell a check item's copy from an ordinary item.
    """
    offset = decode_cursor(cursor)
    # Decided: a decision stands (a withdrawn one leaves no head), or a check copy has an answer standing.
    decided = or_(exists().where(col(DecisionHead.suggestion_id) == col(Suggestion.id)), checks.answered())
    last = last_pulses()
    parts = priority_parts(today, settings, last)
    priority = priority_expression(parts).label("priority")
    message = func.coalesce(col(Suggestion.interaction_id), col(Check.interaction_id))
    query = (sa_select(Suggestion, col(Interaction.body), priority, parts["miss"].label("miss"),
                       parts["renewal"].label("renewal"), parts["arr"].label("arr"), parts["stale"].label("stale"),
                       parts["language"].label("language"), message.label("message"))
             .join(Account, col(Account.id) == col(Suggestion.account_id))
             .outerjoin(last, last.c.account_id == col(Suggestion.account_id))
             .outerjoin(CheckCopy, col(CheckCopy.suggestion_id) == col(Suggestion.id))
             .outerjoin(Check, col(Check.id) == col(CheckCopy.check_id))
             .outerjoin(Interaction, col(Interaction.id) == message)
             .where(or_(col(CheckCopy.served_to).is_(None), col(CheckCopy.served_to) == viewer_id))
             .where(decided if status == "decided" else
                    # A churned account's items leave the queue until a new renewal reopens it.
                    and_(~decided, col(Suggestion.superseded_by_id).is_(None), ~outcomes.churned_sql())))
    if team is not None:
        query = query.where(col(Account.team) == team)
    if status == "decided" and own_decided:
        theirs = exists().where(col(Decision.suggestion_id) == col(Suggestion.id), col(Decision.user_id) == viewer_id)
        query = query.where(or_(col(Suggestion.scope) == Scope.ACCOUNT, col(CheckCopy.check_id).is_not(None), theirs))
    if scope is not None:
        query = query.where(col(Suggestion.scope) == scope)
    if account_id is not None:
        query = query.where(col(Suggestion.account_id) == account_id)
    if status == "decided":
        query = query.order_by(*decided_order(viewer_id if own_first else None))
    else:
        query = query.order_by(priority.desc(), col(Suggestion.created_at).asc(), col(Suggestion.id).asc())
    rows = session.execute(query.offset(offset).limit(limit)).all()
    total = count(session, query)
    served = [s.id for s, *_ in rows if s.id is not None]
    decisions: dict[int, Decision | DecisionPublic] = {}
    if status == "decided":
        decisions.update(current_decisions(session=session, suggestion_ids=served))
        decisions.update(checking.answers_public(session, [s for s, *_ in rows]))  # only copies have answers
    elif viewer_id is not None:
        checks.record_servings(session, viewer_id, served)
        session.commit()  # when each item first reached this person: the server's clock for the audit
    data = [shown.public(s, text=body, decision=decisions.get(s.id or 0), priority=p, interaction_id=m,
                               why=None if status == "decided" else why(
                                   s.margin, {"miss": miss, "renewal": r, "arr": a, "stale": st, "language": lang}, s))
            for s, body, p, miss, r, a, st, lang, m in rows]
    next_cursor = encode_cursor(offset + limit) if offset + limit < total else None
    return data, total, next_cursor
