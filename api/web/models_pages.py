"""The data scientist's buttons on the models page: compare a version with the active one, put it in shadow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.errors import ConflictError, NotFoundError
from api.lab.compare import compare
from api.model_versions import service as model_versions
from api.model_versions.models import ModelStatus, ModelVersion
from api.users.models import Role
from api.web.routes import CsrfField, Viewer, allow, back_to, check_csrf, render_models

router = APIRouter(include_in_schema=False)
MANAGERS = (Role.DATA_SCIENTIST, Role.ADMIN)


@router.get("/app/models/compare", response_class=HTMLResponse)
def compare_page(request: Request, session: SessionDep, viewer: Viewer,
                 version: Annotated[str, Query(max_length=100)]) -> HTMLResponse:
    """The models page with one version compared to the active one on the latest confirmed labels."""
    allow(viewer, MANAGERS, "compare model versions")
    active = model_versions.get_active(session=session)
    challenger = session.get(ModelVersion, version)
    if challenger is None or active is None:
        raise NotFoundError(f"model version {version!r} not found" if challenger is None else "no active version")
    result = compare(session=session, champion=active, challenger=challenger, holder=request.app.state.models,
                     limit=500)
    return render_models(request, session, viewer, comparison=result)


@router.post("/app/models/{version}/shadow")
def put_in_shadow(version: str, session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """Let a version score new text silently beside the active one."""
    check_csrf(viewer, csrf_token)
    allow(viewer, MANAGERS, "put model versions in shadow")
    try:
        found = model_versions.shadow(session=session, version=version)
    except (ConflictError, NotFoundError) as error:
        return back_to("/app/models", viewer, error=error.message)
    status = "in shadow" if found.status == ModelStatus.SHADOW else found.status
    return back_to("/app/models", viewer, notice=f"{found.version} is {status}: it scores new text silently.")
