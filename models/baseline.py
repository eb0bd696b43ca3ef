"""TF-IDF + logistic regression, stored as plain arrays and applied with NumPy at inference."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from models.classifier import softmax

KIND = "tfidf-logreg"
WEIGHTS = "weights.safetensors"
VOCABULARY = "vocabulary.json"
CONFIG = "config.json"


class TfidfClassifier:
    """The baseline: word and bigram TF-IDF features, a linear model and a fitted temperature."""

    def __init__(self, version: str, vocabulary: list[str], idf: NDArray[np.float64],
                 coef: NDArray[np.float64], intercept: NDArray[np.float64], temperature: float,
                 ngram_max: int, sublinear_tf: bool, languages: tuple[str, ...] | None = None) -> None:
        self._version = version
        self.languages = languages  # those of its training data; None: not recorded
        self._counter = CountVectorizer(
            vocabulary={term: i for i, term in enumerate(vocabulary)},
            ngram_range=(1, ngram_max), lowercase=True, token_pattern=r"(?u)\b\w[\w']*\b",
        )
        self._idf = sparse.diags(idf)
        self._coef = coef
        self._intercept = intercept
        self.temperature = temperature
        self._sublinear_tf = sublinear_tf

    @property
    def version(self) -> str:
        """The model version recorded with every suggestion."""
        return self._version

    def logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Uncalibrated class scores, columns Red, Yellow, Green."""
        counts = self._counter.transform(list(texts)).astype(np.float64)
        if self._sublinear_tf:
            counts.data = np.log(counts.data) + 1.0
        features = normalize(counts @ self._idf)
        return np.asarray(features @ self._coef.T + self._intercept, dtype=np.float64)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities: softmax of the logits divided by the fitted temperature."""
        return softmax(self.logits(texts) / self.temperature)

    @classmethod
    def load(cls, directory: Path, version: str) -> TfidfClassifier:
        """Load from an artifact directory that the caller has already verified."""
        config = json.loads((directory / CONFIG).read_text())
        arrays = load_file(str(directory / WEIGHTS))
        vocabulary = json.loads((directory / VOCABULARY).read_text())
        return cls(
            version=version, vocabulary=vocabulary, idf=arrays["idf"].astype(np.float64),
            coef=arrays["coef"].astype(np.float64), intercept=arrays["intercept"].astype(np.float64),
            temperature=float(config["temperature"]), ngram_max=int(config["ngram_max"]),
            sublinear_tf=bool(config["sublinear_tf"]),
            languages=tuple(config["languages"]) if config.get("languages") else None,
        )
