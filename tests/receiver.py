"""A webhook receiver on loopback for tests: checks signatures, fails the first attempts of each event."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from api.events.service import SIGNATURE_HEADER, verify_signature


@dataclass
class Receiver:
    """What the receiver saw. The first `fail_first` requests of each event at each path are answered 500."""

    fail_first: int = 0
    url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)  # path → the secret of the endpoint posting there
    attempts: Counter[tuple[str, int]] = field(default_factory=Counter)  # (path, event id) → requests
    delivered: list[dict[str, Any]] = field(default_factory=list)  # every request answered 2xx
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        event_id = int(headers["X-Pulse-Event-Id"])
        with self.lock:
            if not verify_signature(self.secrets.get(path, ""), headers.get(SIGNATURE_HEADER, ""), body):
                self.bad_signatures += 1
                return 400
            self.attempts[path, event_id] += 1
            if path.endswith("/gone"):
                return 410
            if self.attempts[path, event_id] <= self.fail_first:
                return 500
            self.delivered.append({"event_id": event_id, "path": path, "type": headers["X-Pulse-Event"],
                                   "attempt": int(headers["X-Pulse-Attempt"]), "body": json.loads(body)})
            return 204

    def delivered_ids(self) -> Counter[tuple[str, int]]:
        """How many times each (path, event) was answered 2xx."""
        with self.lock:
            return Counter((d["path"], d["event_id"]) for d in self.delivered)


@contextmanager
def receiving(fail_first: int = 0) -> Iterator[Receiver]:
    """A receiver listening on a free loopback port for the duration of the block."""
    receiver = Receiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.handle(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
