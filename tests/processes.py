"""Child processes of the tests: each in a session of its own, stopped by group, never waited on forever.

A `pulse serve --workers N` master has children of its own. Stopping only the master (or reading a pipe
its children still hold) is how a test run hangs, so every process a test starts goes through here.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


def start(args: Sequence[str], *, env: dict[str, str], cwd: Path | None = None,
          stdout: int | IO[Any] | None = subprocess.DEVNULL,
          stderr: int | IO[Any] | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start a process as the leader of a new session (so of a new process group)."""
    return subprocess.Popen(list(args), env=env, cwd=cwd, stdout=stdout, stderr=stderr, start_new_session=True)


def signal_group(process: subprocess.Popen[Any], sig: int) -> None:
    """Send a signal to the process's whole group; a group already gone is fine."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop(process: subprocess.Popen[Any], *, grace_s: float = 15.0) -> int | None:
    """SIGTERM the process's group, wait up to grace_s, then SIGKILL the group; returns the exit code.

    The group is killed at the end whatever happened, so no child outlives the test.
    """
    signal_group(process, signal.SIGTERM)
    try:
        code: int | None = process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        code = None
    signal_group(process, signal.SIGKILL)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL is the kernel's
        pass
    return code


def run(args: Sequence[str], *, env: dict[str, str], timeout_s: float = 300.0,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command to its end, capturing its output; on timeout its group is killed and this fails."""
    process = subprocess.Popen(list(args), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        try:
            out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a grandchild outside the group still holds the pipe
            out, err = "", ""
        raise AssertionError(f"{' '.join(args)} did not finish in {timeout_s:.0f}s: {err[-2000:]}") from None
    return subprocess.CompletedProcess(list(args), process.returncode, out, err)


def tail(path: Path, limit: int = 4000) -> str:
    """The end of a log file, for a failure message (never blocks: it is a file, not a pipe)."""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace")


def _stat(path: Path) -> list[str] | None:
    """A process's /proc stat fields after its name (state first, then the parent pid); None if it is gone."""
    try:
        stat = path.read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields start after the last ")".
    return stat[stat.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    """The live processes whose parent is pid (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry / "stat") if entry.name.isdigit() else None
        if fields and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process."""
    fields = _stat(Path(f"/proc/{pid}/stat"))
    return fields is not None and fields[0] != "Z"
