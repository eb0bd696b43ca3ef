"""`pulse eval --suite`, the table behind it, and the reproducible open training mix."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from api.cli import app
from models import registry
from training.datasets import read_csv
from training.open_mix import XED_HELD_OUT, XED_LANGUAGES, build, one_source, xed
from training.suite import evaluate_suite, line_figures, red_green_accuracy, served, suite_sets, table

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("text", "label"), *rows])


def test_the_suite_reports_every_set_and_each_language_within_it(tmp_path: Path, tiny_model: Path) -> None:
    sample = read_csv(ROOT / "training" / "samples" / "multilingual.csv")
    write(tmp_path / "suite" / "mixed.csv", list(zip(sample.texts, ["Red", "Yellow", "Green"] * 12, strict=True)))
    write(tmp_path / "suite" / "polar" / "red_green.csv", [("We are furious, cancel it.", "Red"),
                                                           ("Wonderful work, thank you!", "Green")])
    sets = suite_sets([tmp_path / "suite"])
    assert [name for name, _ in sets] == ["suite/mixed.csv", "suite/polar/red_green.csv"]
    model, _ = registry.load(tiny_model)
    rows = evaluate_suite([model], sets, min_language_rows=6)
    mixed = [r for r in rows if r["set"] == "suite/mixed.csv"]
    assert [r["language"] for r in mixed] == ["all", "de", "es", "fr", "it", "nl", "pt"]
    assert mixed[0]["n"] == 36 and all(r["n"] == 6 for r in mixed[1:])
    figures = mixed[0]["models"][model.version]
    low, high = figures["macro_f1_interval"]
    assert low <= figures["macro_f1"] <= high
    assert set(figures) == {"macro_f1", "macro_f1_interval", "ece", "f1", "red_green_accuracy", "share_below_line",
                            "accuracy_below_line", "accuracy_above_line"}
    assert set(figures["f1"]) == {"Red", "Yellow", "Green"}
    assert model.version[:20] in table(rows, [model.version])


def test_red_green_accuracy_counts_only_polar_rows() -> None:
    probs = np.array([[0.6, 0.3, 0.1], [0.5, 0.1, 0.4], [0.1, 0.8, 0.1]])
    assert red_green_accuracy(probs, np.array([0, 2, 1])) == 0.5
    assert red_green_accuracy(probs, np.array([1, 1, 1])) is None


def test_the_line_figures_split_rows_at_the_low_confidence_line() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    figures = line_figures(probs, np.array([0, 1, 2, 1]), 0.6)
    assert figures == {"share_below_line": 0.5, "accuracy_below_line": 0.5, "accuracy_above_line": 0.5}
    assert line_figures(probs[:1], np.array([0]), 0.6)["accuracy_below_line"] is None


def test_a_language_the_model_does_not_declare_is_scored_as_served(tiny_model: Path) -> None:
    model, _ = registry.load(tiny_model)
    swedish = "Vi är mycket missnöjda med supporten och kommer att säga upp avtalet nästa månad."
    probs, languages = served(model, [swedish])
    assert languages == ["sv"]
    assert probs.max() <= 0.5 + 1e-9 and np.argmax(probs) == np.argmax(model.predict_proba([swedish]))


def test_pulse_eval_suite_puts_the_active_default_beside_each_model(tmp_path: Path, tiny_model: Path) -> None:
    write(tmp_path / "suite" / "a.csv", [("We are furious, cancel it.", "Red"), ("Great work, thanks!", "Green"),
                                        ("Please send the invoice.", "Yellow")])
    result = runner.invoke(app, ["eval", "--suite", str(tmp_path / "suite"), "--demo", "--model", str(tiny_model),
                                 "--format", "json", "--db", f"sqlite:///{tmp_path / 'p.db'}"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {r["set"] for r in rows} == {"suite/a.csv", "pulse-demo-messages"}
    default = json.loads((registry.shipped_default() / "manifest.json").read_text())["version"]
    assert all(set(r["models"]) == {default, read_manifest_version(tiny_model)} for r in rows)
    missing = runner.invoke(app, ["eval", "--db", f"sqlite:///{tmp_path / 'p.db'}"])
    assert missing.exit_code == 2 and "--suite" in missing.output


def read_manifest_version(directory: Path) -> str:
    return str(json.loads((directory / "manifest.json").read_text())["version"])


def test_the_open_mix_is_the_same_on_every_run(tmp_path: Path) -> None:
    open_dir = tmp_path / "open"
    colours = ("Red", "Yellow", "Green")
    write(open_dir / "goemotions" / "train.csv", [(f"comment {n}", colours[n % 3]) for n in range(60)])
    write(open_dir / "goemotions" / "dev.csv", [(f"dev comment {n}", colours[n % 3]) for n in range(30)])
    for name in ("r1_yelp_dev", "r2_dynabench_dev", "r1_yelp_test"):
        write(open_dir / "dynasent" / f"{name}.csv", [(f"{name} {n}", colours[n % 3]) for n in range(9)])
    first, second = build(open_dir), build(open_dir)
    assert first == second and len(first[0]) == 60 + 18 and len(first[1]) == 30 + 9
    for language in XED_LANGUAGES:
        write(open_dir / "xed" / f"{language}.csv", [(f"{language} line {n}", ("Red", "Green")[n % 2])
                                                      for n in range(XED_HELD_OUT + 40)])
    train, held_out = xed(open_dir)
    assert (train, held_out) == xed(open_dir) and len(train) == 40 * len(XED_LANGUAGES)
    assert all(len(rows) == XED_HELD_OUT for rows in held_out.values())
    assert not {text for text, _ in train} & {text for rows in held_out.values() for text, _ in rows}
    write(open_dir / "goemotions" / "test.csv", [(f"test comment {n}", colours[n % 3]) for n in range(12)])
    alone = one_source(open_dir)
    assert alone == one_source(open_dir)
    assert set(alone["goemotions_train.csv"]) <= set(first[0]) and set(alone["dynasent_train.csv"]) <= set(first[0])
    assert len(alone["dynasent_train.csv"]) == 18 and len(alone["goemotions_test.csv"]) == 12
    assert not set(alone["goemotions_train.csv"]) & set(alone["dynasent_train.csv"])
