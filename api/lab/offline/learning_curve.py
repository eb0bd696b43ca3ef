"""`pulse experiment learning-curve`: how fast a version learns a labelled file's language, in random order and
in the order the review queue would serve the messages, measured in one run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from api.review.queue import MISS_WEIGHT
from models.classifier import Classifier, cue_head_of
from models.cues import risk_of
from models.labels import LABELS
from models.language import identify
from training.adapt import Example, read_with_base
from training.datasets import read_csv
from training.learning_curve import curve, queue_order


def examples(path: Path, limit: int | None, seed: int) -> list[Example]:
    """A labelled CSV's rows as confirmed labels (a random `limit` of them, kept in file order)."""
    data = read_csv(path)
    rows = list(range(len(data.texts)))
    if limit is not None and limit < len(rows):
        rows = sorted(np.random.default_rng(seed).permutation(len(rows))[:limit].tolist())
    return [Example(data.texts[i], LABELS[int(data.labels[i])].value, 1.0, identify(data.texts[i]).code)
            for i in rows]


def run(classifier: Classifier, train_csv: Path, test_csv: Path, steps: Sequence[int], orders: Sequence[str],
        pool: int, seed: int = 0, say: Callable[[str], None] = print) -> dict[str, Any]:
    """The curve in each order, with the base's own reading (0 labels) first."""
    started = time.perf_counter()
    train, test = examples(train_csv, pool, seed), examples(test_csv, None, seed)
    if max(steps) > len(train):
        raise ValueError(f"--steps goes to {max(steps)} labels; the pool holds {len(train)} (raise --pool)")
    say(f"reading {len(train)} pool and {len(test)} test messages with {classifier.version}")
    p, x = read_with_base(classifier, [e.text for e in train], lambda done, total: None)
    tp, tx = read_with_base(classifier, [e.text for e in test], lambda done, total: None)
    cue_head = cue_head_of(classifier)
    risk = np.array([risk_of(cues) for cues in cue_head.find([e.text for e in train])]) if cue_head else \
        np.zeros(len(train))
    order_of = {"random": [int(i) for i in np.random.default_rng(seed + 1).permutation(len(train))],
                "queue": queue_order(p, risk, MISS_WEIGHT)}
    curves = {}
    for name in orders:
        def tell(message: str, name: str = name) -> None:
            say(f"{name}: {message}")

        curves[name] = curve((p, x, train), (tp, tx, test), order_of[name], steps, say=tell)
    return {"model_version": classifier.version, "pool": len(train), "test": len(test), "steps": list(steps),
            "curves": curves, "seconds": round(time.perf_counter() - started, 1)}


def table(result: dict[str, Any]) -> str:
    """The curves side by side, and whether the queue's order needed fewer labels than random order."""
    names = list(result["curves"])
    lines = [f"{result['model_version']}: macro-F1 on {result['test']} test messages, head learned from the first "
             f"n of {result['pool']} labelled messages",
             "labels  " + "  ".join(f"{name:<22}" for name in names)]
    by_n = {name: {p["n"]: p for p in points} for name, points in result["curves"].items()}
    for n in [0, *result["steps"]]:
        cells = [f"{by_n[name][n]['macro_f1']:.3f} {by_n[name][n]['ci']}" if n in by_n[name] else "—"
                 for name in names]
        lines.append(f"{n:<8}" + "  ".join(f"{cell:<22}" for cell in cells))
    if {"random", "queue"} <= set(names):
        ahead = [n for n in result["steps"] if n in by_n["queue"] and n in by_n["random"]
                 and by_n["queue"][n]["macro_f1"] > by_n["random"][n]["macro_f1"]]
        lines.append(f"the queue's order read better than random order at {len(ahead)} of {len(result['steps'])} "
                     f"steps ({', '.join(map(str, ahead)) or 'none'})")
    return "\n".join(lines)
