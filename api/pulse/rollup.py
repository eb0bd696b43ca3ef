"""The account roll-up: the model's suggestion for an account, from its recent interactions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.config import Settings
from api.db import utcnow
from api.decisions.shown import supersede
from api.errors import UnprocessableError
from api.interactions.models import Interaction
from api.suggestions.models import Scope, Suggestion
from api.suggestions.service import from_prediction
from models.classifier import Classifier, to_prediction
from models.labels import LABELS

CUE_WEIGHT = 2.0
"""How much more a message weighs in its account's roll-up per unit of its strongest cue's score."""


def roll_up(*, session: Session, account: Account, classifier: Classifier, settings: Settings,
            now: datetime | None = None) -> Suggestion:
    """An account-scope suggestion: recency- and cue-weighted mean of its recent interactions' probabilities.

    Each interaction in the window weighs 0.5 ** (age / half-life), times 1 + CUE_WEIGHT × its strongest cue's
    score: a non-renewal notice among ten routine messages moves the account more than any one of them. The
    roll-up's `risk` (which the queue weighs) is the window's strongest risk cue; it names no message's cues or
    colour, which would tell a blind item or a check item's copy from the others. An interaction's
    probabilities are the ones the classifier's version already stored for it; only interactions it has not
    scored are scored now. The explanation names the interactions that contributed most to the chosen colour. The
    new suggestion replaces the account's older pending roll-ups, so the queue holds one per account.
    """
    now = now or utcnow()
    rows = _recent(session, account, classifier, now - timedelta(days=settings.rollup_window_days))
    if not rows:
        raise UnprocessableError(
            f"account {account.id} has no interactions in the last {settings.rollup_window_days} days to roll up")
    interactions = [interaction for interaction, _ in rows]
    probs = np.array([[s.p_red, s.p_yellow, s.p_green] if s else [np.nan] * 3 for _, s in rows])
    unscored = [i for i, (_, s) in enumerate(rows) if s is None]
    if unscored:
        probs[unscored] = classifier.predict_proba([interactions[i].body for i in unscored])
    ages = np.array([max((now - i.occurred_at).total_seconds() / 86400.0, 0.0) for i in interactions])
    strongest = np.array([max((float(c["score"]) for c in s.cues), default=0.0) if s else 0.0 for _, s in rows])
    weights = 0.5 ** (ages / settings.rollup_half_life_days) * (1.0 + CUE_WEIGHT * strongest)
    combined = (weights[:, None] * probs).sum(axis=0) / weights.sum()
    prediction = to_prediction(classifier.version, combined)
    contribution = weights * probs[:, LABELS.index(prediction.label)] / weights.sum()
    assert account.id is not None
    suggestion = from_prediction(prediction, account_id=account.id, scope=Scope.ACCOUNT, explanation=[],
                                 blind_share=settings.blind_share, seed=settings.random_seed)
    suggestion.risk = max((s.risk for _, s in rows if s), default=0.0)  # each message's strongest risk cue
    session.add(suggestion)
    session.flush()
    suggestion.explanation = _explanation(session, interactions, contribution)
    session.add(suggestion)
    session.flush()
    supersede(session, suggestion, (col(Suggestion.account_id) == account.id,
                                    col(Suggestion.scope) == Scope.ACCOUNT))
    session.commit()
    session.refresh(suggestion)
    return suggestion


def _recent(session: Session, account: Account, classifier: Classifier,
            since: datetime) -> Sequence[tuple[Interaction, Suggestion | None]]:
    """The account's interactions since `since`, newest first, each with this version's stored suggestion."""
    stored = and_(col(Suggestion.interaction_id) == col(Interaction.id),
                  col(Suggestion.model_version) == classifier.version)
    return session.exec(select(Interaction, Suggestion).outerjoin(Suggestion, stored)
                        .where(Interaction.account_id == account.id)
                        .where(col(Interaction.occurred_at) >= since)
                        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())).all()


def _explanation(session: Session, interactions: list[Interaction],
                 contribution: NDArray[np.float64]) -> list[dict[str, Any]]:
    """The five messages that contributed most, each with its share of the roll-up and its opening.

    The snippets are read only now, inside this write (and under a share lock on PostgreSQL): an erasure
    committed before shows here as erased text, and one that comes after waits for this transaction and
    then empties this explanation too. Either way no erased text survives in it. No message's own colour: it
    would show a blind item's, or the model's real answer beside a check item's decoy."""
    order = np.argsort(-contribution)[:5]
    top = [interactions[i].id for i in order]
    bodies = dict(session.execute(sa_select(col(Interaction.id), col(Interaction.body))
                                  .where(col(Interaction.id).in_(top)).with_for_update(read=True)).all())
    return [{"interaction_id": interactions[i].id, "weight": round(float(contribution[i]), 4),
             "occurred_at": interactions[i].occurred_at.isoformat(), "text": bodies[interactions[i].id][:280]}
            for i in order]


def refresh(*, session: Session, account: Account, requested_at: datetime, classifier: Callable[[], Classifier],
            settings: Settings) -> str:
    """A roll-up job: roll the account up unless one made since the request already covers its text.

    Returns what happened, in words; an account with nothing recent to roll up is an answer, not a failure.
    """
    newest = session.exec(select(Suggestion.created_at).where(Suggestion.account_id == account.id)
                          .where(Suggestion.scope == Scope.ACCOUNT)
                          .order_by(col(Suggestion.created_at).desc())).first()
    if newest is not None and newest >= requested_at:
        return "already rolled up"
    try:
        suggestion = roll_up(session=session, account=account, classifier=classifier(), settings=settings)
    except UnprocessableError as error:
        return error.message
    return f"suggestion {suggestion.id} {suggestion.label}"
