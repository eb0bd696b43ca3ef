"""`pulse bench` runs for real on a tiny fine-tuned transformer: both paths, the labels compared, and
`pulse score` against an eager loop, all in one run (the figures themselves are the benchmark's business)."""

from __future__ import annotations

from pathlib import Path

from api.lab.offline import bench_score
from api.lab.offline.bench import LONG, SHORT, run


def test_the_benchmark_measures_serving_reference_and_pulse_score_in_one_run(tiny_transformer: Path) -> None:
    result = run(tiny_transformer, threads=1)
    assert result["serving"]["texts"] == result["reference_fp32_eager"]["texts"] == SHORT + LONG
    assert 0.9 <= result["label_agreement"] <= 1.0  # the same model on both paths
    assert result["speedup_batch16"] > 0 and result["serving_path"]["inference_precision"] in ("bf16", "int8", "f32")
    assert "features" in result["cpu"]
    score = bench_score.run(tiny_transformer, threads=1, count=40)
    assert score["pulse_score"]["texts"] == score["reference_fp32_eager_loop"]["texts"] == 40
    assert score["speedup"] > 0 and 0.9 <= score["label_agreement"] <= 1.0
