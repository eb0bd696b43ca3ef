"""SIGKILL at random moments during a stream of writes: every write answered 201 survives, the database is intact.

CI kills the server 3 times on each database; `pytest -m slow tests/e2e/test_crash.py` kills it 50 times
(the figure in the README).
"""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from api.db import make_engine
from api.decisions.models import Decision
from api.interactions.models import Interaction
from tests.e2e.conftest import cli, pulse_env, serving

pytestmark = pytest.mark.e2e


def stream(http: httpx.Client, auth: dict[str, str], account_id: int, round_: int, started: threading.Event,
           written: list[str], decided: list[int]) -> None:
    """Post interactions and decide each, recording what was answered 201, until the server is gone."""
    for i in range(100_000):
        try:
            answer = http.post("/v1/interactions", headers=auth, json={
                "account_id": account_id, "kind": "chat", "external_id": f"r{round_}-{i}",
                "body": f"round {round_} message {i}: the export failed"})
            if answer.status_code == 201:
                written.append(f"r{round_}-{i}")
                suggestion = answer.json()["suggestion"]
                started.set()
                decision = http.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=auth,
                                     json={"label": suggestion["label"]})
                if decision.status_code == 201:
                    decided.append(decision.json()["id"])
        except httpx.TransportError:
            return


def kill_repeatedly(database_url: str, tmp_path: Path, kills: int, seed: int = 7) -> dict[str, int]:
    env = pulse_env(database_url) | {"PULSE_BLIND_SHARE": "0", "PULSE_RATE_LIMIT_PER_MINUTE": "0"}
    cli("migrate", env=env)
    key = cli("users", "create", "--name", "crash csm", "--role", "csm", "--team", "emea", env=env)
    auth = {"Authorization": f"Bearer {key}"}
    rng = random.Random(seed)
    written: list[str] = []
    decided: list[int] = []
    account_id = 0
    for round_ in range(kills):
        with serving(env, tmp_path) as (base, server), httpx.Client(base_url=base, timeout=10) as http:
            if not account_id:
                account_id = int(http.post("/v1/accounts", headers=auth, json={"name": "Crash"}).json()["id"])
            started = threading.Event()
            writer = threading.Thread(target=stream, args=(http, auth, account_id, round_, started, written, decided))
            writer.start()
            started.wait(timeout=30)
            time.sleep(rng.uniform(0.05, 1.5))  # a random moment in the stream
            server.send_signal(signal.SIGKILL)
            writer.join(timeout=30)
        engine = make_engine(database_url)
        with Session(engine) as session:
            stored = set(session.exec(select(Interaction.external_id)).all())
            stored_decisions = set(session.exec(select(Decision.id)).all())
            if engine.dialect.name == "sqlite":
                assert session.exec(text("PRAGMA integrity_check")).one()[0] == "ok"  # type: ignore[call-overload]
            else:
                assert session.exec(text("SELECT count(*) FROM decisions d JOIN suggestions s "  # type: ignore[call-overload]
                                         "ON s.id = d.suggestion_id")).one()[0] == len(stored_decisions)
        engine.dispose()
        assert set(written) <= stored, f"round {round_}: acknowledged interactions lost"
        assert set(decided) <= stored_decisions, f"round {round_}: acknowledged decisions lost"
    return {"kills": kills, "acknowledged_interactions": len(written), "acknowledged_decisions": len(decided)}


def test_writes_answered_201_survive_repeated_sigkills(fresh_database_url: str, tmp_path: Path) -> None:
    result = kill_repeatedly(fresh_database_url, tmp_path, kills=3)
    assert result["acknowledged_decisions"] >= 3


@pytest.mark.slow
@pytest.mark.timeout(3600)  # fifty restarts of a server
def test_fifty_sigkills(fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = kill_repeatedly(fresh_database_url, tmp_path, kills=50)
    with capsys.disabled():
        print(f"\n{fresh_database_url.split(':')[0]}: {result}")
    assert result["acknowledged_decisions"] >= 50
