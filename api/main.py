"""The FastAPI application: routes, error handlers, limits, metrics and the model loaded at start-up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlmodel import Session
from starlette.middleware.trustedhost import TrustedHostMiddleware
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from api import errors
from api.audit.routes import router as audit_router
from api.checks.routes import router as checks_router
from api.config import Settings, get_settings
from api.db import make_engine
from api.events.routes import router as webhooks_router
from api.exports.routes import router as exports_router
from api.hostile import HostileTextMiddleware
from api.intake.routes import router as interactions_router
from api.lab.routes import router as models_router
from api.lifecycle import exit_with_master
from api.limits import BodySizeLimitMiddleware, PageHeadersMiddleware
from api.model_versions.holder import ModelHolder
from api.model_versions.service import get_active
from api.observability import Metrics, RequestMetricsMiddleware, configure_logging
from api.outcomes.routes import router as outcomes_router
from api.pulse.routes import router as accounts_router
from api.ratelimit import RateLimiter
from api.review.routes import decisions_router
from api.review.routes import router as suggestions_router
from api.signals.routes import router as signals_router
from api.sources.routes import router as sources_router
from api.sources.service import SourceMetrics
from api.todos.routes import router as todos_router
from api.web import models_pages as web_models
from api.web import pages as web_pages
from api.web import routes as web
from api.web import sources_pages as web_sources
from api.web import writing as web_writing
from api.worker import start_in_thread

log = logging.getLogger("pulse.app")
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pulse API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script><script src="/static/docs.js"></script></body></html>
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the active model once, before the first request; dispose of the engine at the end."""
    with Session(app.state.engine) as session:
        classifier = app.state.models.active(session)
    log.info("serving", extra={"model_version": classifier.version})
    worker = None
    if app.state.settings.embedded_worker:
        worker = start_in_thread(app.state.engine, app.state.settings, app.state.models)
    yield
    if worker is not None:
        thread, stop = worker
        stop.set()
        thread.join(timeout=app.state.settings.shutdown_timeout_s)
    app.state.limiter.close()
    app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The database must already be migrated (`pulse serve` and `pulse demo` do it)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    exit_with_master(grace_s=settings.shutdown_timeout_s + 5)  # a worker must not outlive its master
    # /docs is served below from Pulse's own copy of Swagger UI: FastAPI's loads it from a CDN, which the
    # pages' Content-Security-Policy (scripts from this server only) blocks, and which a closed network lacks.
    # redirect_slashes=False: "/v1/accounts/" is a 404, not a redirect built from the request's Host header.
    app = FastAPI(title="Pulse", version="1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  redirect_slashes=False,
                  description="Suggested Red / Yellow / Green sentiment for customer accounts, "
                              "with every human decision recorded beside the suggestion.")
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.models = ModelHolder(settings.serving(), settings.batch_max_texts, settings.batch_max_wait_ms / 1000)
    app.state.metrics = Metrics()
    app.state.metrics.registry.register(SourceMetrics(app.state.engine))  # every worker's reads, from the rows
    app.state.limiter = RateLimiter(settings.database_url, settings.rate_limit_per_minute,
                                    settings.login_attempts_per_minute)
    errors.install(app, html_error=web_pages.error_page, html_prefixes=("/app", "/login", "/logout"))
    for router in (accounts_router, checks_router, outcomes_router, interactions_router, suggestions_router,
                   decisions_router, audit_router, models_router, webhooks_router, sources_router, exports_router,
                   signals_router, todos_router, web.router, web_writing.router, web_models.router,
                   web_sources.router):
        app.include_router(router)
    app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger")
    app.mount("/static", StaticFiles(directory=web_pages.STATIC), name="static")

    @app.exception_handler(web_pages.SignInRequired)
    async def _sign_in(_request: Request, exc: web_pages.SignInRequired) -> RedirectResponse:
        return RedirectResponse(web_pages.with_query("/login", next=exc.next_path), status_code=303)

    app.add_middleware(RequestMetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(PageHeadersMiddleware)
    app.add_middleware(HostileTextMiddleware)
    if settings.allowed_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    # Added last so it runs first: an oversized body is refused before anything else reads it.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)

    _operations(app)
    return app


def _operations(app: FastAPI) -> None:
    """Liveness, metrics, the API docs from this server, and the root's redirect to the pages."""

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request) -> dict[str, str | None]:
        """Liveness: the database answers and a model version is active."""
        with Session(request.app.state.engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            active = get_active(session=session)
        return {"status": "ok", "database": "ok", "model_version": active.version if active else None}

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API documentation, every asset from this server."""
        return HTMLResponse(DOCS_PAGE)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app")
