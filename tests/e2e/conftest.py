"""Fixtures of the end-to-end tests: a live `pulse serve` with users made by the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PULSE = str(Path(sys.executable).with_name("pulse"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run([PULSE, *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@dataclass
class Live:
    """A running server: its address, users' keys, process and environment."""

    base: str
    keys: dict[str, str]
    server: subprocess.Popen[bytes]
    env: dict[str, str]


@contextmanager
def serving(env: dict[str, str], cwd: Path, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`pulse serve` on a free port until the block ends: (base URL, process)."""
    port = free_port()
    server = subprocess.Popen([PULSE, "serve", "--port", str(port), "--workers", str(workers)], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"pulse serve did not start: {server.stderr.read().decode() if server.stderr else ''}")
        time.sleep(0.2)
    try:
        yield base, server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def pulse_env(database_url: str) -> dict[str, str]:
    """The environment of a `pulse` process on this database, with no PULSE_ setting from outside."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PULSE_") or k == "PULSE_CACHE_DIR"} | {
        "PULSE_DATABASE_URL": database_url, "PULSE_LOG_LEVEL": "WARNING"}


@pytest.fixture
def live(fresh_database_url: str, tmp_path: Path) -> Iterator[Live]:
    """A running `pulse serve` on a fresh database, with keys made by `pulse users create`."""
    # No blind items: the loop reads suggested colours back (blind review has tests of its own).
    env = pulse_env(fresh_database_url) | {"PULSE_BLIND_SHARE": "0"}
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
    env = pulse_env(f"sqlite:///{tmp_path / 'demo.db'}")
    printed = cli("demo", "--no-serve", env=env)
    keys: dict[str, str] = {}
    for line in printed.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[-3] in ("csm", "lead", "data_scientist", "admin"):
            keys.setdefault(parts[-3], parts[-1])  # the first user of each role
    with serving(env, tmp_path) as (base, server):
        yield Live(base, keys, server, env)
