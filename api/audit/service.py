"""The gap between people and the model, counted in SQL over each suggestion's current decision."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel
from sqlalchemy import Integer, and_, case, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.accounts.models import Account
from api.decisions.models import Decision
from api.suggestions.models import Suggestion
from api.suggestions.service import current_decisions, filters
from api.users.models import User
from models.labels import LABELS

Z_95 = 1.959963984540054


class UserDirection(BaseModel):
    """How one person's choices lean against the model's suggestions."""

    user_id: int
    name: str
    n: int
    accept_rate: float
    rosier_rate: float
    harsher_rate: float
    mean_shift: float
    ci_low: float | None
    ci_high: float | None
    flagged: bool


class Agreement(BaseModel):
    """Agreement on a subset of decisions."""

    n: int
    agreement: float | None


class AuditSummary(BaseModel):
    """Answer of GET /v1/audit/summary."""

    n: int
    agreement: float | None
    cohen_kappa: float | None
    weighted_kappa: float | None
    confusion: dict[str, dict[str, int]]
    confusion_axes: str = "confusion[model_label][human_label]"
    per_user: list[UserDirection]
    blind: Agreement
    shown: Agreement
    filters: dict[str, Any]


def _rank(column: Any) -> Any:
    return case((column == "Red", 0), (column == "Yellow", 1), else_=2)


def kappas(matrix: NDArray[np.float64]) -> tuple[float | None, float | None]:
    """Cohen's kappa and quadratic-weighted kappa of a square confusion matrix (None if undefined)."""
    n = matrix.sum()
    if n == 0:
        return None, None
    observed = matrix / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    pe = float(np.trace(expected))
    kappa = None if math.isclose(pe, 1.0) else (float(np.trace(observed)) - pe) / (1.0 - pe)
    k = matrix.shape[0]
    idx = np.arange(k)
    weights = (idx[:, None] - idx[None, :]) ** 2 / (k - 1) ** 2
    denominator = float((weights * expected).sum())
    weighted = None if math.isclose(denominator, 0.0) else 1.0 - float((weights * observed).sum()) / denominator
    return (None if kappa is None else round(kappa, 4)), (None if weighted is None else round(weighted, 4))


def summary(*, session: Session, team: str | None, since: datetime | None, until: datetime | None,
            model_version: str | None, scope: str | None, min_decisions: int) -> AuditSummary:
    """Agreement, kappas, confusion, per-user direction and blind-versus-shown agreement."""
    latest = current_decisions()
    conditions = filters(team=team, since=since, until=until, model_version=model_version, scope=scope)

    def joined(query: Any) -> Any:
        query = (query.select_from(Decision)
                 .join(latest, and_(col(Decision.suggestion_id) == latest.c.suggestion_id,
                                    col(Decision.revision) == latest.c.revision))
                 .join(Suggestion, col(Suggestion.id) == col(Decision.suggestion_id))
                 .join(Account, col(Account.id) == col(Suggestion.account_id)))
        return query.where(*conditions)

    # SQLAlchemy's select and execute: these are plain column rows, not table objects.
    cells = session.execute(joined(sa_select(col(Suggestion.label), col(Decision.label), func.count()))
                         .group_by(col(Suggestion.label), col(Decision.label))).all()
    index = {label.value: i for i, label in enumerate(LABELS)}
    matrix = np.zeros((3, 3))
    for model_label, human_label, count in cells:
        matrix[index[model_label], index[human_label]] = count
    n = int(matrix.sum())
    cohen, weighted = kappas(matrix)

    shift = _rank(col(Decision.label)) - _rank(col(Suggestion.label))
    per_user_rows = session.execute(joined(sa_select(
        col(Decision.user_id), col(User.name), func.count(),
        func.sum(cast(col(Decision.accepted), Integer)),
        func.sum(case((shift > 0, 1), else_=0)), func.sum(case((shift < 0, 1), else_=0)),
        func.sum(shift), func.sum(shift * shift),
    )).join(User, col(User.id) == col(Decision.user_id)).group_by(col(Decision.user_id), col(User.name))
        .order_by(col(Decision.user_id))).all()
    per_user = [_direction(*row, min_decisions=min_decisions) for row in per_user_rows]

    by_blind = {True: Agreement(n=0, agreement=None), False: Agreement(n=0, agreement=None)}
    for blind, count, agreed in session.execute(joined(sa_select(
            col(Decision.blind), func.count(), func.sum(cast(col(Decision.accepted), Integer))))
            .group_by(col(Decision.blind))).all():
        by_blind[bool(blind)] = Agreement(n=int(count), agreement=_rate(int(agreed or 0), int(count)))

    return AuditSummary(
        n=n, agreement=round(float(np.trace(matrix)) / n, 4) if n else None, cohen_kappa=cohen,
        weighted_kappa=weighted,
        confusion={m.value: {h.value: int(matrix[i, j]) for j, h in enumerate(LABELS)} for i, m in enumerate(LABELS)},
        per_user=per_user,
        blind=by_blind[True],
        shown=by_blind[False],
        filters={"team": team, "since": since, "until": until, "model_version": model_version, "scope": scope},
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _direction(user_id: int, name: str, n: int, accepted: int, rosier: int, harsher: int, total_shift: int,
               total_square: int, *, min_decisions: int) -> UserDirection:
    """Per-user rates and a normal-approximation 95% interval for the mean shift."""
    mean = total_shift / n
    ci_low = ci_high = None
    if n >= 2:
        variance = max((total_square - n * mean * mean) / (n - 1), 0.0)
        half = Z_95 * math.sqrt(variance / n)
        ci_low, ci_high = round(mean - half, 4), round(mean + half, 4)
    flagged = n >= min_decisions and ci_low is not None and ci_high is not None and (ci_low > 0 or ci_high < 0)
    return UserDirection(user_id=user_id, name=name, n=n, accept_rate=round(accepted / n, 4),
                         rosier_rate=round(rosier / n, 4), harsher_rate=round(harsher / n, 4),
                         mean_shift=round(mean, 4), ci_low=ci_low, ci_high=ci_high, flagged=flagged)
