"""Artifacts load only when every byte matches the manifest, and round-trip the trained model exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression

from models import registry
from models.artifacts import ArtifactError, verify
from models.labels import LABELS, Label, shift
from training.datasets import read_csv
from training.train import BaselineParams, train_baseline


@pytest.mark.parametrize("name", ["multilingual", "minilm-lora", "baseline-tfidf"])
def test_shipped_models_verify_load_and_read_clear_cases(name: str) -> None:
    directory = registry.ARTIFACTS_DIR / name
    classifier, manifest = registry.load(directory)
    assert classifier.version == manifest["version"]
    assert sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) < 30 * 1024 * 1024
    card = (directory / "MODEL_CARD.md").read_text()
    # Trained on openly licensed data only, every source named with its licence; never the airline data.
    licence = next(line for line in card.splitlines() if line.startswith("- licence of the data:"))
    assert "macro-F1" in card and "pulse train" in card and "NC" not in licence
    assert "GoEmotions" in card and "Apache-2.0" in card and "DynaSent" in card and "CC BY 4.0" in card
    probs = classifier.predict_proba(["Thanks, the new release is excellent!", "Our export failed again, furious.",
                                      "Could you send me the invoice for March?"])
    assert np.allclose(probs.sum(axis=1), 1.0)
    expected = [Label.GREEN, Label.RED, Label.YELLOW]
    if name == "baseline-tfidf":  # word counts learnt from Reddit and reviews read "invoice ... March?" as Red
        probs, expected = probs[:2], expected[:2]
    assert [LABELS[i] for i in probs.argmax(axis=1)] == expected


def test_the_default_is_the_multilingual_model_with_the_transformer_for_english() -> None:
    assert registry.shipped_default().name == "multilingual"
    classifier, manifest = registry.load(registry.shipped_default())
    assert set(manifest["languages"]) >= {"en", "de", "es", "it", "nl", "pt"}
    german = classifier.predict_proba(["Die Rechnung ist schon wieder falsch und niemand antwortet uns. "
                                       "Wir sind sehr enttäuscht."])
    assert LABELS[int(german.argmax())] == Label.RED


@pytest.fixture
def artifact(tiny_model: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    return copy


def test_a_flipped_byte_is_refused(artifact: Path) -> None:
    weights = artifact / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="weights.safetensors does not match its sha256"):
        registry.load(artifact)


def test_an_unexpected_file_is_refused(artifact: Path) -> None:
    (artifact / "extra.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(ArtifactError, match="does not list: extra.pkl"):
        verify(artifact)


def test_a_missing_file_and_a_missing_manifest_are_refused(artifact: Path) -> None:
    (artifact / "config.json").unlink()
    with pytest.raises(ArtifactError, match="config.json is listed in the manifest but missing"):
        verify(artifact)
    (artifact / "manifest.json").unlink()
    with pytest.raises(ArtifactError, match="manifest.json is missing"):
        verify(artifact)


def test_stored_model_reproduces_scikit_learn_exactly(labelled_csv: Path, tmp_path: Path) -> None:
    """Guards the artifact format: coefficients must keep their column order through safetensors."""
    data = read_csv(labelled_csv)
    params = BaselineParams(calibration_share=0.2, min_df=1)
    train_baseline(data, tmp_path / "m", params=params)
    classifier, _ = registry.load(tmp_path / "m")

    # The same fit, done by scikit-learn alone on the same rows.
    from sklearn.model_selection import train_test_split

    fit_idx, _ = train_test_split(np.arange(len(data)), test_size=params.calibration_share,
                                  random_state=params.seed, stratify=data.labels)
    fit = data.subset(fit_idx)
    counter = CountVectorizer(ngram_range=(1, 2), min_df=1, max_features=params.max_features,
                              token_pattern=r"(?u)\b\w[\w']*\b")
    tfidf = TfidfTransformer(sublinear_tf=True)
    model = LogisticRegression(C=params.c, class_weight="balanced", max_iter=2000, random_state=params.seed)
    model.fit(tfidf.fit_transform(counter.fit_transform(fit.texts)), fit.labels, sample_weight=fit.weights)
    texts = ["the dashboard is great and the team loves it", "billing error again, we are furious"]
    expected = model.decision_function(tfidf.transform(counter.transform(texts)))
    assert np.allclose(classifier.logits(texts), expected, atol=1e-4)  # type: ignore[attr-defined]


def test_labels_are_ordered_and_shift_is_signed() -> None:
    assert [label.rank for label in LABELS] == [0, 1, 2]
    assert shift(Label.RED, Label.GREEN) == 2
    assert shift(Label.GREEN, Label.YELLOW) == -1
    assert Label.parse(" green ") is Label.GREEN
    with pytest.raises(ValueError, match="got 'Purple'"):
        Label.parse("Purple")


def test_the_registry_names_each_model_kind_as_its_module_does() -> None:
    from models import baseline, registry, transformer

    assert (registry.BASELINE_KIND, registry.TRANSFORMER_KIND) == (baseline.KIND, transformer.KIND)
