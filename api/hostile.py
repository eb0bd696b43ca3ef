"""Refusing text that no database column can hold: NUL characters and lone UTF-16 surrogates.

PostgreSQL refuses a NUL in any text, and a lone surrogate ("\\ud800" in JSON) cannot be encoded to
UTF-8 at all; either would fail deep inside a request as a 500. This ASGI middleware answers 422 first,
naming the field: in the path, the query string, a JSON body or a form. The common case costs a byte
scan: a body is parsed only when it holds an escape or byte that could be one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import send_json

_SUSPECT = re.compile(rb"\x00|\\u0000|\\u[dD][89a-fA-F]", re.IGNORECASE)
_BAD = re.compile("[\x00\ud800-\udfff]")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys included), with the dotted path of the field it sits in."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def bad_field(pairs: Iterator[tuple[str, str]]) -> str | None:
    """The first field whose text holds a NUL or a lone surrogate."""
    return next((field for field, text in pairs if _BAD.search(text)), None)


def refusal(field: str) -> str:
    """Why a field's text is refused: the API's 422 and `pulse signals import`'s row error alike."""
    return f"{field} holds a NUL character or a lone surrogate, which no text can store"


def scrubbed(text: str) -> str:
    """Text with its NULs and lone surrogates removed: what ingestion stores of mail that carries them
    (the API refuses such text instead, so a client learns; a mailbox cannot be told)."""
    return _BAD.sub("", text)


class HostileTextMiddleware:
    """422 for a NUL or a lone surrogate anywhere in a request's path, query or body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if _BAD.search(path) or _BAD.search(unquote(scope.get("raw_path", b"").decode("latin-1"))):
            await self._refuse(send, "path")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        if "%" in query or "\x00" in query:
            field = bad_field((k, f"{k}{v}") for k, v in parse_qsl(query, keep_blank_values=True,
                                                                      errors="surrogatepass"))
            if field is not None:
                await self._refuse(send, field)
                return
        headers = dict(scope.get("headers", []))
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind not in (b"application/json", b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        body, messages = b"", []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        field = self._body_field(kind, body) if _SUSPECT.search(body) or b"%00" in body.lower() else None
        if field is not None:
            await self._refuse(send, field)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _body_field(kind: bytes, body: bytes) -> str | None:
        if kind == b"application/json":
            try:
                parsed = json.loads(body.decode("utf-8", "surrogatepass"))
            except ValueError:
                return None  # not JSON: the app says so in its own words
            return bad_field(_strings(parsed, "body"))
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, errors="surrogatepass")
        return bad_field((k, f"{k}{v}") for k, v in pairs)

    @staticmethod
    async def _refuse(send: Send, field: str) -> None:
        message = refusal(field)
        await send_json(send, 422, {"detail": message, "errors": [{"field": field, "message": message}]})
