"""The data scientist's page: model versions with their metrics and shadow comparisons; compare a version with
the active one, put it in shadow, promote it, or roll back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.audit import shadow
from api.db import utcnow
from api.deps import HolderDep, SessionDep
from api.errors import ConflictError, NotFoundError
from api.lab import curves, promotion
from api.lab.compare import compare
from api.model_versions import service as model_versions
from api.model_versions.models import ModelStatus, ModelVersion
from api.policies import confined_team
from api.users.models import Role
from api.web.pages import CsrfField, Viewer, allow, back_to, check_csrf, render
from api.web.service import SignedIn

router = APIRouter(include_in_schema=False)
MANAGERS = (Role.DATA_SCIENTIST, Role.ADMIN)


@router.get("/app/models", response_class=HTMLResponse)
def models_page(request: Request, session: SessionDep, viewer: Viewer) -> HTMLResponse:
    """Model versions with their metrics; compare one with the active version, put it in shadow, promote it,
    or roll back to the one before."""
    return render_models(request, session, viewer)


def render_models(request: Request, session: Session, viewer: SignedIn,
                  comparison: dict[str, Any] | None = None) -> HTMLResponse:
    """The models page, with a comparison shown at the top when one was asked for."""
    versions = model_versions.get_all(session=session)
    retired = sorted((v for v in versions if v.status == ModelStatus.RETIRED and v.promoted_at),
                     key=lambda v: v.promoted_at or utcnow(), reverse=True)
    can_promote = viewer.user.role in (Role.DATA_SCIENTIST, Role.ADMIN)
    team = confined_team(viewer.user)
    comparisons = [shadow.compare(session=session, version=v.version, team=team) for v in versions
                   if v.status == ModelStatus.SHADOW]
    drawn = {v.version: curves.svg(points, f"Learning curve of {v.version}") for v in versions
             if (points := curves.learning_curve(v))}
    return render(request, "models.html", viewer, versions=versions, previous=retired[0] if retired else None,
                  can_promote=can_promote, comparisons=comparisons, comparison=comparison, curves=drawn)


@router.post("/app/models/{version}/promote")
def promote(version: str, session: SessionDep, viewer: Viewer, holder: HolderDep, csrf_token: CsrfField,
            force: Annotated[str, Form()] = "") -> Response:
    """Make a version active for every worker at once; a worse challenger needs `force`."""
    check_csrf(viewer, csrf_token)
    allow(viewer, MANAGERS, "promote model versions")
    try:
        promoted = promotion.promote(session=session, version=version, holder=holder, force=force == "on")
        session.commit()
    except ConflictError as error:
        return back_to("/app/models", viewer, error=error.message)
    return back_to("/app/models", viewer, notice=f"{promoted.version} is now active.")


@router.post("/app/models/rollback")
def rollback(session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """Make the previously active version active again."""
    check_csrf(viewer, csrf_token)
    allow(viewer, MANAGERS, "roll model versions back")
    try:
        restored = model_versions.rollback(session=session)
        session.commit()
    except ConflictError as error:
        return back_to("/app/models", viewer, error=error.message)
    return back_to("/app/models", viewer, notice=f"Rolled back: {restored.version} is active again.")


@router.get("/app/models/compare", response_class=HTMLResponse)
def compare_page(request: Request, session: SessionDep, viewer: Viewer, holder: HolderDep,
                 version: Annotated[str, Query(max_length=100)]) -> HTMLResponse:
    """The models page with one version compared to the active one on the latest confirmed labels."""
    allow(viewer, MANAGERS, "compare model versions")
    active = model_versions.get_active(session=session)
    challenger = session.get(ModelVersion, version)
    if challenger is None or active is None:
        raise NotFoundError(f"model version {version!r} not found" if challenger is None else "no active version")
    result = compare(session=session, champion=active, challenger=challenger, holder=holder, limit=500)
    return render_models(request, session, viewer, comparison=result)


@router.post("/app/models/{version}/shadow")
def put_in_shadow(version: str, session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """Let a version score new text silently beside the active one."""
    check_csrf(viewer, csrf_token)
    allow(viewer, MANAGERS, "put model versions in shadow")
    try:
        found = model_versions.shadow(session=session, version=version)
        session.commit()
    except (ConflictError, NotFoundError) as error:
        return back_to("/app/models", viewer, error=error.message)
    status = "in shadow" if found.status == ModelStatus.SHADOW else found.status
    return back_to("/app/models", viewer, notice=f"{found.version} is {status}: it scores new text silently.")
