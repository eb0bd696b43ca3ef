"""Web pages for CSMs, leads and data scientists, rendered on the server from the API's own services.

One module per area, each with its router: signing in (sign_in), the review queue (queue_pages), accounts
(accounts_pages), the audit (audit_pages), decisions (decisions_pages), model versions (models_pages) and the
pages that write (writing); what they share is api.web.pages. This router gathers the reading areas.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import accounts_pages, audit_pages, decisions_pages, queue_pages, sign_in

router = APIRouter(include_in_schema=False)
for area in (sign_in, queue_pages, accounts_pages, audit_pages, decisions_pages):
    router.routes.extend(area.router.routes)  # the routes themselves, in this order, as one list
