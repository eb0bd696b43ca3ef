"""int8 post-training quantization of a transformer's serving graph, with an accuracy check.

NNCF quantizes the f32 OpenVINO graph (transformer preset: attention and normalization stay in
higher precision) on the inputs the caller gives (the transformer: token windows of texts composed for
Pulse, `models.calibration`). The result
is accepted only if its labels agree with the f32 graph's on at least MIN_AGREEMENT of those texts;
otherwise building fails with the figure, and the caller serves f32. The graph, its agreement and the
calibration size are written atomically and sealed like the f32 graph.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.artifacts import ArtifactError
from models.graphs import cached_serving_graph, write_graph

MIN_AGREEMENT = 0.99


def available() -> bool:
    """Whether NNCF is installed (the training install has it), found without importing it."""
    import importlib.util

    return importlib.util.find_spec("nncf") is not None


def refusal(target: Path) -> str | None:
    """Why an earlier build refused the int8 graph at target (it is not tried again), or None."""
    marker = target.with_name(target.name + ".refused")
    return marker.read_text() if marker.is_file() else None


def quantized(f32_graph: Path, target: Path, units: list[Any], feed: Callable[[Any], dict[str, np.ndarray]],
              text_labels: Callable[[np.ndarray], np.ndarray], n_texts: int) -> Path:
    """The int8 graph at target, built from the f32 graph if it is missing or does not match its seal.

    `units` are the calibration inputs, `feed` turns one into the graph's inputs, and `text_labels` turns
    the outputs of all units into one label per calibration text. Raises ArtifactError when the graph
    cannot be had (refused now or before, or NNCF missing)."""
    if cached_serving_graph(target) is not None:
        return target
    refused = refusal(target)
    if refused:
        raise ArtifactError(refused)
    try:
        build(f32_graph, target, units, feed, text_labels, n_texts)
    except ArtifactError as error:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(target.name + ".refused").write_text(str(error))
        raise
    except ImportError as error:
        raise ArtifactError(f"int8 needs NNCF ({error}): serve f32") from None
    return target


def build(f32_graph: Path, target: Path, units: list[Any], feed: Callable[[Any], dict[str, np.ndarray]],
          text_labels: Callable[[np.ndarray], np.ndarray], n_texts: int) -> None:
    import nncf
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(f32_graph / "model.xml"))
    int8 = nncf.quantize(model, nncf.Dataset(units, feed), model_type=nncf.ModelType.TRANSFORMER,
                         subset_size=len(units))

    def labels(graph: Any) -> np.ndarray:
        compiled = core.compile_model(graph, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        return text_labels(np.vstack([np.asarray(compiled.create_infer_request().infer(feed(u))[0]) for u in units]))

    agreement = float(np.mean(labels(model) == labels(int8)))
    if agreement < MIN_AGREEMENT:
        raise ArtifactError(f"int8 graph agrees with f32 on {agreement:.1%} of the calibration texts, under "
                            f"{MIN_AGREEMENT:.0%}: serve f32")
    write_graph(int8, target, {"quantization.json": {
        "calibration_texts": n_texts, "calibration_windows": len(units), "agreement_with_f32": agreement,
        "nncf": nncf.__version__}})
