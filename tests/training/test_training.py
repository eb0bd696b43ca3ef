"""Training, calibration and evaluation on Pulse's own small labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models import registry
from models.metrics import expected_calibration_error
from training.calibrate import fit_temperature, nll
from training.datasets import DatasetError, read_csv
from training.evaluate import evaluate
from training.train import TrainingError, train_baseline


def test_training_records_provenance_and_metrics(labelled_csv: Path, tmp_path: Path) -> None:
    data = read_csv(labelled_csv)
    manifest = train_baseline(data, tmp_path / "m", dev=data, command="pulse train ...", licence="written for Pulse")
    assert manifest["data"]["train"]["sha256"] == data.sha256
    assert manifest["data"]["train"]["rows"] == len(data)
    assert manifest["licence"] == "written for Pulse"
    assert set(manifest["metrics"]) == {"calibration", "dev"}
    assert manifest["metrics"]["dev"]["macro_f1"] > 0.8  # the dev rows were seen in training
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "pulse train ..." in card and data.sha256[:16] in card
    # Same data and seed: the same version (weights are deterministic).
    again = train_baseline(data, tmp_path / "m2")
    assert again["version"] == manifest["version"]


def test_evaluation_has_the_contract_fields(labelled_csv: Path, tiny_model: Path) -> None:
    classifier, _ = registry.load(tiny_model)
    result = evaluate(classifier, read_csv(labelled_csv))
    assert set(result) == {"n", "accuracy", "macro_f1", "per_class", "confusion", "ece", "model_version"}
    assert set(result["per_class"]) == {"Red", "Yellow", "Green"}
    assert sum(map(sum, result["confusion"]["matrix"])) == result["n"] == 48
    assert sum(c["support"] for c in result["per_class"].values()) == 48
    json.dumps(result)


def test_ece_by_hand() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    labels = np.array([0, 1, 1, 2])
    # Bin (0.867, 0.933]: confidence 0.9, accuracy 0.5 (2 rows); bin (0.667, 0.733]: 0.7 vs 1.0 (2 rows).
    expected = (2 * abs(0.5 - 0.9) + 2 * abs(1.0 - 0.7)) / 4
    assert expected_calibration_error(probs, labels) == pytest.approx(expected)


def test_temperature_lowers_held_out_nll() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 500)
    logits = rng.normal(0, 1, (500, 3))
    logits[np.arange(500), labels] += 1.0
    overconfident = logits * 5
    temperature = fit_temperature(overconfident, labels)
    assert temperature > 2
    assert nll(overconfident, labels, temperature) < nll(overconfident, labels, 1.0)


def test_dataset_errors_name_the_file_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,Red\nnot fine,Purple\n")
    with pytest.raises(DatasetError, match=r"bad.csv, row 3: label must be one of Red, Yellow, Green, got 'Purple'"):
        read_csv(bad)
    bad.write_text("body,label\nx,Red\n")
    with pytest.raises(DatasetError, match="missing column\\(s\\) text; found body, label"):
        read_csv(bad)
    bad.write_text("text,label,label_confidence\nx,Red,high\n")
    with pytest.raises(DatasetError, match="row 2: label_confidence must be a number, got 'high'"):
        read_csv(bad)


def test_training_needs_every_colour(tmp_path: Path) -> None:
    data = tmp_path / "two.csv"
    data.write_text("text,label\n" + "".join(f"text {i},{'Red' if i % 2 else 'Green'}\n" for i in range(30)))
    with pytest.raises(TrainingError, match="Red, Yellow and Green"):
        train_baseline(read_csv(data), tmp_path / "m")
