"""Check items, their copies and answers, and when items were served: rows and plain reads."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.checks.models import Check, CheckAnswer, CheckCopy, CheckCreate, CheckPublic, Serving
from api.db import utcnow
from api.decisions.models import Decision, DecisionCreate, DecisionHead, DecisionPublic, Withdrawal, direction
from api.errors import ConflictError, NotFoundError, UnprocessableError
from api.policies import can_see
from api.suggestions.models import Scope, Suggestion
from api.users.models import User
from models.labels import LABELS, Label, shift


def create(*, session: Session, user: User, data: CheckCreate) -> Check:
    """Mark a decided message as a check item with the colour a lead agreed it has."""
    row = session.exec(select(Suggestion, Account.team).join(Account, col(Account.id) == Suggestion.account_id)
                       .where(Suggestion.id == data.suggestion_id)).first()
    if row is None or not can_see(user, row[1]) or session.get(CheckCopy, data.suggestion_id) is not None:
        raise NotFoundError(f"suggestion {data.suggestion_id} not found", field="suggestion_id")
    suggestion, team = row
    if suggestion.scope != Scope.INTERACTION or suggestion.interaction_id is None:
        raise UnprocessableError(f"suggestion {data.suggestion_id} is an account roll-up; a check item is one "
                                 "message", field="suggestion_id")
    if session.get(DecisionHead, data.suggestion_id) is None:
        raise UnprocessableError(f"suggestion {data.suggestion_id} has not been decided yet; mark a decided message "
                                 "as a check item", field="suggestion_id")
    existing = session.exec(select(Check).where(Check.interaction_id == suggestion.interaction_id)).first()
    if existing is not None:
        raise ConflictError(f"the message of suggestion {data.suggestion_id} is already check item {existing.id}",
                            field="suggestion_id")
    check = Check(interaction_id=suggestion.interaction_id, suggestion_id=data.suggestion_id,
                  account_id=suggestion.account_id, team=team, label=data.label, note=data.note,
                  created_by=user.id or 0)
    session.add(check)
    try:
        session.flush()
    except IntegrityError:  # the same message marked twice at once: one wins, the other is told as above
        session.rollback()  # a failed flush leaves nothing to keep in this transaction
        existing = session.exec(select(Check).where(Check.interaction_id == suggestion.interaction_id)).first()
        raise ConflictError(f"the message of suggestion {data.suggestion_id} is already check item "
                            f"{existing.id if existing else '(just made)'}", field="suggestion_id") from None
    session.refresh(check)
    return check


def retire(*, session: Session, user: User, check_id: int) -> Check:
    """Stop serving a check item (its answers stay)."""
    check = session.get(Check, check_id)
    if check is None or not can_see(user, check.team):
        raise NotFoundError(f"check item {check_id} not found")
    if check.retired_at is None:
        check.retired_at = utcnow()
        session.add(check)
        session.flush()
    return check


def listing(*, session: Session, team: str | None, limit: int = 1000) -> list[CheckPublic]:
    """The newest `limit` check items, each with how often it was served and answered right (first answers)."""
    query = select(Check).order_by(col(Check.created_at).desc(), col(Check.id).desc())
    if team is not None:
        query = query.where(Check.team == team)
    checks = list(session.exec(query.limit(limit)))
    served = dict(session.execute(sa_select(col(CheckCopy.check_id), func.count())
                                  .where(col(CheckCopy.check_id).in_([c.id for c in checks]))
                                  .group_by(col(CheckCopy.check_id))).all()) if checks else {}
    answered: dict[int, list[int]] = {}
    for answer in first_answers(session, check_ids=[c.id or 0 for c in checks]).values():
        counts = answered.setdefault(answer.check_id, [0, 0])
        counts[0] += 1
        counts[1] += answer.label == answer.agreed_label
    return [CheckPublic.model_validate(c, update={"served": int(served.get(c.id, 0)),
                                                  "answered": answered.get(c.id or 0, [0, 0])[0],
                                                  "correct": answered.get(c.id or 0, [0, 0])[1]}) for c in checks]


def eligible(session: Session, user: User) -> list[Check]:
    """Active check items of the user's team they neither decided themselves nor were served before."""
    decided_by_them = exists().where(col(Decision.interaction_id) == col(Check.interaction_id),
                                     col(Decision.user_id) == user.id)
    served_to_them = exists().where(col(CheckCopy.check_id) == col(Check.id), col(CheckCopy.served_to) == user.id)
    return list(session.exec(select(Check).where(Check.team == user.team, col(Check.retired_at).is_(None))
                             .where(~decided_by_them, ~served_to_them).order_by(col(Check.id)).limit(500)))


