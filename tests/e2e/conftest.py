"""Fixtures of the end-to-end tests: a live `pulse serve` with users made by the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture
def live(fresh_database_url: str, tmp_path: Path) -> Iterator[Live]:
    """A running `pulse serve` on a fresh database, with keys made by `pulse users create`."""
    # No blind items: the loop reads suggested colours back (blind review has tests of its own).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_") or k == "PULSE_CACHE_DIR"} | {
        "PULSE_DATABASE_URL": fresh_database_url, "PULSE_LOG_LEVEL": "WARNING", "PULSE_BLIND_SHARE": "0"}
    cli("migrate", env=env)
    keys = {
        name: cli("users", "create", "--name", name, "--role", role, *(["--team", team] if team else []), env=env)
        for name, role, team in [("csm", "csm", "emea"), ("rival", "csm", "americas"), ("lead", "lead", "emea"),
                                 ("scientist", "data_scientist", None)]
    }
    port = free_port()
    server = subprocess.Popen([PULSE, "serve", "--port", str(port)], env=env, cwd=tmp_path,
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
        yield Live(base, keys, server, env)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
