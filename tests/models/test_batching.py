"""Concurrent callers share batches and each gets exactly its own rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from models import registry
from models.batching import MicroBatcher
from models.classifier import Plan


def test_concurrent_calls_share_batches_and_get_their_own_rows() -> None:
    classifier, _ = registry.load(registry.ARTIFACTS_DIR / "baseline-tfidf")
    batcher = MicroBatcher(classifier, max_texts=64, max_wait_s=0.05)
    texts = [f"message {i}: " + ("thanks, great job" if i % 2 else "the export failed again, furious")
             for i in range(40)]
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda t: batcher.predict_proba([t]), texts))
    expected = classifier.predict_proba(texts)
    assert np.allclose(np.vstack(results), expected)
    assert batcher.batches < len(texts)  # calls were merged
    assert batcher.version == classifier.version


class Failing:
    version = "broken"

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        raise RuntimeError("model crashed")


def test_a_failure_reaches_every_waiting_caller() -> None:
    batcher = MicroBatcher(Failing(), max_wait_s=0.05)
    errors: list[BaseException] = []

    def call() -> None:
        with pytest.raises(RuntimeError, match="model crashed") as info:
            batcher.predict_proba(["x"])
        errors.append(info.value)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(errors) == 5


class Windows:
    """A deterministic model whose work splits into units: one per 10 characters of text.

    Its first call blocks until the test lets it go, so the test knows what is in flight; every call's
    units are recorded.
    """

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, int]]] = []
        self.first_call = threading.Event()
        self.go_on = threading.Event()

    @property
    def version(self) -> str:
        return "windows-1"

    def plan(self, texts: Sequence[str]) -> Plan:
        units = [(text[:5], k) for text in texts for k in range(max(len(text) // 10, 1))]
        return Plan(units=units, context=[max(len(t) // 10, 1) for t in texts])

    def run(self, units: Sequence[Any]) -> NDArray[np.float64]:
        self.calls.append(list(units))
        if len(self.calls) == 1:
            self.first_call.set()
            self.go_on.wait(timeout=10)
        return np.tile([0.2, 0.3, 0.5], (len(units), 1))

    def finish(self, plan: Plan, outputs: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.array([outputs[:n].mean(axis=0) for n in plan.context])

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        plan = self.plan(texts)
        return self.finish(plan, self.run(plan.units))


def test_a_short_request_overtakes_a_long_one_in_flight() -> None:
    model = Windows()
    batcher = MicroBatcher(model, max_texts=8, max_wait_s=0)
    finished: list[str] = []

    def ask(name: str, text: str) -> None:
        batcher.predict_proba([text])
        finished.append(name)

    long_one = threading.Thread(target=ask, args=("long", "L" * 4000))  # 400 units: 50 calls of 8
    long_one.start()
    assert model.first_call.wait(timeout=10)
    short_one = threading.Thread(target=ask, args=("short", "S" * 10))  # 1 unit
    short_one.start()
    deadline = time.monotonic() + 10
    while batcher._queue.empty() and time.monotonic() < deadline:  # it is queued while the first call runs
        time.sleep(0.001)
    model.go_on.set()
    short_one.join(timeout=10)
    long_one.join(timeout=10)
    assert sorted(finished) == ["long", "short"]
    # Its one unit rode in the very next call, beside the long one's, so it was answered while the long one
    # still had units to run (which thread appends first afterwards is the scheduler's business).
    assert ("SSSSS", 0) in model.calls[1]
    assert any(unit[0] == "LLLLL" for call in model.calls[2:] for unit in call)
    assert len(model.calls[1]) == 8 and sum(1 for u in model.calls[1] if u[0] == "LLLLL") == 7
    assert sum(len(c) for c in model.calls) == 401


def test_planned_and_plain_scoring_agree_through_the_batcher() -> None:
    model = Windows()
    model.go_on.set()
    batcher = MicroBatcher(model, max_texts=3, max_wait_s=0)
    texts = ["a" * 35, "b" * 5, "c" * 71]
    assert np.allclose(batcher.predict_proba(texts), model.predict_proba(texts))
