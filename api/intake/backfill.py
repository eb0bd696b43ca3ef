"""Backfill and shadow scoring: a version scores stored interactions it has not scored, in worker jobs."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.decisions import shown
from api.decisions.models import DecisionHead
from api.interactions.models import Interaction
from api.jobs import service as jobs
from api.jobs.models import JobKind
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion
from api.model_versions.service import get_active
from api.shadows.models import ShadowPrediction
from api.suggestions import service as suggestions
from api.suggestions.models import Scope, Suggestion
from models import explain


def enqueue_backfill(session: Session, *, version: str, chunk: int = 256, include_decided: bool = False) -> int:
    """Queue score jobs for the interactions the version has not scored; returns how many interactions.

    Interactions a person has already decided are left out unless `include_decided`: re-scoring them
    would put settled items back in the review queue.
    """
    scored = select(Suggestion.interaction_id).where(Suggestion.model_version == version) \
        .where(col(Suggestion.interaction_id).is_not(None))
    query = select(Interaction.id).where(col(Interaction.id).not_in(scored)).order_by(col(Interaction.id))
    if not include_decided:
        decided = select(Suggestion.interaction_id).join(DecisionHead, col(DecisionHead.suggestion_id) ==
                                                         col(Suggestion.id)).where(col(Suggestion.interaction_id)
                                                                                   .is_not(None))
        query = query.where(col(Interaction.id).not_in(decided))
    ids = [i for i in session.exec(query) if i is not None]
    for start in range(0, len(ids), chunk):
        jobs.enqueue(session, JobKind.SCORE, {"model_version": version, "interaction_ids": ids[start:start + chunk]})
    session.commit()
    return len(ids)


def score(session: Session, *, version: ModelVersion, interaction_ids: list[int], shadow: bool, models: ModelHolder,
      blind_share: float) -> str:
    """Score the listed interactions with a model version (backfill or shadow); scored ones are skipped.

    A shadow job's predictions are stored apart (api.shadows). Otherwise, when the version is the active
    one, its suggestion replaces the older pending ones of the same interaction in the queue.
    """
    ids, silent = interaction_ids, shadow
    stored = set(session.exec(select(Suggestion.interaction_id).where(col(Suggestion.interaction_id).in_(ids))
                              .where(Suggestion.model_version == version.version)))
    silently = {p.interaction_id: p for p in session.exec(
        select(ShadowPrediction).where(col(ShadowPrediction.interaction_id).in_(ids))
        .where(ShadowPrediction.model_version == version.version))}
    active = get_active(session=session)
    replaces = not silent and active is not None and active.version == version.version
    revealed = 0
    if not silent:
        # The version scored these in shadow before it was promoted: its predictions become their suggestions.
        for interaction_id, kept in silently.items():
            session.delete(kept)
            if interaction_id in stored:  # already suggested by this version while it was active before
                continue
            suggestion = Suggestion(scope=Scope.INTERACTION, blind=False, **kept.model_dump(exclude={"id"}))
            session.add(suggestion)
            stored.add(interaction_id)
            revealed += 1
            if replaces:
                session.flush()
                shown.supersede(session, suggestion, (col(Suggestion.interaction_id) == interaction_id,))
    else:
        stored |= set(silently)
    todo = list(session.exec(select(Interaction).where(col(Interaction.id).in_(ids))
                             .where(col(Interaction.id).not_in(list(stored))).order_by(col(Interaction.id))))
    if not todo:
        session.commit()
        return f"nothing left to score ({revealed} shadow suggestion(s) shown)"
    classifier = models.load(version)
    for interaction, prediction in zip(todo, explain.predict(classifier, [i.body for i in todo]), strict=True):
        assert interaction.id is not None
        if interaction.language is None:  # stored before languages were recorded
            interaction.language = prediction.language
            session.add(interaction)
        if silent:
            session.add(ShadowPrediction(account_id=interaction.account_id, interaction_id=interaction.id,
                                         **suggestions.stored_fields(prediction)))
            continue
        suggestion = suggestions.from_prediction(prediction, account_id=interaction.account_id,
                                                 scope=Scope.INTERACTION, interaction_id=interaction.id,
                                                 blind_share=blind_share)
        session.add(suggestion)
        if replaces:
            session.flush()
            shown.supersede(session, suggestion, (col(Suggestion.interaction_id) == interaction.id,))
    session.commit()
    return f"scored {len(todo)} with {version.version}{' in shadow' if silent else ''}"
