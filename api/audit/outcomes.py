"""Outcome adjudication: for churned accounts, who flagged Red first, the model or a person, and how early."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.accounts.models import Account
from api.audit.models import OutcomeRace, Outcomes
from api.checks import service as checks
from api.decisions.models import Decision
from api.interactions.models import Interaction
from api.outcomes.models import Outcome, OutcomeKind
from api.suggestions.models import Scope, Suggestion
from models.labels import Label


def outcomes(session: Session, team: str | None) -> Outcomes:
    """For each churned account (of the team), the first Red from the model and from the CSM's pulse."""
    churn = (sa_select(col(Outcome.account_id), func.max(col(Outcome.occurred_on)).label("churned_on"))
             .join(Account, col(Account.id) == col(Outcome.account_id))
             .where(col(Outcome.kind) == OutcomeKind.CHURNED))
    if team is not None:
        churn = churn.where(col(Account.team) == team)
    churned: dict[int, date] = dict(session.execute(churn.group_by(col(Outcome.account_id))).all())
    if not churned:
        return Outcomes(churned=0, model_first=0, human_first=0, same_day=0, neither=0, median_model_lead_days=None,
                        median_human_lead_days=None, accounts=[])
    # The model could have flagged a message when it arrived, even if it was scored later in a backfill.
    flagged_at = func.coalesce(col(Interaction.occurred_at), col(Suggestion.created_at))
    model = dict(session.execute(
        sa_select(col(Suggestion.account_id), func.min(flagged_at))
        .outerjoin(Interaction, col(Interaction.id) == col(Suggestion.interaction_id))
        .where(col(Suggestion.label) == Label.RED, col(Suggestion.account_id).in_(list(churned)))
        .where(col(Suggestion.id).not_in(checks.copies()))  # nor a check item's copy, shown long after the fact
        .group_by(col(Suggestion.account_id))).all())
    human = dict(session.execute(
        sa_select(col(Decision.account_id), func.min(col(Decision.created_at)))
        .where(col(Decision.scope) == Scope.ACCOUNT, col(Decision.label) == Label.RED,
               col(Decision.account_id).in_(list(churned)))
        .group_by(col(Decision.account_id))).all())
    names = dict(session.execute(sa_select(col(Account.id), col(Account.name))
                                 .where(col(Account.id).in_(list(churned)))).all())
    races = []
    for account_id, churned_on in sorted(churned.items()):
        first_model = before(model.get(account_id), churned_on)
        first_human = before(human.get(account_id), churned_on)
        model_days = (churned_on - first_model.date()).days if first_model else None
        human_days = (churned_on - first_human.date()).days if first_human else None
        if model_days is None and human_days is None:
            first = "neither"
        elif human_days is None or (model_days is not None and model_days > human_days):
            first = "model"
        elif model_days is None or human_days > model_days:
            first = "human"
        else:
            first = "same_day"
        races.append(OutcomeRace(account_id=account_id, account=names.get(account_id, str(account_id)),
                                 churned_on=churned_on, model_first_red=first_model, human_first_red=first_human,
                                 first=first, model_lead_days=model_days, human_lead_days=human_days))
    model_leads = [r.model_lead_days for r in races if r.model_lead_days is not None]
    human_leads = [r.human_lead_days for r in races if r.human_lead_days is not None]
    return Outcomes(
        churned=len(races), model_first=sum(r.first == "model" for r in races),
        human_first=sum(r.first == "human" for r in races), same_day=sum(r.first == "same_day" for r in races),
        neither=sum(r.first == "neither" for r in races),
        median_model_lead_days=float(np.median(model_leads)) if model_leads else None,
        median_human_lead_days=float(np.median(human_leads)) if human_leads else None, accounts=races)


def before(moment: datetime | None, day: date) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # aggregates on SQLite can come back naive; they are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment if moment.date() <= day else None
