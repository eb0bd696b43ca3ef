"""HTTP routes for mailbox sources (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import SessionDep, require
from api.ids import IdPath
from api.sources import service
from api.sources.models import SourceCreate, SourcePublic, SourcesPublic
from api.users.models import Role, User

router = APIRouter(prefix="/v1/sources", tags=["sources"])
Admin = Annotated[User, Depends(require(Role.ADMIN, action="configure mail sources"))]


@router.post("", status_code=201, response_model=SourcePublic)
def create_source(data: SourceCreate, session: SessionDep, user: Admin) -> SourcePublic:
    """Add a mailbox for the workers to read, at once and then every PULSE_SOURCE_POLL_S seconds.

    The body names the environment variable that holds the password or token (`password_env` or
    `oauth2_token_env`), never the secret: set it where `pulse worker` and `pulse serve` run.
    """
    created = service.create(session, data)
    session.commit()
    return service.public(created)


@router.get("", response_model=SourcesPublic)
def list_sources(session: SessionDep, user: Admin) -> SourcesPublic:
    """Every source with its health: last read, counts, next read, the last error and since when it fails."""
    data = [service.public(s) for s in service.get_all(session)]
    return SourcesPublic(data=data, count=len(data))


@router.delete("/{source_id}", response_model=SourcePublic)
def delete_source(source_id: IdPath, session: SessionDep, user: Admin) -> SourcePublic:
    """Stop reading a source; the messages it stored stay."""
    removed = service.public(service.delete(session, source_id))
    session.commit()
    return removed


@router.post("/{source_id}/sync", status_code=202, response_model=SourcePublic)
def sync_source(source_id: IdPath, session: SessionDep, user: Admin) -> SourcePublic:
    """Make a source due now, back-off or not: the next worker to look (within seconds) reads it.

    The read itself runs in a worker, not in this request; `GET /v1/sources` shows how it went.
    """
    due = service.poll_now(session, source_id)
    session.commit()
    return service.public(due)
