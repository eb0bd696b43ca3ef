"""Worker processes of `pulse serve --workers N` end with their master.

uvicorn's master binds the socket and hands it to its workers. If the master dies hard (SIGKILL, the OOM
killer) its workers would run on as orphans, keeping the port, so a restarted `pulse serve` could not bind
it. Each worker therefore watches its parent: on Linux the kernel sends it SIGTERM the moment the master
dies (a parent-death signal), and a watchdog thread checks the parent's pid as well, everywhere. Either way
the worker stops gracefully, and is forced out if that takes longer than its shutdown allowance.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

log = logging.getLogger("pulse.lifecycle")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_with_master(*, poll_s: float = 0.5, grace_s: float = 10.0) -> bool:
    """In a worker process started by a master, arrange to exit when the master is gone.

    Returns whether this process is such a worker (False in a single-process server, a test or the CLI).
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return False
    master = parent.pid
    if sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl: the watchdog remains
            pass
    watchdog = threading.Thread(target=_watch, args=(master, poll_s, grace_s), name="master-watchdog", daemon=True)
    watchdog.start()
    return True


def _watch(master: int, poll_s: float, grace_s: float) -> None:
    # The master may already have died before prctl took effect: the parent pid has changed then too.
    while os.getppid() == master:
        time.sleep(poll_s)
    log.warning("master process gone; worker stopping", extra={"master_pid": master})
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace_s)
    log.error("worker did not stop within its grace period; exiting now", extra={"grace_s": grace_s})
    os._exit(1)
