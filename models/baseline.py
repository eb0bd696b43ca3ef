"""TF-IDF + logistic regression, stored as plain arrays and applied with NumPy at inference.

The features are counted as scikit-learn's CountVectorizer counts them at training (lower case, the same token
pattern, word n-grams joined by a space), in plain Python, so that serving needs no scikit-learn or SciPy."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file

from models.classifier import softmax

KIND = "tfidf-logreg"
WEIGHTS = "weights.safetensors"
VOCABULARY = "vocabulary.json"
CONFIG = "config.json"
TOKEN = re.compile(r"(?u)\b\w[\w']*\b")  # training.train counts with this pattern too


def terms(text: str, ngram_max: int) -> list[str]:
    """The words of a text and its word n-grams up to ngram_max, as CountVectorizer(lowercase=True,
    ngram_range=(1, ngram_max)) analyses it."""
    words = TOKEN.findall(text.lower())
    found = list(words)
    for n in range(2, min(ngram_max, len(words)) + 1):
        found.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return found


class TfidfClassifier:
    """The baseline: word and bigram TF-IDF features, a linear model and a fitted temperature."""

    def __init__(self, version: str, vocabulary: list[str], idf: NDArray[np.float64],
                 coef: NDArray[np.float64], intercept: NDArray[np.float64], temperature: float,
                 ngram_max: int, sublinear_tf: bool, languages: tuple[str, ...] | None = None) -> None:
        self._version = version
        self.languages = languages  # those of its training data; None: not recorded
        self._index = {term: i for i, term in enumerate(vocabulary)}
        self._ngram_max = ngram_max
        self._idf = idf
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
        out = np.tile(self._intercept, (len(texts), 1)).astype(np.float64)
        for row, text in enumerate(texts):
            counted = Counter(i for term in terms(text, self._ngram_max) if (i := self._index.get(term)) is not None)
            if not counted:
                continue
            columns = np.fromiter(counted, dtype=np.int64, count=len(counted))
            values = np.fromiter(counted.values(), dtype=np.float64, count=len(counted))
            if self._sublinear_tf:
                values = np.log(values) + 1.0
            values *= self._idf[columns]
            norm = np.sqrt(values @ values)
            if norm > 0:
                out[row] += (values / norm) @ self._coef[:, columns].T
        return out

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
