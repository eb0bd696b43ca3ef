"""How fast a version learns a team's language: macro-F1 on labels it never learned from, against how many
confirmed labels its head learned from (training.adapt), in the order people would confirm them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.metrics import bootstrap, bootstrap_samples, interval95, macro_f1
from training.adapt import MIN_EVALUATE, Example, learn, targets


def queue_order(probabilities: NDArray[np.float64], risk: NDArray[np.float64], miss_weight: float) -> list[int]:
    """The order the review queue serves messages of equal accounts: uncertainty (1 - margin) plus what is at
    stake (the chance of Red or the strongest risk cue, weighted by `miss_weight`), highest first
    (api.review.queue.priority_expression)."""
    ordered = np.sort(probabilities, axis=1)
    margin = ordered[:, -1] - ordered[:, -2]
    priority = 1.0 - margin + miss_weight * np.maximum(probabilities[:, 0], risk)
    return [int(i) for i in np.argsort(-priority, kind="stable")]


def point(y: NDArray[np.int64], predicted: NDArray[np.int64], languages: Sequence[str | None],
          n: int) -> dict[str, Any]:
    """One point of the curve: macro-F1 with its 95% interval, overall and per language (10+ labels)."""
    samples = bootstrap_samples(len(y), seed=0)
    found: dict[str, Any] = {"n": n, "macro_f1": round(macro_f1(y, predicted), 4),
                             "ci": interval95(bootstrap(lambda i: macro_f1(y[i], predicted[i]), samples))}
    per: dict[str, float] = {}
    for language in sorted({lang or "unknown" for lang in languages}):
        rows = np.array([(lang or "unknown") == language for lang in languages], dtype=bool)
        if rows.sum() >= MIN_EVALUATE:
            per[language] = round(macro_f1(y[rows], predicted[rows]), 4)
    found["languages"] = per
    return found


def curve(pool: tuple[NDArray[np.float64], NDArray[np.float64], Sequence[Example]],
          test: tuple[NDArray[np.float64], NDArray[np.float64], Sequence[Example]], order: Sequence[int],
          steps: Sequence[int], say: Callable[[str], None] = lambda message: None) -> list[dict[str, Any]]:
    """The curve: for each step n, a head learned from the first n labels of the pool in `order` (taken as
    their time order), read on the test labels. Each of `pool` and `test` is (base probabilities, features,
    examples); the first point (n=0) is the base itself."""
    probabilities, x, examples = pool
    test_probabilities, test_x, test_examples = test
    y_test, languages = targets(test_examples), [e.language for e in test_examples]
    points = [point(y_test, test_probabilities.argmax(axis=1), languages, 0)]
    for n in steps:
        chosen = list(order[:n])
        y = targets([examples[i] for i in chosen])
        if len(set(y.tolist())) < 2:
            say(f"{n} labels: fewer than two colours among them, no head")
            continue
        head, _ = learn(x[chosen], y, np.array([examples[i].weight for i in chosen]),
                        [examples[i].language for i in chosen])
        points.append(point(y_test, head.probabilities(test_x, languages).argmax(axis=1), languages, n))
        say(f"{n} labels: macro-F1 {points[-1]['macro_f1']}")
    return points
