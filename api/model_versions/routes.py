"""HTTP routes for model versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import CurrentUser, SessionDep, require
from api.model_versions import service
from api.model_versions.models import ModelVersionPublic, ModelVersionsPublic
from api.users.models import Role, User

router = APIRouter(prefix="/v1/models", tags=["models"])
ModelManager = Annotated[User, Depends(require(Role.DATA_SCIENTIST, Role.ADMIN, action="manage model versions"))]


@router.get("", response_model=ModelVersionsPublic)
def list_models(session: SessionDep, _user: CurrentUser) -> ModelVersionsPublic:
    """Every model version with its status, metrics and provenance."""
    versions = service.get_all(session=session)
    return ModelVersionsPublic(data=[ModelVersionPublic.model_validate(v) for v in versions], count=len(versions))


@router.post("/{version}/promote", response_model=ModelVersionPublic)
def promote(version: str, session: SessionDep, _user: ModelManager) -> ModelVersionPublic:
    """Make a version the active one; every worker picks it up on its next request."""
    return ModelVersionPublic.model_validate(service.promote(session=session, version=version))


@router.post("/{version}/shadow", response_model=ModelVersionPublic)
def shadow(version: str, session: SessionDep, _user: ModelManager) -> ModelVersionPublic:
    """Let a version score new text silently beside the active one; compare it in GET /v1/audit/shadow."""
    return ModelVersionPublic.model_validate(service.shadow(session=session, version=version))
