"""HTTP routes for model versions: the registry, the gated promotion, rollback, comparison and shadowing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import CurrentUser, HolderDep, SessionDep, require
from api.errors import NotFoundError
from api.lab import promotion
from api.lab.compare import compare
from api.model_versions import service
from api.model_versions.models import ModelVersion, ModelVersionPublic, ModelVersionsPublic
from api.users.models import Role, User

router = APIRouter(prefix="/v1/models", tags=["models"])
ModelManager = Annotated[User, Depends(require(Role.DATA_SCIENTIST, Role.ADMIN, action="manage model versions"))]


@router.get("", response_model=ModelVersionsPublic)
def list_models(session: SessionDep, _user: CurrentUser) -> ModelVersionsPublic:
    """Every model version with its status, metrics and provenance."""
    versions = service.get_all(session=session)
    return ModelVersionsPublic(data=[ModelVersionPublic.model_validate(v) for v in versions], count=len(versions))


@router.post("/{version}/promote", response_model=ModelVersionPublic)
def promote(version: str, session: SessionDep, _user: ModelManager, holder: HolderDep,
            force: bool = False) -> ModelVersionPublic:
    """Make a version the active one; every worker picks it up on its next request.

    A challenger that scores below the active version on the latest confirmed labels is refused
    with 409 unless `force=true`.
    """
    promoted = promotion.promote(session=session, version=version, holder=holder, force=force)
    session.commit()
    return ModelVersionPublic.model_validate(promoted)


@router.post("/rollback", response_model=ModelVersionPublic)
def rollback(session: SessionDep, _user: ModelManager) -> ModelVersionPublic:
    """Make the previously active version active again."""
    restored = service.rollback(session=session)
    session.commit()
    return ModelVersionPublic.model_validate(restored)


@router.get("/compare")
def compare_versions(session: SessionDep, _user: ModelManager, holder: HolderDep,
                     a: Annotated[str, Query(max_length=100, description="champion")],
                     b: Annotated[str, Query(max_length=100, description="challenger")],
                     limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> dict[str, Any]:
    """Both versions on the latest confirmed labels: macro-F1, agreement and ECE with 95% intervals."""
    champion, challenger = (session.get(ModelVersion, v) for v in (a, b))
    for name, found in ((a, champion), (b, challenger)):
        if found is None:
            raise NotFoundError(f"model version {name!r} not found")
    assert champion is not None and challenger is not None
    return compare(session=session, champion=champion, challenger=challenger, holder=holder, limit=limit)


@router.post("/{version}/shadow", response_model=ModelVersionPublic)
def shadow(version: str, session: SessionDep, _user: ModelManager) -> ModelVersionPublic:
    """Let a version score new text silently beside the active one; compare it in GET /v1/audit/shadow."""
    shadowed = service.shadow(session=session, version=version)
    session.commit()
    return ModelVersionPublic.model_validate(shadowed)