def copy(session: Session, check: Check, user: User, *, decoy: bool, blind: bool, rng: random.Random,
         model_version: str | None = None) -> Suggestion:
    """A check item's copy for one person, shaped like the decided suggestion it came from.

    The colour shown is the agreed one, or for a decoy a neighbouring one (Yellow for Red or Green; Red or
    Green for Yellow); the probabilities are the original's, with the shown colour's swapped to the top. It
    names `model_version` (the active one, as every new item does) where given, else the original's.
    """
    original = session.get(Suggestion, check.suggestion_id)
    assert original is not None
    agreed = Label(check.label)
    if decoy:
        shown = rng.choice([Label.RED, Label.GREEN]) if agreed == Label.YELLOW else Label.YELLOW
    else:
        shown = agreed
    probabilities = [original.p_red, original.p_yellow, original.p_green]
    top, wanted = probabilities.index(max(probabilities)), LABELS.index(shown)
    probabilities[top], probabilities[wanted] = probabilities[wanted], probabilities[top]
    made = Suggestion(scope=Scope.INTERACTION, account_id=check.account_id, interaction_id=None, label=shown,
                      p_red=probabilities[0], p_yellow=probabilities[1], p_green=probabilities[2],
                      confidence=max(probabilities), margin=original.margin,
                      model_version=model_version or original.model_version,
                      # Made now, as any new item is: the original's time beside a new id would give it away.
                      explanation=list(original.explanation), cues=list(original.cues), risk=original.risk,
                      created_at=utcnow(), blind=blind,
                      language=original.language, unsupported_language=original.unsupported_language)
    session.add(made)
    session.flush()
    session.add(CheckCopy(suggestion_id=made.id or 0, check_id=check.id or 0, served_to=user.id or 0))
    session.flush()
    return made


def copy_of(session: Session, suggestion_id: int | None) -> CheckCopy | None:
    """Whose check item's copy a suggestion is, or None for an ordinary one."""
    return session.get(CheckCopy, suggestion_id) if suggestion_id is not None else None


def check_of(session: Session, copy: Suggestion) -> Check:
    """The check item a copy was made from."""
    served = copy_of(session, copy.id)
    check = session.get(Check, served.check_id) if served else None
    assert check is not None, f"suggestion {copy.id} is not a check item's copy"
    return check


def copies() -> Any:
    """SQL for the ids of every check item's copy (readers of an account's suggestions leave them out)."""
    return sa_select(col(CheckCopy.suggestion_id))


def next_decision_id(session: Session) -> Any:
    """SQL for the next id of the one id space decisions and check answers share, evaluated inside the INSERT
    (so two writers never take the same id): an answer's id cannot be told from a decision's by its size."""
    if session.get_bind().dialect.name == "postgresql":
        return func.nextval(func.pg_get_serial_sequence("decisions", "id"))
    highest = union_all(sa_select(func.max(col(Decision.id)).label("top")),
                        sa_select(func.max(col(CheckAnswer.id)).label("top"))).subquery()
    return sa_select(func.coalesce(func.max(highest.c.top), 0) + 1).scalar_subquery()


def answer(session: Session, *, check: Check, copy: Suggestion, user: User, data: DecisionCreate,
           server_ms: int | None, idempotency_key: str | None, revision: int) -> CheckAnswer:
    """Record an answer on a copy (committed by the caller); `data` has its colour settled."""
    assert data.label is not None
    row = CheckAnswer(check_id=check.id or 0, suggestion_id=copy.id or 0, user_id=user.id or 0, label=data.label,
                      revision=revision,
                      point=data.point, sentiment_reason=data.sentiment_reason,
                      override_reason=data.override_reason, note=data.note,
                      agreed_label=check.label, shown_label=copy.label,
                      decoy=not copy.blind and copy.label != check.label, blind=copy.blind, viewed_ms=data.viewed_ms,
                      server_ms=server_ms, idempotency_key=idempotency_key)
    row.id = next_decision_id(session)
    session.add(row)
    return row


