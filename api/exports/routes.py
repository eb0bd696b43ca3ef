"""HTTP route for the export of confirmed labels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.db import Until, as_utc
from api.deps import SessionDep, require
from api.exports import service
from api.policies import team_for_filter
from api.users.models import Role, User

router = APIRouter(prefix="/v1/export", tags=["export"])
Exporter = Annotated[User, Depends(require(Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN,
                                           action="export confirmed labels"))]


@router.get("/labels", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                             "description": "one confirmed label a row, with its provenance"}})
def export_labels(session: SessionDep, user: Exporter, format: Literal["jsonl", "csv"] = "jsonl",
                  team: Annotated[str | None, Query(max_length=100)] = None, since: datetime | None = None,
                  until: Until = None) -> StreamingResponse:
    """Confirmed labels (the current decision per suggestion) with provenance; near duplicates collapsed."""
    own = team_for_filter(user, team)
    rows = service.confirmed(session=session, team=own, since=as_utc(since, "since"), until=as_utc(until, "until"))
    if format == "csv":
        return StreamingResponse(service.as_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="pulse-labels.csv"'})
    return StreamingResponse(service.as_jsonl(rows), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="pulse-labels.jsonl"'})
