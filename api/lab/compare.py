"""Champion against challenger on the most recent labels people confirmed.

Both versions score the same texts: the latest `limit` confirmed labels (near duplicates
collapsed, see api.exports). Each gets macro-F1, agreement with people (accuracy) and ECE; the
intervals are 95% percentile bootstraps over those texts, resampled together, so the interval of
the difference is paired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session

from api.exports import service as exports
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion
from models.labels import Label
from models.metrics import bootstrap, bootstrap_samples, expected_calibration_error, interval95, macro_f1

MIN_LABELS = 30
"""Below this many confirmed labels a comparison says nothing, and promotion is not gated."""


def compare(*, session: Session, champion: ModelVersion, challenger: ModelVersion, holder: ModelHolder,
            limit: int = 500, team: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Both versions on the latest confirmed labels, with bootstrap intervals and the paired difference."""
    rows = exports.confirmed(session=session, team=team)[-limit:]
    result: dict[str, Any] = {"n": len(rows), "labels_from": rows[0]["decided_at"] if rows else None,
                              "labels_until": rows[-1]["decided_at"] if rows else None,
                              "champion": {"version": champion.version}, "challenger": {"version": challenger.version},
                              "min_labels": MIN_LABELS}
    if len(rows) < MIN_LABELS:
        result["verdict"] = f"not compared: {len(rows)} confirmed label(s), fewer than {MIN_LABELS}"
        return result
    texts = [r["text"] for r in rows]
    truth = np.array([Label(r["label"]).rank for r in rows], dtype=np.int64)
    probs = {name: holder.load(version).predict_proba(texts)
             for name, version in (("champion", champion), ("challenger", challenger))}
    predicted = {name: p.argmax(axis=1) for name, p in probs.items()}
    samples = bootstrap_samples(len(rows), seed=seed)

    def f1_of(name: str) -> Callable[[NDArray[np.int64]], float]:
        return lambda rows: macro_f1(truth[rows], predicted[name][rows])

    boot = {name: bootstrap(f1_of(name), samples) for name in probs}
    for name in probs:
        agree = (predicted[name] == truth).astype(np.float64)
        result[name] |= {
            "macro_f1": round(macro_f1(truth, predicted[name]), 4),
            "macro_f1_ci": interval95(boot[name]),
            "agreement": round(float(agree.mean()), 4),
            "agreement_ci": interval95(agree[samples].mean(axis=1)),
            "ece": round(expected_calibration_error(probs[name], truth), 4),
        }
    point = result["challenger"]["macro_f1"] - result["champion"]["macro_f1"]
    low, high = (float(q) for q in np.percentile(boot["challenger"] - boot["champion"], [2.5, 97.5]))
    result["macro_f1_difference"] = {"value": round(point, 4), "ci": [round(low, 4), round(high, 4)]}
    result["verdict"] = ("challenger better" if low > 0 else "challenger worse" if high < 0
                         else "no clear difference")
    return result
