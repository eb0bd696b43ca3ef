"""A local HTTP server that answers as Zendesk's API does, from fixtures written for Pulse in the recorded shapes
(tests/fixtures/ingest/zendesk-api/README.md); a test adds faults (429, 5xx, hostile answers) per route."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest" / "zendesk-api"
FIRST, SECOND = "MTc5MDAwMDAwMS4wfHw3MDJ8", "MTc5MDAwMDUwMC4wfHw3MDN8"  # the pages' after_cursor
AUDITS_701_NEXT = "eyJvIjoiY3JlYXRlZF9hdCxpZCIsInYiOiI3MDEtODIifQ=="
ROUTES = {"tickets:start": "tickets-start.json", f"tickets:{FIRST}": "tickets-next.json",
          f"tickets:{SECOND}": "tickets-none.json", "audits:701:": "audits-701-1.json",
          f"audits:701:{AUDITS_701_NEXT}": "audits-701-2.json", "audits:702:": "audits-702.json",
          "audits:703:": "audits-703.json"}
# (ours, account, sender) of every comment in the fixtures
EXPECTED = {"zendesk:701:8101": (False, "crm-1", "ana.souza@northwind.example"),
            "zendesk:701:8201": (True, "crm-1", "maya@helpdesk.example"),
            "zendesk:701:8301": (True, "crm-1", "maya@helpdesk.example"),
            "zendesk:701:8401": (False, "crm-1", "ana.souza@northwind.example"),
            "zendesk:702:9101": (False, "zendesk:organization:362", "li.wei@bluefin.example"),
            "zendesk:703:9501": (False, "crm-1", "jonas.berg@northwind.example")}

Body = bytes | Callable[[io.BufferedIOBase], None]
Answer = tuple[int, dict[str, str], Body]


class Zendesk:
    """What the local server answers: the fixtures by route, unless `faults` holds answers for the route (each
    given once, in order) or `replaced` one for good; every request is logged."""

    def __init__(self) -> None:
        self.base = ""
        self.log: list[tuple[str, dict[str, str], str | None]] = []
        self.faults: dict[str, list[Answer]] = {}
        self.replaced: dict[str, Answer] = {}

    @staticmethod
    def route(path: str, query: dict[str, str]) -> str:
        if path == "/api/v2/incremental/tickets/cursor.json":
            return f"tickets:{query['cursor']}" if "cursor" in query else "tickets:start"
        parts = path.split("/")  # /api/v2/tickets/701/audits.json
        return f"audits:{parts[4]}:{query.get('page[after]', '')}" if len(parts) == 6 else path

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        key = self.route(path, query)
        if self.faults.get(key):
            return self.faults[key].pop(0)
        if key in self.replaced:
            return self.replaced[key]
        if key in ROUTES:
            return 200, {"Content-Type": "application/json"}, (FIXTURES / ROUTES[key]).read_bytes()
        return 404, {"Content-Type": "application/json"}, b'{"error": "RecordNotFound", "description": "Not found"}'

    def requests(self, kind: str) -> list[str]:
        return [self.route(path, query) for path, query, _ in self.log if self.route(path, query).startswith(kind)]


class _Server(ThreadingHTTPServer):
    zendesk: Zendesk


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        self.server.zendesk.log.append((parts.path, query, self.headers.get("Authorization")))
        status, headers, body = self.server.zendesk.answer(parts.path, query)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if isinstance(body, bytes) and "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if isinstance(body, bytes):
            self.wfile.write(body)
        else:
            body(self.wfile)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass


@pytest.fixture(name="zendesk")
def zendesk_fixture() -> Iterator[Zendesk]:
    fake = Zendesk()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.zendesk = fake
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
