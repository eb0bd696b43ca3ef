"""Several model versions on many labelled sets at once: the table `pulse eval --suite` prints.

Each set is scored once per model; its rows are also grouped by the language identified in each text,
so a mixed set shows how each language fares. Besides macro-F1 (with its 95% bootstrap interval: on
324 tweets it moves by about ±0.06 by chance alone), per-class F1 and ECE, each row gives
Red-versus-Green accuracy: of the rows labelled Red or Green, the share where the model's Red
probability beats its Green one (the measure for sets without neutral rows, like XED), and what the
low-confidence line means there: the share of rows under it, and the accuracy under and over it (a
line that means the same in every language leaves about the same accuracy under it everywhere).

Probabilities are the ones Pulse serves: a text in a language the model does not declare is capped
as its suggestion would be (`models.explain.predict`), so its ECE is that of what people see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.classifier import Classifier
from models.explain import predict
from models.labels import LABELS
from models.metrics import bootstrap, bootstrap_samples, interval95, macro_f1
from training.datasets import Dataset, read_csv
from training.evaluate import metrics

LOW_CONFIDENCE = 0.6
"""The audit's default low-confidence line (PULSE_AUDIT_LOW_CONFIDENCE)."""
MIN_LANGUAGE_ROWS = 30
"""A language is shown as its own row of a set when the set has at least this many rows in it."""


def suite_sets(folders: Sequence[Path]) -> list[tuple[str, Dataset]]:
    """Every CSV under the folders (or the files given), named by its path below the folder, sorted."""
    found: list[tuple[str, Dataset]] = []
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*.csv"))
        for path in files:
            name = str(path.relative_to(folder.parent)) if folder.is_dir() else path.name
            found.append((name, read_csv(path)))
    return found


def red_green_accuracy(probs: np.ndarray, labels: np.ndarray) -> float | None:
    """Share of Red- or Green-labelled rows where the model ranks their colour above the other one."""
    red, green = 0, len(LABELS) - 1  # columns Red, Yellow, Green
    polar = labels != 1
    if not polar.any():
        return None
    says_red = probs[polar, red] > probs[polar, green]
    return round(float(np.mean(says_red == (labels[polar] == red))), 4)


def served(model: Classifier, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Probabilities as Pulse serves them (capped where the text's language is not declared), in LABELS
    order, and each text's language as Pulse records it."""
    predictions = predict(model, texts, explain=False)
    return (np.array([[p.probabilities[label] for label in LABELS] for p in predictions]),
            [str(p.language) for p in predictions])


def macro_f1_interval(probs: np.ndarray, labels: np.ndarray) -> list[float]:
    """The 95% bootstrap interval of macro-F1: how far a set this size lets the figure move by chance."""
    predicted = probs.argmax(axis=1)
    return interval95(bootstrap(lambda rows: macro_f1(labels[rows], predicted[rows]),
                                bootstrap_samples(len(labels), resamples=500)))


def line_figures(probs: np.ndarray, labels: np.ndarray, line: float) -> dict[str, float | None]:
    """Share of rows under the low-confidence line, and accuracy under and over it (None where no row is)."""
    below = probs.max(axis=1) < line
    right = probs.argmax(axis=1) == labels

    def accuracy(rows: np.ndarray) -> float | None:
        return round(float(right[rows].mean()), 4) if rows.any() else None

    return {"share_below_line": round(float(below.mean()), 4), "accuracy_below_line": accuracy(below),
            "accuracy_above_line": accuracy(~below)}


def evaluate_suite(models: Sequence[Classifier], sets: Sequence[tuple[str, Dataset]],
                   progress: Callable[[str], None] | None = None, batch_size: int = 256,
                   min_language_rows: int = MIN_LANGUAGE_ROWS, low_confidence: float = LOW_CONFIDENCE
                   ) -> list[dict[str, Any]]:
    """One row per set (language "all") and per language within it, with every model's figures."""
    rows: list[dict[str, Any]] = []
    for name, data in sets:
        per_model = []
        for model in models:
            if progress:
                progress(f"{model.version} on {name} ({len(data)} rows)")
            batches = [served(model, data.texts[i : i + batch_size]) for i in range(0, len(data), batch_size)]
            per_model.append(np.vstack([probs for probs, _ in batches]))
            languages = [code for _, codes in batches for code in codes]  # the same for every model
        groups: dict[str, list[int]] = defaultdict(list)
        for i, code in enumerate(languages):
            groups[code].append(i)
        shown = {code: idx for code, idx in groups.items() if len(idx) >= min_language_rows and len(groups) > 1}
        for code, idx in [("all", list(range(len(data)))), *sorted(shown.items())]:
            index = np.asarray(idx)
            figures = {}
            for model, probs in zip(models, per_model, strict=True):
                found = metrics(probs[index], data.labels[index], model.version)
                figures[model.version] = {
                    "macro_f1": found["macro_f1"],
                    "macro_f1_interval": macro_f1_interval(probs[index], data.labels[index]), "ece": found["ece"],
                    "f1": {label: v["f1"] for label, v in found["per_class"].items()},
                    "red_green_accuracy": red_green_accuracy(probs[index], data.labels[index]),
                    **line_figures(probs[index], data.labels[index], low_confidence),
                }
            top = max(set(languages), key=languages.count) if code == "all" else code
            rows.append({"set": name, "language": code, "main_language": top, "n": len(index),
                         "models": figures})
    return rows


def table(rows: Sequence[dict[str, Any]], versions: Sequence[str]) -> str:
    """The rows as a fixed-width text table: per model macro-F1 (± the wider side of its 95% interval), F1
    Red/Yellow/Green, ECE, Red-v-Green,
    and the share under the low-confidence line with the accuracy under and over it."""
    head = f"{'set':<38} {'lang':<5} {'n':>6}"
    for version in versions:
        head += f" | {version[:27]:<27} mF1  ±     R    Y    G    ECE  RvG  low  accL accH"
    lines = [head, "-" * len(head)]
    for row in rows:
        line = f"{row['set'][:38]:<38} {row['language']:<5} {row['n']:>6}"
        for version in versions:
            f = row["models"][version]
            rvg, under, over = (" -  " if v is None else f"{v:.2f}" for v in (
                f["red_green_accuracy"], f["accuracy_below_line"], f["accuracy_above_line"]))
            low, high = f["macro_f1_interval"]
            spread = max(high - f["macro_f1"], f["macro_f1"] - low)
            line += (f" | {'':<27} {f['macro_f1']:.2f} ±{spread:.2f} {f['f1']['Red']:.2f} {f['f1']['Yellow']:.2f} "
                     f"{f['f1']['Green']:.2f} {f['ece']:.3f} {rvg} {f['share_below_line']:.2f} {under} {over}")
        lines.append(line)
    return "\n".join(lines)
