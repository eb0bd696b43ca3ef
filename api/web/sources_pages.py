"""The admin's page of mailbox sources: each one's last read, messages stored, unmatched, errors, skipped, next
read and last error; read one now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.ids import IdPath
from api.sources import service as sources
from api.users.models import Role
from api.web.pages import CsrfField, Viewer, allow, back_to, check_csrf, render

router = APIRouter(include_in_schema=False)
ADMINS = (Role.ADMIN,)


@router.get("/app/sources", response_class=HTMLResponse)
def sources_page(request: Request, session: SessionDep, viewer: Viewer) -> HTMLResponse:
    """Every source and its health, for admins."""
    allow(viewer, ADMINS, "see mail sources")
    return render(request, "sources.html", viewer, sources=[sources.public(s) for s in sources.get_all(session)])


@router.post("/app/sources/{source_id}/sync")
def read_now(source_id: IdPath, session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """Make a source due now; a worker reads it within seconds."""
    check_csrf(viewer, csrf_token)
    allow(viewer, ADMINS, "read mail sources")
    due = sources.poll_now(session, source_id)
    session.commit()
    return back_to("/app/sources", viewer, notice=f"{due.name} will be read within seconds; reload to see how it went.")
