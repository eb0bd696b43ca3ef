"""The transformer: sealed artifact, both backends, windows that never cut text, base checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models import registry, transformer
from models.artifacts import ArtifactError, seal
from models.explain import predict
from models.options import ServingOptions


def test_artifact_is_small_sealed_and_documented(tiny_transformer: Path) -> None:
    files = {p.name for p in tiny_transformer.iterdir()}
    assert files == {"adapter.safetensors", "config.json", "MODEL_CARD.md", "manifest.json"}
    assert sum(p.stat().st_size for p in tiny_transformer.iterdir()) < 30 * 1024 * 1024
    manifest = json.loads((tiny_transformer / "manifest.json").read_text())
    assert manifest["kind"] == "transformer-lora"
    assert {"calibration", "calibration_serving", "dev", "dev_serving"} <= set(manifest["metrics"])
    assert 0 <= manifest["metrics"]["dev_serving"]["agreement_with_fp32"] <= 1
    assert manifest["params"]["soft_labels"] is True and manifest["params"]["seed"] == 13
    assert "serving (OpenVINO bf16)" in (tiny_transformer / "MODEL_CARD.md").read_text()


def test_serving_graph_tracks_the_fp32_reference(tiny_transformer: Path) -> None:
    serving, _ = registry.load(tiny_transformer, backend="serving", threads=1)
    reference, _ = registry.load(tiny_transformer, backend="reference", threads=1)
    assert serving.version == reference.version
    texts = ["The export failed again and we are furious.", "Thanks, the QBR went great and they want to expand!",
             "Could you send the March invoice?"]
    fast, exact = serving.predict_proba(texts), reference.predict_proba(texts)
    assert np.allclose(fast.sum(axis=1), 1.0) and np.allclose(exact.sum(axis=1), 1.0)
    assert np.abs(fast - exact).max() < 0.05


def test_long_text_is_read_in_overlapping_windows_never_cut() -> None:
    tokenizer = transformer.load_tokenizer()
    text = " ".join(f"word{i}" for i in range(700))
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    pieces, owner = transformer.windows(tokenizer, ["short one", text], max_len=128, stride=32)
    assert owner.count(0) == 1 and owner.count(1) > 1
    long_pieces = [p for p, o in zip(pieces, owner, strict=True) if o == 1]
    assert all(len(p) <= 128 for p in long_pieces)
    # Every token appears, in order, once the overlaps are removed.
    rebuilt = list(long_pieces[0][1:-1])
    for piece in long_pieces[1:]:
        rebuilt.extend(piece[1 + 32 : -1])
    assert rebuilt == ids


def test_a_long_text_scores_as_the_weighted_mean_of_its_windows(tiny_transformer: Path) -> None:
    classifier = transformer.TransformerClassifier.load(tiny_transformer, "tiny", backend="reference", threads=1)
    text = " ".join(["The export failed again and support never answered."] * 30 + ["Thanks for the great QBR."] * 30)
    pieces, _ = transformer.windows(transformer.load_tokenizer(), [text], classifier.max_len, classifier.stride)
    assert len(pieces) > 2
    per_window = np.vstack([classifier.window_logits([p]) for p in pieces])
    lengths = np.array([len(p) for p in pieces], dtype=float)
    expected = (per_window * lengths[:, None]).sum(axis=0) / lengths.sum()
    assert np.allclose(classifier.logits([text])[0], expected, atol=1e-4)


def test_explanations_work_through_the_same_interface(tiny_transformer: Path) -> None:
    classifier, _ = registry.load(tiny_transformer, threads=1)
    text = "Could you send the invoice? The export failed again and we are furious. Have a nice day."
    prediction = predict(classifier, [text])[0]
    assert all(text[e.start : e.end] == e.text and e.weight > 0 for e in prediction.explanation)


def test_a_different_base_tokenizer_is_refused(tiny_transformer: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(tiny_transformer, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    config = json.loads((copy / "config.json").read_text())
    config["tokenizer_sha256"] = "0" * 64
    (copy / "config.json").write_text(json.dumps(config))
    seal(copy, {k: v for k, v in manifest.items() if k != "files"})
    with pytest.raises(ArtifactError, match="different tokenizer"):
        registry.load(copy)


def test_int8_is_served_only_when_it_agrees_with_f32_and_the_choice_is_explained(
        tiny_transformer: Path, tmp_path: Path) -> None:
    from models import quantize, transformer

    options = ServingOptions(precision="int8", cache_dir=tmp_path)
    classifier, _ = registry.load(tiny_transformer, options=options)
    assert isinstance(classifier, transformer.TransformerClassifier)
    target = tmp_path / "serving" / (transformer.serving_key(tiny_transformer) + "-int8")
    if classifier.precision == "int8":  # accepted: the sealed graph records how well it agrees
        record = json.loads((target / "quantization.json").read_text())
        assert record["agreement_with_f32"] >= quantize.MIN_AGREEMENT and record["calibration_texts"] == 320
    else:  # refused: served as f32, saying why, and not tried again at the next start
        assert classifier.precision == "f32" and classifier.precision_why.startswith("int8 refused: ")
        assert quantize.refusal(target) is not None and registry.is_prepared(tiny_transformer, options)
    probs = classifier.predict_proba(["Thanks, the new release is excellent!"])
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_the_precision_follows_the_cpu_and_its_instruction_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from models import transformer

    flags = {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8"}
    monkeypatch.setattr(transformer, "cpu_features", lambda cap=None: {"model": "x", "features": sorted(flags)})
    assert transformer.serving_precision()[0] == "bf16"
    flags -= {"avx512_bf16", "amx_bf16", "amx_int8"}
    assert transformer.serving_precision()[0] == "int8"
    flags -= {"avx512_vnni"}
    precision, why = transformer.serving_precision()
    assert precision == "f32" and "VNNI" in why
    assert transformer.serving_precision(ServingOptions(precision="bf16")) == ("bf16", "PULSE_SERVING_PRECISION=bf16")


def test_an_instruction_cap_hides_the_features_above_it() -> None:
    from models import transformer

    found = transformer.cpu_features("avx2")
    assert set(found["features"]) <= {"avx2"} and found["capped_by"] == "ONEDNN_MAX_CPU_ISA=AVX2"
