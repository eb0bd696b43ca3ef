"""Signing in and out of the pages, and each role's first page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.users.models import Role
from api.web import service as web
from api.web.pages import HOME, CsrfField, Viewer, check_csrf, local, render, with_query
from api.web.service import COOKIE, LOGIN_COOKIE

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form: an API key, exchanged for a session cookie."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, next=local(next), login_csrf=token)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", max_age=3600, path="/login")
    return response


@router.post("/login")
def login(request: Request, session: SessionDep, settings: SettingsDep, api_key: Annotated[str, Form(max_length=200)],
          csrf_token: CsrfField, next: Annotated[str, Form()] = "/app") -> Response:
    """Check the key; on success set the session cookie and go on. Attempts are limited per client address."""
    request.app.state.limiter.attempt(request.client.host if request.client else "unknown")
    if not web.csrf_ok(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return RedirectResponse(with_query("/login", next=local(next), error="The sign-in form expired; try again."),
                                status_code=303)
    signed = web.sign_in(session, api_key=api_key, hours=settings.session_hours)
    if signed is None:
        return RedirectResponse(with_query("/login", next=local(next), error="That API key is unknown or disabled."),
                                status_code=303)
    token, user = signed
    target = local(next) if next and next != "/app" else HOME[Role(user.role)]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=settings.environment == "production",
                        max_age=int(settings.session_hours * 3600), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """End the session and forget the cookie."""
    check_csrf(viewer, csrf_token)
    web.sign_out(session, viewer)
    response = RedirectResponse("/login?notice=Signed+out.", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/app")
def home(viewer: Viewer) -> RedirectResponse:
    """Each role's first page."""
    return RedirectResponse(HOME[Role(viewer.user.role)], status_code=303)
