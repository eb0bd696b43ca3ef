"""The per-key rate limit: 429 with Retry-After, per key, shared by every server process."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from api.users.models import Role
from tests.e2e.conftest import cli, pulse_env, serving


def wait_for_a_fresh_window(margin_s: float = 8.0) -> None:
    """Start well inside a one-minute window, so the test's requests all count in the same one."""
    left = 60 - time.time() % 60
    if left < margin_s:
        time.sleep(left + 0.5)


def test_a_key_over_its_limit_gets_429_with_retry_after(engine, settings: Settings, make_user) -> None:
    _, first = make_user(Role.CSM, "emea", "Busy")
    _, second = make_user(Role.CSM, "emea", "Calm")
    wait_for_a_fresh_window()
    with TestClient(create_app(settings.model_copy(update={"rate_limit_per_minute": 5}))) as client:
        answers = [client.get("/v1/reasons", headers=first).status_code for _ in range(7)]
        assert answers == [200] * 5 + [429] * 2
        refused = client.get("/v1/reasons", headers=first)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "rate limit of 5 requests a minute" in refused.json()["detail"]
        assert client.get("/v1/reasons", headers=second).status_code == 200  # another key has its own


@pytest.mark.e2e
def test_the_limit_holds_across_server_processes(tmp_path: Path) -> None:
    env = pulse_env(f"sqlite:///{tmp_path / 'limits.db'}") | {"PULSE_RATE_LIMIT_PER_MINUTE": "10"}
    cli("migrate", env=env)
    key = cli("users", "create", "--name", "script", "--role", "csm", "--team", "emea", env=env)
    with serving(env, tmp_path, workers=2) as (base, _server):
        wait_for_a_fresh_window()
        answers = []
        for _ in range(16):
            with httpx.Client(base_url=base, timeout=10) as http:  # a new connection each time: both workers serve
                answers.append(http.get("/v1/reasons", headers={"Authorization": f"Bearer {key}"}).status_code)
    assert sorted(answers) == [200] * 10 + [429] * 6, answers
