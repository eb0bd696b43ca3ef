"""HTTP routes for model versions: the registry, the gated promotion, rollback, comparison and shadowing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlmodel import Field

from api.deps import CurrentUser, HolderDep, SessionDep, require
from api.errors import NotFoundError
from api.lab import curves, promotion
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


class ModelVersionDetail(ModelVersionPublic):
    """A model version, with the learning curve of an adapted one."""

    learning_curve: list[dict[str, Any]] = Field(
        default_factory=list, description="an adapted version's macro-F1 on held-out confirmed labels against how "
        "many labels it learned from (n 0: its base), each point with its 95% interval and per-language figures; "
        "drawn at /v1/models/{version}/learning-curve.svg")


def _version(session: SessionDep, version: str) -> ModelVersion:
    found = session.get(ModelVersion, version)
    if found is None:
        raise NotFoundError(f"model version {version!r} is not registered")
    return found


@router.get("/{version}", response_model=ModelVersionDetail)
def get_model(version: str, session: SessionDep, _user: CurrentUser) -> ModelVersionDetail:
    """One model version with its status, metrics and provenance, and an adapted version's learning curve."""
    found = _version(session, version)
    return ModelVersionDetail.model_validate(found, update={"learning_curve": curves.learning_curve(found)})


@router.get("/{version}/learning-curve.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def learning_curve_svg(version: str, session: SessionDep, _user: CurrentUser) -> Response:
    """An adapted version's learning curve as an SVG chart, overall and per language (404 for other versions)."""
    points = curves.learning_curve(_version(session, version))
    if not points:
        raise NotFoundError(f"model version {version!r} has no learning curve: only adapted versions have one")
    return Response(curves.svg(points, f"Learning curve of {version}"), media_type="image/svg+xml")
