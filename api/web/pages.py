"""What every page shares: the signed-in viewer, the CSRF check, rendering, and redirects with sealed notices.

The session itself (signing in with an API key, the cookie, CSRF tokens) is api.web.service; each area's pages
are a module of their own (sign_in, queue_pages, accounts_pages, audit_pages, decisions_pages, models_pages,
writing), all using the same dependencies as the API.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api.deps import SessionDep
from api.errors import ForbiddenError
from api.policies import check_role
from api.users.models import Role, User
from api.web import service as web
from api.web.service import COOKIE, SignedIn
from models.labels import LABELS

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def when(moment: datetime | date | None) -> str:
    """A time as people read it, to the minute and in UTC ("7 Dec 2026, 09:05"); a date as "7 Dec 2026"."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return f"{moment.day} {moment:%b %Y, %H:%M}" + (" UTC" if moment.tzinfo is not None else "")
    return f"{moment.day} {moment:%b %Y}"


templates.env.filters["when"] = when
STATIC = Path(__file__).parent / "static"
HOME = {Role.CSM: "/app/queue", Role.LEAD: "/app/audit", Role.DATA_SCIENTIST: "/app/models", Role.ADMIN: "/app/audit"}


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page, and back here afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def signed_in(request: Request, session: SessionDep) -> SignedIn:
    """The signed-in user, or a redirect to the sign-in page."""
    viewer = web.current(session, request.cookies.get(COOKIE))
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    request.app.state.limiter.hit(viewer.user.api_key_hash[:32])  # pages count against the key's limit too
    return viewer


Viewer = Annotated[SignedIn, Depends(signed_in)]
CsrfField = Annotated[str, Form(alias="csrf_token")]


def allow(viewer: SignedIn, roles: tuple[Role, ...], action: str) -> User:
    """The viewer's user, if their role may do this; the same 403 the API gives otherwise."""
    return check_role(viewer.user, roles, action)


def check_csrf(viewer: SignedIn, token: str) -> None:
    """Refuse a form that does not carry this session's token."""
    if not web.csrf_ok(viewer.csrf_token, token):
        raise ForbiddenError("this form's security token is missing or out of date; reload the page and try again")


def local(path: str | None, default: str = "/app") -> str:
    """A redirect target inside the app only (never another site)."""
    if path and path.startswith("/app") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def render(request: Request, name: str, viewer: SignedIn | None, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the viewer and the CSRF token every form needs."""
    base: dict[str, Any] = {"me": viewer.user if viewer else None, "csrf": viewer.csrf_token if viewer else "",
            "labels": [label.value for label in LABELS], "path": request.url.path,
            "error": _message(request, viewer, "error"), "notice": _message(request, viewer, "notice")}
    undo = request.query_params.get("undo", "")
    base["undo"] = int(undo) if base["notice"] and undo.isdigit() and len(undo) < 19 else None
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


SIGN_IN_MESSAGES = frozenset({"The sign-in form expired; try again.", "That API key is unknown or disabled.",
                              "Signed out."})
"""The only texts a page shows from its query string without a seal: the sign-in page's own."""


def _message(request: Request, viewer: SignedIn | None, name: str) -> str | None:
    """An error or notice from the query string, if this server wrote it for this session (content spoofing:
    a link must not put "re-enter your key at http://evil…" on a Pulse page)."""
    text = request.query_params.get(name)
    if not text:
        return None
    if text in SIGN_IN_MESSAGES:
        return text
    seal = request.query_params.get(f"{name}_seal", "")
    return text if viewer is not None and web.csrf_ok(web.seal(viewer.csrf_token, text), seal) else None


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page (for /app paths), with the same message the API would give."""
    with Session(request.app.state.engine) as session:
        viewer = web.current(session, request.cookies.get(COOKIE))
    return render(request, "error.html", viewer, status=status, status_code=status, message=message)


def with_query(path: str, **params: Any) -> str:
    """A path with query parameters (None left out)."""
    kept = {k: v for k, v in params.items() if v is not None}
    return f"{path}?{urlencode(kept)}" if kept else path


def back_to(path: str, viewer: SignedIn, **messages: str) -> RedirectResponse:
    """Redirect with an error or notice, sealed for this session so that no link can put words on a page."""
    path, _, anchor = path.partition("#")
    joiner = "&" if "?" in path else "?"
    sealed = {**messages, **{f"{k}_seal": web.seal(viewer.csrf_token, v) for k, v in messages.items()}}
    query = "&".join(f"{k}={quote(v)}" for k, v in sealed.items())
    return RedirectResponse(f"{path}{joiner}{query}" + (f"#{anchor}" if anchor else ""), status_code=303)
