"""Start-up of `pulse serve --workers N`: seconds from the command to a healthy answer, for each N, in one run.

    python -m tests.load.startup --workers 1 2 4 --repeat 3

The database is migrated and the serving graph built once first, as a restart finds them; each start is
then timed to its first 200 from /healthz and stopped. Prints one JSON line per N (median, each run).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests import processes
from tests.e2e.conftest import PULSE, cli, free_port, pulse_env


def time_to_healthy(env: dict[str, str], cwd: Path, workers: int, limit_s: float = 300) -> float:
    """Seconds from starting `pulse serve` to its first healthy answer."""
    port = free_port()
    started = time.perf_counter()
    server = processes.start([PULSE, "serve", "--port", str(port), "--workers", str(workers)], env=env, cwd=cwd)
    try:
        while time.perf_counter() - started < limit_s:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"pulse serve --workers {workers} exited with {server.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"pulse serve --workers {workers} was not healthy in {limit_s:.0f}s")
    finally:
        processes.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="pulse-startup-"))
    env = pulse_env(f"sqlite:///{directory / 'startup.db'}")
    cli("migrate", env=env)  # migrations and the serving graph, once, as a restart finds them
    for workers in args.workers:
        runs = [round(time_to_healthy(env, directory, workers), 2) for _ in range(args.repeat)]
        print(json.dumps({"workers": workers, "median_s": statistics.median(runs), "runs_s": runs,
                          "cpu": platform.processor() or platform.machine()}), flush=True)


if __name__ == "__main__":
    main()
