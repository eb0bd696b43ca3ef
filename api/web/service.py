"""Signing in with an API key, the session cookie, and CSRF tokens for every form."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.db import utcnow
from api.users import service as users
from api.users.models import User
from api.web.models import WebSession

COOKIE = "pulse_session"
LOGIN_COOKIE = "pulse_login_csrf"  # double-submit token for the sign-in form, before any session exists


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request's session cookie, and the token its forms must carry."""

    user: User
    csrf_token: str
    session_id: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, *, api_key: str, hours: float) -> tuple[str, User] | None:
    """A new session for the key's user: (cookie value, user), or None for an unknown or disabled key."""
    user = users.get_by_key(session=session, api_key=api_key.strip())
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(WebSession).where(col(WebSession.expires_at) < now))  # forget expired sessions
    session.add(WebSession(id=_hash(token), user_id=user.id or 0, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + timedelta(hours=hours)))
    session.commit()
    return token, user


def current(session: Session, cookie: str | None) -> SignedIn | None:
    """Who the cookie signs in, if it is a live session of an enabled user."""
    if not cookie:
        return None
    row = session.get(WebSession, _hash(cookie))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return SignedIn(user=user, csrf_token=row.csrf_token, session_id=row.id)


def end_sessions(session: Session, user_id: int) -> int:
    """Sign a user out everywhere (in the caller's transaction): on a new key or a disabled one."""
    rows = list(session.exec(select(WebSession).where(WebSession.user_id == user_id)))
    for row in rows:
        session.delete(row)
    return len(rows)


def revoke(session: Session, user: User, *, disable: bool) -> str | None:
    """Disable a user or give them a new key; either way the old key and every web session end at once.

    Returns the new key (shown once) when rotating.
    """
    assert user.id is not None
    end_sessions(session, user.id)
    if disable:
        users.disable(session=session, user=user)
        key = None
    else:
        key = users.rotate_key(session=session, user=user)
    session.commit()
    return key


def sign_out(session: Session, signed_in: SignedIn) -> None:
    """End the session: the cookie stops working at once, wherever it was copied."""
    session.execute(delete(WebSession).where(col(WebSession.id) == signed_in.session_id))
    session.commit()


def seal(token: str, text: str) -> str:
    """A message's seal for one session: HMAC-SHA256 keyed by the session's secret CSRF token."""
    return hmac.new(token.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a form's token (or a seal) with the session's."""
    # As bytes: compare_digest refuses a str with non-ASCII characters, and a forged token may hold them.
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode("utf-8", "surrogatepass"),
                                                                 str(given).encode("utf-8", "surrogatepass"))
