"""Dependencies shared by the routes, as Annotated aliases that tests can override."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.config import Settings
from api.db import session_scope
from api.errors import UnauthorizedError
from api.model_versions.holder import ModelHolder
from api.observability import Metrics
from api.policies import check_role
from api.users import service as users
from api.users.models import Role, User
from models.classifier import Classifier

_bearer = HTTPBearer(auto_error=False, description="a Pulse API key, from `pulse users create`")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request."""
    yield from session_scope(request.app.state.engine)


def get_metrics(request: Request) -> Metrics:
    """The app's Prometheus collectors."""
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(request: Request, session: SessionDep,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    """The user whose API key is in the Authorization header; each call counts against the key's rate limit."""
    if credentials is None:
        raise UnauthorizedError("missing API key: send `Authorization: Bearer <key>`")
    user = users.get_by_key(session=session, api_key=credentials.credentials)
    if user is None:
        raise UnauthorizedError("invalid or disabled API key")
    request.app.state.limiter.hit(user.api_key_hash[:32])
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_model_holder(request: Request) -> ModelHolder:
    """The process's model holder, created at start-up."""
    holder: ModelHolder = request.app.state.models
    return holder


HolderDep = Annotated[ModelHolder, Depends(get_model_holder)]


def get_classifier(session: SessionDep, holder: HolderDep) -> Classifier:
    """The active classifier."""
    return holder.active(session)


ClassifierDep = Annotated[Classifier, Depends(get_classifier)]


def require(*roles: Role, action: str) -> Callable[[User], User]:
    """A dependency that lets only the given roles through, with a message naming the action."""

    def check(user: CurrentUser) -> User:
        return check_role(user, roles, action)

    return check
