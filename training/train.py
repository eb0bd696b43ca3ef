"""Training the TF-IDF + logistic-regression baseline into a sealed artifact with a model card."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from safetensors.numpy import save_file
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from models import baseline, language
from models.artifacts import seal
from models.baseline import TfidfClassifier
from training.calibrate import fit_temperature
from training.datasets import Dataset
from training.evaluate import metrics


@dataclass(frozen=True)
class BaselineParams:
    """Everything that decides the trained weights, recorded in the model version."""

    ngram_max: int = 2
    min_df: int = 2
    max_features: int = 30000
    sublinear_tf: bool = True
    c: float = 1.0
    class_weight: str = "balanced"
    calibration_share: float = 0.15
    seed: int = 13


class TrainingError(ValueError):
    """The data cannot train a model (too few rows, a missing class)."""


def train_baseline(train: Dataset, out: Path, dev: Dataset | None = None,
                   params: BaselineParams | None = None, command: str = "",
                   licence: str = "") -> dict[str, Any]:
    """Fit, calibrate on a held-apart split, evaluate, and write a sealed artifact to `out`."""
    params = params or BaselineParams()
    present = set(np.unique(train.labels).tolist())
    if present != {0, 1, 2}:
        raise TrainingError("training data must hold Red, Yellow and Green rows")
    fit_idx, cal_idx = train_test_split(
        np.arange(len(train)), test_size=params.calibration_share,
        random_state=params.seed, stratify=train.labels)
    if len(cal_idx) < 3:
        raise TrainingError(f"{len(train)} rows leave too few for calibration; give at least 20")
    fit, cal = train.subset(fit_idx), train.subset(cal_idx)

    counter, tfidf, model = _fit_tfidf(fit, params)
    vocabulary = [term for term, _ in sorted(counter.vocabulary_.items(), key=lambda item: item[1])]
    # safetensors writes the raw buffer, and scikit-learn's coef_ is Fortran-ordered: copy to C order.
    idf = np.ascontiguousarray(tfidf.idf_, dtype=np.float32)
    coef = np.ascontiguousarray(model.coef_, dtype=np.float32)
    intercept = np.ascontiguousarray(model.intercept_, dtype=np.float32)
    weights_hash = hashlib.sha256(coef.tobytes() + intercept.tobytes() + idf.tobytes()).hexdigest()
    version = f"{baseline.KIND}-{weights_hash[:10]}"

    uncalibrated = TfidfClassifier(version, vocabulary, idf.astype(np.float64), coef.astype(np.float64),
                                   intercept.astype(np.float64), 1.0, params.ngram_max, params.sublinear_tf)
    cal_logits = uncalibrated.logits(cal.texts)
    temperature = fit_temperature(cal_logits, cal.labels)
    uncalibrated.temperature = temperature
    report: dict[str, Any] = {"calibration": metrics(uncalibrated.predict_proba(cal.texts), cal.labels, version)}
    if dev is not None:
        report["dev"] = metrics(uncalibrated.predict_proba(dev.texts), dev.labels, version)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    save_file({"idf": idf, "coef": coef, "intercept": intercept}, str(out / baseline.WEIGHTS))
    (out / baseline.VOCABULARY).write_text(json.dumps(vocabulary, ensure_ascii=False))
    (out / baseline.CONFIG).write_text(json.dumps({
        "temperature": temperature, "ngram_max": params.ngram_max, "sublinear_tf": params.sublinear_tf,
        "languages": list(training_languages(train.texts)),
    }, indent=2))
    meta: dict[str, Any] = {
        "version": version,
        "kind": baseline.KIND,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": asdict(params) | {"temperature": round(temperature, 4)},
        "data": {
            "train": {"source": train.source, "sha256": train.sha256, "rows": len(train)},
            "dev": None if dev is None else {"source": dev.source, "sha256": dev.sha256, "rows": len(dev)},
        },
        "licence": licence or "not stated",
        "metrics": report,
        "command": command,
        "code_version": _code_version(),
        "environment": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
    }
    (out / "MODEL_CARD.md").write_text(model_card(meta))
    return seal(out, meta)


def _fit_tfidf(fit: Dataset, params: BaselineParams) -> tuple[CountVectorizer, TfidfTransformer, LogisticRegression]:
    """The vocabulary, the idf weights and the logistic regression over them."""
    counter = CountVectorizer(ngram_range=(1, params.ngram_max), min_df=min(params.min_df, max(1, len(fit) // 50)),
                              max_features=params.max_features, lowercase=True,
                              token_pattern=baseline.TOKEN.pattern)  # as serving counts them
    tfidf = TfidfTransformer(sublinear_tf=params.sublinear_tf)
    features = tfidf.fit_transform(counter.fit_transform(fit.texts))
    model = LogisticRegression(C=params.c, class_weight=params.class_weight, max_iter=2000,
                               random_state=params.seed)
    model.fit(features, fit.labels, sample_weight=fit.weights)
    return counter, tfidf, model


def training_languages(texts: Sequence[str], share: float = 0.05) -> tuple[str, ...]:
    """The languages that make up at least `share` of the texts a model learns from (those identified with
    confidence): what a model of words, like TF-IDF, can read."""
    found = Counter(language.identify(t).code for t in texts)
    found.pop(language.UNDETERMINED, None)
    total = sum(found.values())
    return tuple(sorted(code for code, n in found.items() if total and n / total >= share))


def _code_version() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def model_card(meta: dict[str, Any]) -> str:
    """A human-readable model card from the manifest's metadata."""
    lines = [
        f"# Model card: {meta['version']}",
        "",
        f"Kind: {meta['kind']} (word 1-{meta['params']['ngram_max']}-gram TF-IDF, multinomial logistic regression,"
        " temperature-scaled probabilities).",
        f"Created: {meta['created_at']} from code {meta['code_version']}.",
        "",
        "## Data",
    ]
    for split, info in meta["data"].items():
        if info:
            lines.append(f"- {split}: `{info['source']}`, {info['rows']} rows, sha256 `{info['sha256'][:16]}…`")
    lines.append(f"- licence of the data: {meta['licence']}")
    lines += [
        "",
        "Rows are weighted by the annotators' `label_confidence` where the file has it; classes are",
        "balanced by inverse frequency. The calibration split is held apart from fitting.",
        "",
        "## Command",
        "",
        f"    {meta['command'] or '(called from Python)'}",
        "",
        "## Metrics",
        "",
        "| split | n | accuracy | macro-F1 | ECE (15 bins) |",
        "|---|---|---|---|---|",
    ]
    for split, m in meta["metrics"].items():
        lines.append(f"| {split} | {m['n']} | {m['accuracy']:.4f} | {m['macro_f1']:.4f} | {m['ece']:.4f} |")
    lines += ["", "## Parameters", "", "```json", json.dumps(meta["params"], indent=2), "```", ""]
    return "\n".join(lines)
