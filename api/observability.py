"""Structured logs and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from types import TracebackType
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}


def safe_error(error: BaseException) -> str:
    """One line about an error, without values: a database's own message can quote the failing row."""
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        statement = " ".join(str(error.statement or "").split())[:300]
        return f"{type(error.orig).__name__}{f' (SQLSTATE {code})' if code else ''} in: {statement}"
    return f"{type(error).__name__}: {error}"


class _SafeExceptions(logging.Formatter):
    """Tracebacks whose database errors name the statement and the error code, never the values or rows."""

    def formatException(self, ei: tuple[type[BaseException], BaseException, TracebackType | None]  # noqa: N802
                        | tuple[None, None, None]) -> str:
        kind, error, tb = ei
        if error is None or not isinstance(error, DBAPIError):
            return super().formatException(ei)
        frames = "".join(traceback.format_tb(tb))
        return f"Traceback (most recent call last):\n{frames}{type(error).__name__}: {safe_error(error)}"


class JsonFormatter(_SafeExceptions):
    """One JSON object a line, with every `extra=` field kept as a key."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(_SafeExceptions):
    """A line for people: time, level, logger, message, then every `extra=` field as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD)
        line = super().format(record)
        return f"{line} {fields}" if fields else line


def configure_logging(level: str, fmt: str) -> None:
    """Send Pulse's logs, and the web server's own (uvicorn's start, stop and errors), to stderr in one
    format: JSON lines (or plain text)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    for name in ("pulse", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.error").handlers[:] = []
    logging.getLogger("uvicorn.error").propagate = True
    access = logging.getLogger("uvicorn.access")  # pulse.http logs each request, with its route and time
    access.handlers[:] = []
    access.propagate = False


class Metrics:
    """The app's Prometheus collectors, in a registry of its own so that apps in one process don't clash."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pulse_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("pulse_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
        self.suggestions = Counter("pulse_suggestions_total", "Suggestions made", ["scope", "model_version", "label"],
                                   registry=self.registry)
        self.decisions = Counter("pulse_decisions_total", "Decisions recorded", ["accepted", "blind"],
                                 registry=self.registry)

    def suggested(self, scope: str, model_version: str, label: str) -> None:
        """Count a stored suggestion."""
        self.suggestions.labels(scope, model_version, label).inc()

    def decided(self, accepted: bool, blind: bool) -> None:
        """Count a recorded decision."""
        self.decisions.labels(str(accepted).lower(), str(blind).lower()).inc()


class RequestMetricsMiddleware:
    """Counts and times every request by its route template, and logs it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger("pulse.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            elapsed = time.perf_counter() - start
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            self.log.info("request", extra={"method": scope["method"], "path": scope["path"], "route": template,
                                            "status": status, "ms": round(elapsed * 1000, 2)})
