"""The fairness benchmark of `pulse bench` runs for real: a live server, one long thread, probes beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.lab.fairness import SHORT, long_thread, run
from pipelines.clean import clean_text

pytestmark = pytest.mark.e2e


def test_the_long_thread_survives_cleaning_whole() -> None:
    thread = long_thread(20_000)
    assert len(thread) == 20_000 and len(clean_text(thread)) > 19_000 and clean_text(SHORT) == SHORT


def test_the_fairness_benchmark_serves_the_long_thread_both_ways_and_probes_beside_it(tiny_model: Path) -> None:
    result = run(tiny_model, characters=20_000)
    assert result["characters"] == 20_000
    assert (result["suggest"]["status"], result["interaction"]["status"]) == (200, 201)
    for way in ("suggest", "interaction"):
        figures = result[way]
        assert figures["long_request_s"] > 0
        assert figures["healthz"]["n"] >= 1 and figures["one_sentence_suggest"]["n"] >= 1
        assert figures["healthz"]["p50_ms"] <= figures["healthz"]["p99_ms"] <= figures["healthz"]["max_ms"]
