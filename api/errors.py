"""Domain errors raised below the HTTP layer, and the one place that maps them to responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("pulse.errors")


class PulseError(Exception):
    """Base of the errors a client can cause; `status` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, field: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}  # more keys of the error body, such as the current state after a conflict


class NotFoundError(PulseError):
    """Missing, or belonging to another team: the two are indistinguishable on purpose."""

    status = 404


class ForbiddenError(PulseError):
    """The caller's role may not do this."""

    status = 403


class UnauthorizedError(PulseError):
    """No valid API key."""

    status = 401


class ConflictError(PulseError):
    """The request clashes with the current state (a reused idempotency key, a concurrent write)."""

    status = 409


class UnprocessableError(PulseError):
    """The request is well-formed but its values are not acceptable."""

    status = 422


class PreconditionFailedError(PulseError):
    """The caller's If-Match names a state that is no longer current."""

    status = 412


class TooManyRequestsError(PulseError):
    """The key has used its requests for this window; `retry_after` seconds until the next."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _body(message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message}
    if errors:
        body["errors"] = errors
    return body


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


_EXPECTED = {
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_type": "a date (YYYY-MM-DD)",
    "datetime_parsing": "a date-time with a timezone (ISO 8601)",
    "datetime_from_date_parsing": "a date-time with a timezone (ISO 8601)",
    "datetime_type": "a date-time with a timezone (ISO 8601)",
    "timezone_aware": "a date-time with a timezone (ISO 8601)",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "enum": "one of {expected}",
    "id_range": "between 1 and {max_id}",
}


def describe_validation_error(error: dict[str, Any]) -> dict[str, Any]:
    """Turn one pydantic error into `{field, message}` with a sentence a person can act on."""
    field = _field_name(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    given = error.get("input")
    if kind == "missing":
        message = f"{field} is required"
    elif kind == "extra_forbidden":
        message = f"{field} is not a field of this request (it is set by the server or unknown)"
    elif kind in _EXPECTED:
        expected = _EXPECTED[kind].format(**error.get("ctx", {}))
        message = f"{field} must be {expected}, got {given!r}"
        reason = (error.get("ctx") or {}).get("error")
        if reason and kind != "enum":
            message += f" ({reason})"
    elif field == "body" and kind in ("model_attributes_type", "dict_type"):
        message = "the body must be a JSON object, sent with Content-Type: application/json"
    elif kind == "json_invalid":
        field = "body"
        message = f"the body is not valid JSON: {(error.get('ctx') or {}).get('error', 'parse error')}"
    else:
        message = f"{field}: {error.get('msg', 'invalid value')}"
    return {"field": field, "message": message}


HtmlError = Callable[[Request, int, str], Response]


class FieldError(BaseModel):
    """One field's problem."""

    field: str | None
    message: str


class ErrorBody(BaseModel):
    """Every error answer: a sentence, and for validation errors each field's problem."""

    detail: str
    errors: list[FieldError] | None = None


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document describe the error bodies Pulse sends (not FastAPI's default 422 shape)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["HTTPValidationError"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
            components["HTTPValidationError"].pop("$defs", None)
            components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI, html_error: HtmlError | None = None, html_prefixes: tuple[str, ...] = ()) -> None:
    """Register the handlers that turn every error into a JSON body without a traceback.

    Under `html_prefixes` (the web pages) an error is a page instead, with the same message.
    """

    document_errors(app)

    def page(request: Request) -> bool:
        return html_error is not None and request.url.path.startswith(html_prefixes) if html_prefixes else False

    @app.exception_handler(PulseError)
    async def _pulse_error(request: Request, exc: PulseError) -> Response:
        if html_error is not None and page(request):
            return html_error(request, exc.status, exc.message)
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequestsError):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(_body(exc.message, errors) | exc.extra, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [describe_validation_error(dict(e)) for e in exc.errors()]
        if html_error is not None and page(request):
            return html_error(request, 422, "; ".join(e["message"] for e in errors))
        return JSONResponse(_body("; ".join(e["message"] for e in errors), errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if html_error is not None and page(request):
            return html_error(request, exc.status_code, str(exc.detail))
        return JSONResponse(_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path, "method": request.method})
        return JSONResponse(_body("internal error; it has been logged"), status_code=500)
