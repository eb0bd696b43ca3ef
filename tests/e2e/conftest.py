"""Fixtures of the end-to-end tests: a live `pulse serve` with users made by the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import processes

PULSE = str(Path(sys.executable).with_name("pulse"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str]) -> str:
    result = processes.run([PULSE, *args], env=env, timeout_s=180)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def drain_jobs(env: dict[str, str]) -> None:
    """Run every ready background job to its end (`pulse worker --once`): a barrier, not a wait on timing."""
    cli("worker", "--once", env=env)


@dataclass
class Live:
    """A running server: its address, users' keys, process and environment."""

    base: str
    keys: dict[str, str]
    server: subprocess.Popen[bytes]
    env: dict[str, str]


@contextmanager
def serving(env: dict[str, str], cwd: Path, workers: int = 1, port: int | None = None,
            ready_s: float = 120) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`pulse serve` on a free port (or the given one) until the block ends: (base URL, process).

    The server runs in a session of its own and is stopped by group, so its worker processes go with it;
    its log goes to a file, which is read only once the group is gone.
    """
    port = port or free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("ab") as handle:
        server = processes.start([PULSE, "serve", "--port", str(port), "--workers", str(workers)], env=env, cwd=cwd,
                                 stderr=handle)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_s
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            processes.stop(server, grace_s=0)
            pytest.fail(f"pulse serve did not start in {ready_s:.0f}s: {processes.tail(log)}")
        time.sleep(0.2)
    try:
        yield base, server
    finally:
        processes.stop(server)


def pulse_env(database_url: str) -> dict[str, str]:
    """The environment of a `pulse` process on this database, with no PULSE_ setting from outside."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PULSE_") or k == "PULSE_CACHE_DIR"} | {
        "PULSE_DATABASE_URL": database_url, "PULSE_LOG_LEVEL": "WARNING"}


@pytest.fixture
def live(fresh_database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Live]:
    """A running `pulse serve` on a fresh database, with keys made by `pulse users create`; a test may give
    more settings (`@pytest.mark.parametrize("live", [{"PULSE_SCALE": "six"}], indirect=True)`)."""
    # No blind items: the loop reads suggested colours back (blind review has tests of its own). No embedded
    # worker: what the queue holds must not depend on whether a background roll-up ran first; a test that
    # needs the background jobs done calls drain_jobs, a barrier that returns once none is ready.
    env = pulse_env(fresh_database_url) | {"PULSE_BLIND_SHARE": "0", "PULSE_EMBEDDED_WORKER": "false",
                                           "PULSE_SHUTDOWN_TIMEOUT_S": "2"} | getattr(request, "param", {})
    cli("migrate", env=env)
    keys = {
        name: cli("users", "create", "--name", name, "--role", role, *(["--team", team] if team else []), env=env)
        for name, role, team in [("csm", "csm", "emea"), ("rival", "csm", "americas"), ("lead", "lead", "emea"),
                                 ("scientist", "data_scientist", None)]
    }
    with serving(env, tmp_path) as (base, server):
        yield Live(base, keys, server, env)


@pytest.fixture
def live_demo(tmp_path: Path) -> Iterator[Live]:
    """`pulse demo` data on a fresh SQLite file, served; keys by demo user name."""
    env = pulse_env(f"sqlite:///{tmp_path / 'demo.db'}") | {"PULSE_EMBEDDED_WORKER": "false"}
    printed = cli("demo", "--no-serve", env=env)
    keys: dict[str, str] = {}
    for line in printed.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[-3] in ("csm", "lead", "data_scientist", "admin"):
            keys.setdefault(parts[-3], parts[-1])  # the first user of each role
    with serving(env, tmp_path) as (base, server):
        yield Live(base, keys, server, env)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (tests/e2e/browsing.py skips where it is missing)."""
    from tests.e2e.browsing import chromium

    yield from chromium()
