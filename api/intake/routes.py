"""HTTP routes for interactions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.decisions import shown
from api.deps import ClassifierDep, MetricsDep, SessionDep, SettingsDep, require
from api.intake import service
from api.intake.models import InteractionScored
from api.interactions.models import InteractionCreate, InteractionPublic
from api.policies import TEAM_READERS
from api.users.models import User

router = APIRouter(prefix="/v1/interactions", tags=["interactions"])
TeamMember = Annotated[User, Depends(require(*TEAM_READERS, action="add interactions"))]


@router.post("", status_code=201, response_model=InteractionScored,
             responses={200: {"model": InteractionScored, "description": "external_id seen before: the stored pair"}})
def create_interaction(data: InteractionCreate, response: Response, session: SessionDep, user: TeamMember,
                       classifier: ClassifierDep, metrics: MetricsDep, settings: SettingsDep) -> InteractionScored:
    """Store customer text and score it; the same external_id again returns the stored pair with 200."""
    interaction, suggestion, created = service.create(session=session, user=user, data=data, classifier=classifier,
                                                      settings=settings)
    if created:
        metrics.suggested(suggestion.scope, suggestion.model_version, suggestion.label)
    else:
        response.status_code = 200
    return InteractionScored(interaction=InteractionPublic.model_validate(interaction),
                             suggestion=shown.public(suggestion, text=interaction.body))
