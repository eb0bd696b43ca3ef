"""Micro-batching that is fair: texts from concurrent requests share model calls, and no request waits behind
another's long text.

Each caller turns its texts into units of work in its own thread (a transformer's token windows; a text
for other models) and hands them to a single worker thread. The worker fills each model call with up to
`max_units` units, taken round-robin from every request in progress, so a one-sentence request that
arrives while a 200,000-character thread is being scored rides in the very next call instead of waiting
for the whole thread. When idle, the worker waits at most `max_wait_s` for more requests to join the first
call. A failure reaches every request whose units were in the failing call; the others go on.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.classifier import Classifier, Plan, Planned


class _WholeTexts:
    """Units for a classifier that cannot split its work: each text is one unit."""

    def __init__(self, inner: Classifier) -> None:
        self.inner = inner

    def plan(self, texts: Sequence[str]) -> Plan:
        return Plan(units=list(texts), context=None)

    def run(self, units: Sequence[Any]) -> NDArray[np.float64]:
        return self.inner.predict_proba(list(units))

    def finish(self, plan: Plan, outputs: NDArray[np.float64]) -> NDArray[np.float64]:
        return outputs


@dataclass(eq=False)  # requests are told apart by identity
class _Request:
    units: list[Any]
    outputs: NDArray[np.float64] | None = None
    taken: int = 0
    done: int = 0
    future: Future[NDArray[np.float64]] = field(default_factory=Future)


class MicroBatcher:
    """A Classifier that merges concurrent predict_proba calls into shared, fairly filled model calls."""

    def __init__(self, inner: Classifier, max_texts: int = 32, max_wait_s: float = 0.002) -> None:
        self.inner = inner
        self.work: Planned = inner if isinstance(inner, Planned) else _WholeTexts(inner)
        self.max_units = max(max_texts, 1)
        self.max_wait_s = max_wait_s
        self.batches = 0
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="pulse-batcher", daemon=True)
        self._worker.start()

    @property
    def version(self) -> str:
        """The wrapped model's version."""
        return self.inner.version

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities for these texts, computed in calls shared fairly with other callers."""
        if not texts:
            return np.zeros((0, 3))
        plan = self.work.plan(texts)
        request = _Request(plan.units)
        self._queue.put(request)
        return self.work.finish(plan, request.future.result())

    def _run(self) -> None:
        active: deque[_Request] = deque()
        while True:
            if not active:
                active.append(self._queue.get())
                deadline = time.perf_counter() + self.max_wait_s
                while sum(len(r.units) for r in active) < self.max_units:
                    remaining = deadline - time.perf_counter()
                    try:
                        active.append(self._queue.get(timeout=remaining) if remaining > 0
                                      else self._queue.get_nowait())
                    except queue.Empty:
                        break
            else:
                while True:  # requests that arrived during the last call join this one
                    try:
                        active.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
            self._call(active, self._take(active))
            active.rotate(-1)  # the next call starts with another request

    def _take(self, active: deque[_Request]) -> list[tuple[_Request, int, int]]:
        """Round-robin: (request, first unit, end) spans filling one call with at most max_units units."""
        spans: list[tuple[_Request, int, int]] = []
        room = self.max_units
        while room > 0:
            waiting = [r for r in active if r.taken < len(r.units)]
            if not waiting:
                break
            share = max(room // len(waiting), 1)
            for request in waiting:
                count = min(share, len(request.units) - request.taken, room)
                if count <= 0:
                    continue
                spans.append((request, request.taken, request.taken + count))
                request.taken += count
                room -= count
        return spans

    def _call(self, active: deque[_Request], spans: list[tuple[_Request, int, int]]) -> None:
        units = [unit for request, start, end in spans for unit in request.units[start:end]]
        try:
            outputs = self.work.run(units)
        except BaseException as error:  # every request in this call gets the failure, none hangs
            for request in {id(r): r for r, _, _ in spans}.values():
                request.future.set_exception(error)
                active.remove(request)
            return
        self.batches += 1
        row = 0
        for request, start, end in spans:
            if request.outputs is None:
                request.outputs = np.zeros((len(request.units), outputs.shape[1]))
            request.outputs[start:end] = outputs[row:row + end - start]
            row += end - start
            request.done += end - start
            if request.done == len(request.units):
                request.future.set_result(request.outputs)
                active.remove(request)
