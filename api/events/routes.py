"""HTTP routes for webhook endpoints (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import SessionDep, SettingsDep, require
from api.events import service
from api.events.models import WebhookCreate, WebhookPublic, WebhooksPublic
from api.ids import IdPath
from api.users.models import Role, User

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Admin = Annotated[User, Depends(require(Role.ADMIN, action="configure webhooks"))]


@router.post("", status_code=201, response_model=WebhookPublic)
def create_webhook(data: WebhookCreate, session: SessionDep, user: Admin, settings: SettingsDep) -> WebhookPublic:
    """Send account events to a URL. The answer holds the signing secret; it is not shown again.

    The host must resolve to public addresses only (not loopback, private, link-local or metadata ones)
    unless PULSE_WEBHOOK_ALLOW_PRIVATE=true.
    """
    created = service.create_endpoint(session, user=user, data=data, allow_private=settings.webhook_allow_private)
    session.commit()
    return created


@router.get("", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, user: Admin) -> WebhooksPublic:
    """The configured endpoints, without their secrets."""
    data = service.get_all(session)
    return WebhooksPublic(data=data, count=len(data))


@router.delete("/{webhook_id}", response_model=WebhookPublic)
def deactivate_webhook(webhook_id: IdPath, session: SessionDep, user: Admin) -> WebhookPublic:
    """Stop sending to an endpoint; its queued deliveries are dropped (marked dead) when their turn comes."""
    stopped = service.deactivate(session, webhook_id)
    session.commit()
    return stopped
