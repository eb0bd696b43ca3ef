"""The shift temperature: fitted on versions that never read a source, written as a version of its own whose every
answer ends with it, and refused where it cannot mean anything."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app
from models import registry
from models.artifacts import ArtifactError, seal, verify
from models.classifier import softmax
from training.datasets import DatasetError
from training.shift import fit_shift, shifted, shifted_version, write_shifted

runner = CliRunner()
TEXTS = [("We will not renew; the contract ends in March and we have chosen another vendor.", "Red"),
         ("Please send the invoice for May to our finance team.", "Yellow"),
         ("The rollout went well and we want to add two more regions next quarter.", "Green"),
         ("Wir kündigen zum Jahresende, das Budget wurde gestrichen.", "Red"),
         ("The export has failed three times this week and our close is blocked.", "Red"),
         ("Thanks, the new dashboards are a hit with the analysts.", "Green")]


def unshifted(folder: Path) -> Path:
    """The shipped default as it was before its shift temperature: its source version, sealed again."""
    import shutil

    shutil.copytree(registry.shipped_default(), folder)
    manifest = verify(folder)
    config = json.loads((folder / "config.json").read_text())
    config.pop("shift_temperature", None)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    (folder / "manifest.json").unlink()
    source = manifest.get("shift", {}).get("from", manifest["version"])
    card = (folder / "MODEL_CARD.md").read_text().replace(manifest["version"], source, 1)
    (folder / "MODEL_CARD.md").write_text(card.split("\n## Calibration for text it did not train on")[0])
    shifted_id = manifest["version"]
    metrics = {name: {("ece" if k == "ece_before_shift" else k): (source if v == shifted_id else v)
                      for k, v in entry.items()} for name, entry in manifest["metrics"].items()}
    seal(folder, {k: v for k, v in manifest.items() if k not in ("files", "shift")} | {"version": source,
                                                                                       "metrics": metrics})
    return folder


def overconfident(temperature: float, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that are `temperature` times too sure: labels drawn from the honest ones."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(rows, 3))
    honest = softmax(logits)
    labels = np.array([rng.choice(3, p=p) for p in honest])
    return softmax(logits * temperature), labels


def test_the_fitted_temperature_undoes_a_known_overconfidence_and_each_source_counts_alike() -> None:
    probabilities, labels = overconfident(2.0, 6000, seed=1)
    assert fit_shift([(probabilities, labels)]) == pytest.approx(2.0, abs=0.12)
    honest, honest_labels = overconfident(1.0, 300, seed=2)
    # 6,000 rows of one source do not outweigh 300 of another: the fit lies between the two.
    both = fit_shift([(probabilities, labels), (honest, honest_labels)])
    assert 1.2 < both < 1.8
    with pytest.raises(DatasetError, match="never saw"):
        fit_shift([])


def test_a_shifted_version_is_its_source_with_softer_answers_under_an_id_of_its_own(tmp_path: Path) -> None:
    source = unshifted(tmp_path / "source")
    manifest = write_shifted(source, tmp_path / "shifted", 1.7, {"fitted": False, "held_out": [], "own": []},
                             "pulse models shift-temperature … --temperature 1.7")
    original = verify(source)["version"]
    assert manifest["version"] == shifted_version(original, 1.7) != original
    assert shifted_version(original, 1.8) != manifest["version"]  # the temperature is part of the id
    assert manifest["command"] == verify(source)["command"]  # how the source was trained stays reproducible
    dev = manifest["metrics"]["dev"]  # its figures hold, except the calibration error, kept as it was before
    assert "ece" not in dev and dev["ece_before_shift"] == verify(source)["metrics"]["dev"]["ece"]
    assert dev["model_version"] == manifest["version"]
    assert dev["macro_f1"] == verify(source)["metrics"]["dev"]["macro_f1"]
    assert json.loads((tmp_path / "shifted" / "config.json").read_text())["shift_temperature"] == 1.7
    card = (tmp_path / "shifted" / "MODEL_CARD.md").read_text()
    assert card.startswith(f"# Model card: {manifest['version']}") and "temperature of **1.7**" in card
    before, _ = registry.load(source)
    after, loaded = registry.load(tmp_path / "shifted")
    assert loaded["version"] == manifest["version"] and after.version == manifest["version"]
    texts = [text for text, _ in TEXTS]
    p, q = before.predict_proba(texts), after.predict_proba(texts)
    assert np.allclose(q, shifted(p, 1.7), atol=1e-6)
    assert (q.argmax(axis=1) == p.argmax(axis=1)).all()  # no colour changes, only how sure
    assert (q.max(axis=1) < p.max(axis=1)).all()

    with pytest.raises(DatasetError, match="already has a shift temperature"):
        write_shifted(tmp_path / "shifted", tmp_path / "twice", 1.2, {"held_out": [], "own": []}, "x")
    with pytest.raises(DatasetError, match="inside it"):
        write_shifted(source, source / "shifted", 1.2, {"held_out": [], "own": []}, "x")
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("not a model")
    with pytest.raises(DatasetError, match="not an empty folder"):
        write_shifted(source, keep, 1.2, {"held_out": [], "own": []}, "x")
    assert (keep / "mine.txt").read_text() == "not a model"
    with pytest.raises(DatasetError, match="not an empty folder"):  # an artifact is never replaced either
        write_shifted(source, tmp_path / "shifted", 1.2, {"held_out": [], "own": []}, "x")
    assert verify(tmp_path / "shifted")["version"] == manifest["version"]
    with pytest.raises(DatasetError, match="above it"):
        write_shifted(source, tmp_path, 1.2, {"held_out": [], "own": []}, "x")
    for bad in (0.0, -1.0, float("nan"), 25.0):
        with pytest.raises(DatasetError, match="between 0.05 and 20"):
            write_shifted(source, tmp_path / "bad", bad, {"held_out": [], "own": []}, "x")
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob(".*building"))
    assert verify(source)["version"] == original  # refused before anything was written


def test_a_shift_temperature_that_would_break_or_reverse_answers_is_refused_at_load(tmp_path: Path) -> None:
    for bad in (-1.72, 0, "warm", None):
        folder = unshifted(tmp_path / f"t{bad}")
        manifest = verify(folder)
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(config | {"shift_temperature": bad}))
        (folder / "manifest.json").unlink()
        seal(folder, {k: v for k, v in manifest.items() if k != "files"})  # sealed again, as a forger would
        with pytest.raises(ArtifactError, match="shift_temperature must be a number between 0.05 and 20"):
            registry.load(folder)


def test_the_command_fits_measures_writes_and_says_what_is_wrong(tmp_path: Path, tiny_model: Path) -> None:
    data = tmp_path / "source.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("text", "label"), *TEXTS * 5])
    out, source = tmp_path / "shifted", unshifted(tmp_path / "source")
    result = runner.invoke(app, ["models", "shift-temperature", str(source), "--out", str(out),
                                 "--held-out", f"{tiny_model}={data}", "--own", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["fitted"] is True and 0.05 <= found["temperature"] <= 20
    assert found["version"] == verify(out)["version"] == shifted_version(found["from"], found["temperature"])
    held, own = found["held_out"][0], found["own"][0]
    assert held["data"] == f"{tmp_path.name}/source.csv"
    assert held["reading"]["rows"] == 30 and own["reading"]["rows"] == 30
    assert held["reading"]["nll_shifted"] <= held["reading"]["nll"]  # fitted where it was measured
    card = (out / "MODEL_CARD.md").read_text()
    assert f"| {tmp_path.name}/source.csv, read by {found['from']} and shifted | 30 |" in card

    wrong = runner.invoke(app, ["models", "shift-temperature", str(source), "--out",
                                str(tmp_path / "x"), "--held-out", str(data)])
    assert wrong.exit_code != 0 and "--held-out must be MODEL=DATA" in wrong.output
    not_router = runner.invoke(app, ["models", "shift-temperature", str(tiny_model), "--out", str(tmp_path / "y"),
                                     "--held-out", f"{tiny_model}={data}", "--temperature", "1.5"])
    assert not_router.exit_code != 0 and "only a multilingual-router takes a shift temperature" in not_router.output
    missing = runner.invoke(app, ["models", "shift-temperature", str(source), "--out",
                                  str(tmp_path / "z"), "--held-out", f"{tiny_model}={tmp_path / 'none.csv'}"])
    assert missing.exit_code != 0 and "no such file" in missing.output
    given = runner.invoke(app, ["models", "shift-temperature", str(source), "--out", str(tmp_path / "given"),
                                "--held-out", f"{tiny_model}={data}", "--temperature", "1.5"])
    assert given.exit_code == 0, given.output
    assert "It was given, not fitted" in (tmp_path / "given" / "MODEL_CARD.md").read_text()
    for bad in ("nan", "0", "-1", "inf"):
        refused = runner.invoke(app, ["models", "shift-temperature", str(source), "--out", str(tmp_path / "v"),
                                      "--held-out", f"{tiny_model}={data}", "--temperature", bad])
        assert refused.exit_code != 0 and "between 0.05 and 20" in refused.output, (bad, refused.output)
    again = runner.invoke(app, ["models", "shift-temperature", str(registry.shipped_default()), "--out",
                                str(tmp_path / "w"), "--held-out", f"{tiny_model}={data}"])
    assert again.exit_code != 0 and "already has a shift temperature (1.72)" in again.output
    assert not (tmp_path / "w").exists() and not (tmp_path / "v").exists()
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists() and not (tmp_path / "z").exists()
