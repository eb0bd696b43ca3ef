"""Shadow against active: both judged by the same human decisions.

For every current decision on an interaction that a shadow version also scored, the shadow's label
and the label people were shown (the active version's) are compared with what the person chose.
Decisions on shown suggestions lean towards what was shown (anchoring), which favours the active
version; the blind subset has no such lean, so it is reported on its own.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel
from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.decisions.models import Decision
from api.decisions.service import standing
from api.shadows.models import ShadowPrediction
from api.suggestions.models import Scope
from models.labels import Label
from models.metrics import macro_f1


class PairedAgreement(BaseModel):
    """Agreement of each version with the same decisions, and the paired difference with a 95% interval."""

    n: int
    shadow_agreement: float | None
    active_agreement: float | None
    difference: float | None  # shadow minus active
    ci_low: float | None
    ci_high: float | None
    shadow_macro_f1: float | None
    active_macro_f1: float | None


class ShadowComparison(BaseModel):
    """Answer of GET /v1/audit/shadow."""

    version: str
    active_versions: list[str]
    all: PairedAgreement
    blind: PairedAgreement


def compare(*, session: Session, version: str, team: str | None) -> ShadowComparison:
    """Compare a shadow version with the suggestions people were shown, on the same current decisions."""
    shadow = ShadowPrediction
    query = (standing(sa_select(col(Decision.label), col(Decision.suggested_label), col(Decision.model_version),
                                col(Decision.blind), col(shadow.label)))
             .join(shadow, and_(col(shadow.interaction_id) == col(Decision.interaction_id),
                                col(shadow.model_version) == version))
             .where(col(Decision.scope) == Scope.INTERACTION))
    if team is not None:
        query = query.where(col(Decision.team) == team)
    rows = session.execute(query).all()
    return ShadowComparison(version=version, active_versions=sorted({r[2] for r in rows}),
                            all=_paired([(r[0], r[1], r[4]) for r in rows]),
                            blind=_paired([(r[0], r[1], r[4]) for r in rows if r[3]]))


def _paired(rows: list[tuple[str, str, str]]) -> PairedAgreement:
    n = len(rows)
    if n == 0:
        return PairedAgreement(n=0, shadow_agreement=None, active_agreement=None, difference=None, ci_low=None,
                               ci_high=None, shadow_macro_f1=None, active_macro_f1=None)
    human, active, shadow = (np.array([Label(r[i]).rank for r in rows], dtype=np.int64) for i in range(3))
    diffs = [(s == h) - (a == h) for h, a, s in rows]
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n) if n > 1 else None
    return PairedAgreement(
        n=n, shadow_agreement=round(sum(s == h for h, _, s in rows) / n, 4),
        active_agreement=round(sum(a == h for h, a, _ in rows) / n, 4), difference=round(mean, 4),
        # Normal approximation to the paired difference, clipped to the possible range [-1, 1].
        ci_low=None if half is None else round(max(mean - half, -1.0), 4),
        ci_high=None if half is None else round(min(mean + half, 1.0), 4),
        shadow_macro_f1=round(macro_f1(human, shadow), 4), active_macro_f1=round(macro_f1(human, active), 4))
