"""`pulse serve --workers 2`: when the master is SIGKILLed its workers go too, and a restart binds the port."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests import processes
from tests.e2e.conftest import cli, free_port, pulse_env, serving

pytestmark = pytest.mark.e2e


def test_workers_exit_with_their_killed_master_and_a_restart_serves_on_the_same_port(tmp_path: Path) -> None:
    env = pulse_env(f"sqlite:///{tmp_path / 'workers.db'}")
    cli("migrate", env=env)
    port = free_port()
    with serving(env, tmp_path, workers=2, port=port) as (_base, master):
        workers = processes.children(master.pid)
        # uvicorn's master also keeps multiprocessing's resource tracker; the two workers are among its children.
        assert len(workers) >= 2, workers
        master.send_signal(signal.SIGKILL)
        master.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(processes.alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [pid for pid in workers if processes.alive(pid)]
        assert survivors == [], f"worker processes outlived their master: {survivors}"

    with serving(env, tmp_path, workers=2, port=port) as (base, _server):
        assert base.endswith(f":{port}")
