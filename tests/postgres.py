"""A throwaway PostgreSQL server for the tests, from Debian's `postgresql` package."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]


def find_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, if PostgreSQL is installed."""
    for directory in BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a private server on a free loopback port and yield a URL for its `pulse` database.

    PostgreSQL will not run as root, so as root the server runs as the `postgres` system user.
    """
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
    data = root / "data"
    if as_user:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, cwd=root, timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "pulse", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "pulse", "pulse")
        yield f"postgresql+psycopg://pulse@127.0.0.1:{port}/pulse"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, cwd=root, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
