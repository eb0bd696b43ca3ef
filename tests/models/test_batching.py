"""Concurrent callers share batches and each gets exactly its own rows."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.typing import NDArray

from models import registry
from models.batching import MicroBatcher


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
