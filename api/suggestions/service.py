"""Suggestions: the model's stored predictions made into rows, and the latest one on a stored message."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import Session, col, select

from api import draws
from api.interactions.models import Interaction
from api.interactions.service import erased_external_id
from api.suggestions.models import Scope, Suggestion
from models.classifier import Prediction
from models.cues import risk_of
from models.labels import Label


def from_prediction(prediction: Prediction, *, account_id: int, scope: Scope, blind_share: float,
                    interaction_id: int | None = None, explanation: list[dict[str, Any]] | None = None,
                    seed: int | None = None) -> Suggestion:
    """A suggestion row for a prediction (not yet added to a session).

    A random `blind_share` of suggestions are blind: served without the model's answer until decided.
    """
    return Suggestion(blind=draws.chance(blind_share, seed), scope=scope, account_id=account_id,
                      interaction_id=interaction_id, **stored_fields(prediction, explanation))


def stored_fields(prediction: Prediction, explanation: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The columns of a stored prediction (models.PredictionBase) that the prediction itself fills."""
    p = prediction.probabilities
    return {
        "label": prediction.label, "p_red": round(p[Label.RED], 6), "p_yellow": round(p[Label.YELLOW], 6),
        "p_green": round(p[Label.GREEN], 6), "confidence": round(prediction.confidence, 6),
        "margin": round(prediction.margin, 6), "model_version": prediction.model_version,
        "explanation": explanation if explanation is not None else [asdict(e) for e in prediction.explanation],
        "cues": [asdict(c) for c in prediction.cues], "risk": risk_of(prediction.cues),
        "language": prediction.language, "unsupported_language": prediction.unsupported_language,
    }


def find_existing(*, session: Session, account_id: int, external_id: str) -> tuple[Interaction, Suggestion] | None:
    """The interaction already stored under this external id (or its digest, once erased), with its latest
    suggestion."""
    interaction = session.exec(select(Interaction).where(Interaction.account_id == account_id)
                               .where(col(Interaction.external_id).in_({external_id,
                                                                       erased_external_id(external_id)}))).first()
    if interaction is None:
        return None
    suggestion = session.exec(select(Suggestion).where(Suggestion.interaction_id == interaction.id)
                              .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())).first()
    if suggestion is None:  # pragma: no cover - both rows are written in one transaction
        raise RuntimeError(f"interaction {interaction.id} has no suggestion")
    return interaction, suggestion