def first_answers(session: Session, *, suggestion_ids: Sequence[int] | None = None,
                  check_ids: Sequence[int] | None = None) -> dict[int, CheckAnswer]:
    """The first answer on each copy (the one made when it was served), by the copy's suggestion id."""
    first = sa_select(func.min(col(CheckAnswer.id))).group_by(col(CheckAnswer.suggestion_id))
    if suggestion_ids is not None:
        first = first.where(col(CheckAnswer.suggestion_id).in_(list(suggestion_ids)))
    if check_ids is not None:
        first = first.where(col(CheckAnswer.check_id).in_(list(check_ids)))
    rows = session.exec(select(CheckAnswer).where(col(CheckAnswer.id).in_(first)))
    return {row.suggestion_id: row for row in rows}


def latest_answers(session: Session, suggestion_ids: Sequence[int]) -> dict[int, CheckAnswer]:
    """The answer that stands on each copy (the latest), by the copy's suggestion id."""
    if not suggestion_ids:
        return {}
    last = (sa_select(func.max(col(CheckAnswer.id))).where(col(CheckAnswer.suggestion_id).in_(list(suggestion_ids)))
            .group_by(col(CheckAnswer.suggestion_id)))
    return {row.suggestion_id: row for row in session.exec(select(CheckAnswer).where(col(CheckAnswer.id).in_(last)))}


def withdrawn(session: Session, ids: Sequence[int | None]) -> set[int]:
    """Which of these decisions or answers their makers withdrew."""
    return set(withdrawals(session, ids))


def withdrawals(session: Session, ids: Sequence[int | None]) -> dict[int, datetime]:
    """When each of these decisions or answers was withdrawn, for those that were."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.exec(select(Withdrawal.withdrawn_id, Withdrawal.created_at)
                             .where(col(Withdrawal.withdrawn_id).in_(wanted))).all())


def answered() -> Any:
    """SQL: the suggestion in hand is a check copy with an answer standing: its latest answer, unless its maker
    withdrew it. An earlier answer does not stand again, as a withdrawn decision leaves no head behind."""
    later = aliased(CheckAnswer)
    latest = ~exists().where(col(later.suggestion_id) == col(CheckAnswer.suggestion_id),
                             col(later.id) > col(CheckAnswer.id))
    kept = ~exists().where(col(Withdrawal.withdrawn_id) == col(CheckAnswer.id))
    return exists().where(col(CheckAnswer.suggestion_id) == col(Suggestion.id), latest, kept)


def answer_public(row: CheckAnswer, copy: Suggestion, check: Check, *, segment: str | None,
                  supersedes_id: int | None, superseded: bool,
                  withdrawn_at: datetime | None = None) -> DecisionPublic:
    """An answer shaped as the decision the person believes they made, every field as a decision's."""
    steps = shift(Label(copy.label), Label(row.label))
    return DecisionPublic(
        id=row.id or 0, suggestion_id=copy.id or 0, user_id=row.user_id, label=row.label, point=row.point,
        accepted=steps == 0, direction=direction(steps), shift=steps,
        sentiment_reason=row.sentiment_reason, override_reason=row.override_reason, note=row.note,
        blind=row.blind, viewed_ms=row.viewed_ms,
        server_ms=row.server_ms, revision=row.revision, supersedes_id=supersedes_id, superseded=superseded,
        withdrawn_at=withdrawn_at, created_at=row.created_at,
        suggested_label=copy.label, confidence=copy.confidence, model_version=copy.model_version,
        scope=copy.scope, account_id=copy.account_id, interaction_id=check.interaction_id, team=check.team,
        segment=segment)


# --- the server's clock: when an item reached a person ---------------------------------------------------


