"""SIGTERM: in-flight work is finished or abandoned within PULSE_SHUTDOWN_TIMEOUT_S; nothing acknowledged is lost."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from api.cli import serving as serving_commands
from api.config import Settings
from api.db import make_engine
from api.interactions.models import Interaction
from api.lab.fairness import long_thread
from tests.e2e.conftest import Live

pytestmark = pytest.mark.e2e


def test_the_server_is_told_how_long_to_wait_for_requests_on_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))
    serving_commands.run_server(Settings(shutdown_timeout_s=3), "127.0.0.1", 8000, 2)
    assert seen["timeout_graceful_shutdown"] == 3 and seen["workers"] == 2


def test_sigterm_during_a_long_request_exits_cleanly_and_keeps_what_was_acknowledged(live: Live,
                                                                                    tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {live.keys['csm']}"}
    with httpx.Client(base_url=live.base, timeout=60) as http:
        account = http.post("/v1/accounts", headers=auth, json={"name": "Shutdown Ltd"}).json()["id"]
        stored = [http.post("/v1/interactions", headers=auth, json={
            "account_id": account, "kind": "email", "external_id": f"s-{i}", "body": f"Message {i}: all good."})
            for i in range(3)]
        assert [s.status_code for s in stored] == [201, 201, 201]
    outcome: dict[str, Any] = {}

    def long_request() -> None:
        try:
            with httpx.Client(base_url=live.base, timeout=120) as http:
                outcome["status"] = http.post("/v1/suggest", headers={"Authorization": f"Bearer {live.keys['lead']}"},
                                              json={"texts": [long_thread(200_000)]}).status_code
        except httpx.TransportError as error:
            outcome["error"] = type(error).__name__

    thread = threading.Thread(target=long_request)
    thread.start()
    threading.Event().wait(0.5)  # the request is on its way (or, on a fast machine, already answered)
    live.server.send_signal(signal.SIGTERM)
    # PULSE_SHUTDOWN_TIMEOUT_S is 2 here, so it does not wait for the thread; uvicorn ends a graceful
    # shutdown by re-raising the SIGTERM it caught, so the process ends by that signal, never by a kill.
    assert live.server.wait(timeout=60) in (0, -signal.SIGTERM)
    thread.join(timeout=60)
    assert outcome.get("status") == 200 or "error" in outcome, outcome
    engine = make_engine(live.env["PULSE_DATABASE_URL"])
    with Session(engine) as session:
        assert {i.external_id for i in session.exec(select(Interaction))} == {"s-0", "s-1", "s-2"}
    engine.dispose()
