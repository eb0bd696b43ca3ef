"""Users and their API keys: keys are shown once at creation and stored only as sha256 hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, select

from api.errors import NotFoundError, UnprocessableError
from api.users.models import Role, User

KEY_PREFIX = "pulse_"


def hash_key(api_key: str) -> str:
    """The stored form of a key. Keys carry 256 random bits, so a plain sha256 cannot be reversed."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create(*, session: Session, name: str, role: Role, team: str | None) -> tuple[User, str]:
    """Create a user and return it with its API key, which is not stored and cannot be recovered."""
    name = name.strip()
    if not name:
        raise UnprocessableError("name must not be empty", field="name")
    if role in (Role.CSM, Role.LEAD) and not team:
        raise UnprocessableError(f"a {role.value} must belong to a team: give --team", field="team")
    api_key = new_key()
    user = User(name=name, role=role, team=team or None, api_key_hash=hash_key(api_key),
                key_prefix=api_key[: len(KEY_PREFIX) + 4])
    session.add(user)
    session.flush()
    session.refresh(user)
    return user, api_key


def rotate_key(*, session: Session, user: User) -> str:
    """Give a user a new key (in the caller's transaction); the old one stops working once it commits."""
    api_key = new_key()
    user.api_key_hash = hash_key(api_key)
    user.key_prefix = api_key[: len(KEY_PREFIX) + 4]
    session.add(user)
    return api_key


def get_or_raise(*, session: Session, user_id: int) -> User:
    """A user by id, or 404."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    return user


def get_all(*, session: Session) -> list[User]:
    """Every user, in the order they were created."""
    return list(session.exec(select(User).order_by(col(User.id))))


def disable(*, session: Session, user: User) -> None:
    """Stop a user's key at once (in the caller's transaction); the row and its decisions stay."""
    user.disabled = True
    session.add(user)


def get_by_key(*, session: Session, api_key: str) -> User | None:
    """The enabled user holding this key, if any."""
    user = session.exec(select(User).where(User.api_key_hash == hash_key(api_key))).first()
    return user if user is not None and not user.disabled else None