def record_servings(session: Session, user_id: int, suggestion_ids: Sequence[int], at: datetime | None = None) -> None:
    """Note the first time each item was put in front of a person (a page of the queue at most)."""
    wanted = set(suggestion_ids)
    if not wanted:
        return
    # A page read again writes nothing (no transaction to flush under load); what is new is inserted by one
    # statement that skips rows already there, so the same person reading two pages at once cannot collide.
    known = set(session.exec(select(Serving.suggestion_id).where(Serving.user_id == user_id)
                             .where(col(Serving.suggestion_id).in_(wanted))))
    new = wanted - known
    if not new:
        return
    moment = at or utcnow()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Serving).values([{"user_id": user_id, "suggestion_id": s, "served_at": moment}
                                            for s in sorted(new)]).on_conflict_do_nothing())


def elapsed_ms(session: Session, user_id: int, suggestion_id: int, now: datetime) -> int | None:
    """Server-clock ms from the item reaching this person to `now`: from when it was served, or from their
    previous decision if that came later (people work through a served page one item after another).
    None when it was never served to them."""
    served = session.exec(select(Serving.served_at).where(Serving.user_id == user_id)
                          .where(Serving.suggestion_id == suggestion_id)).first()
    if served is None:
        return None
    previous = session.execute(sa_select(func.max(col(Decision.created_at)))
                               .where(col(Decision.user_id) == user_id)).scalar()
    answered_at = session.execute(sa_select(func.max(col(CheckAnswer.created_at)))
                                  .where(col(CheckAnswer.user_id) == user_id)).scalar()
    start = max(m for m in (served, previous, answered_at) if m is not None)
    return max(int((now - start).total_seconds() * 1000), 0)


def per_person(session: Session, team: str | None, since: datetime | None = None,
               until: datetime | None = None) -> dict[int, dict[str, int]]:
    """First answers on check copies per person: answered, right, decoys and decoys accepted."""
    first = sa_select(func.min(col(CheckAnswer.id))).group_by(col(CheckAnswer.suggestion_id))
    conditions: list[Any] = [col(CheckAnswer.id).in_(first)]
    if team is not None:
        conditions.append(col(CheckAnswer.check_id).in_(sa_select(col(Check.id)).where(col(Check.team) == team)))
    if since is not None:
        conditions.append(col(CheckAnswer.created_at) >= since)
    if until is not None:
        conditions.append(col(CheckAnswer.created_at) <= until)  # inclusive, as for decisions
    right = func.sum(case((col(CheckAnswer.label) == col(CheckAnswer.agreed_label), 1), else_=0))
    decoys = func.sum(case((col(CheckAnswer.decoy), 1), else_=0))
    took = func.sum(case((and_(col(CheckAnswer.decoy), col(CheckAnswer.label) == col(CheckAnswer.shown_label)), 1),
                         else_=0))
    rows = session.execute(sa_select(col(CheckAnswer.user_id), func.count(), right, decoys, took)
                           .where(*conditions).group_by(col(CheckAnswer.user_id))).all()
    return {int(uid): {"answered": int(n), "right": int(r or 0), "decoys": int(d or 0), "decoys_accepted": int(t or 0)}
            for uid, n, r, d, t in rows}



def answer_by_key(session: Session, user_id: int, key: str) -> CheckAnswer | None:
    """A person's earlier answer made with this Idempotency-Key."""
    return session.exec(select(CheckAnswer).where(CheckAnswer.user_id == user_id)
                        .where(CheckAnswer.idempotency_key == key)).first()


def previous_answer(session: Session, row: CheckAnswer) -> CheckAnswer | None:
    """The answer this one superseded on its copy."""
    return session.exec(select(CheckAnswer).where(CheckAnswer.suggestion_id == row.suggestion_id)
                        .where(CheckAnswer.revision == row.revision - 1)).first()


def checked_messages(session: Session, interaction_ids: Sequence[int | None]) -> set[int]:
    """Which of these messages are check items already."""
    wanted = {i for i in interaction_ids if i is not None}
    if not wanted:
        return set()
    return set(session.exec(select(Check.interaction_id).where(col(Check.interaction_id).in_(wanted))))
