"""Suggestions: the model's stored predictions made into rows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from api import draws
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
