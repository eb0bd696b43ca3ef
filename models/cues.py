"""Risk and health cues: the named signals a message carries, each with the sentence that carries it.

A cue (GUIDELINES.md in training/corpus) is evidence of what the colour means for the account: a non-renewal, a
competitor, a budget cut; an expansion, a confirmed renewal. The head is multi-label: one logistic output per
cue kind, through a hidden ReLU layer, over the multilingual sentence encoder's embedding of each sentence, so
it reads the languages the encoder reads. A message carries a kind when its best sentence for that kind scores
at or over the kind's threshold (chosen on held-out folds of the training corpus). Greetings, closings, names
and signature lines are never candidates (formalities.py), as for every other piece of evidence.

The artifact file is `cues.safetensors` (hidden_weights 512 x units and hidden_bias where the head has a hidden
layer, coef kinds x units, intercept, thresholds) beside the model's `config.json`, whose `cues` lists the kinds
in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.classifier import Cue
from models.encoder import embed
from models.explain import split_sentences
from models.formalities import is_formality

FILE = "cues.safetensors"
COMBINER_FILE = "combiner.safetensors"
CACHE_SENTENCES = 50_000
"""Sentence scores kept per process (about 5 MB); the cache starts again when full."""
RISK = ("non_renewal", "competitor", "migration", "downgrade", "budget", "sponsor_change", "severe_problem",
        "escalation")
HEALTH = ("renewal_confirmed", "expansion", "adoption", "advocacy")
KINDS = RISK + HEALTH
"""The twelve cue kinds, risk first (training/corpus/GUIDELINES.md)."""
MAX_SENTENCES = 60
"""At most this many sentences of a message are read for cues (a long thread's first ones: its newest words)."""


def candidates(text: str) -> list[tuple[str, int, int]]:
    """The sentences of a text that may carry a cue, with their offsets: never a greeting, closing or name."""
    return [(s.text, s.start, s.end) for s in split_sentences(text) if not is_formality(s.text)][:MAX_SENTENCES]


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The logistic function, stable for large magnitudes."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


class CueHead:
    """One logistic output per cue kind over sentence embeddings, through a hidden ReLU layer where it has one."""

    def __init__(self, kinds: Sequence[str], coef: NDArray[np.float64], intercept: NDArray[np.float64],
                 thresholds: NDArray[np.float64], hidden: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
                 ) -> None:
        if coef.shape[0] != len(kinds) or intercept.shape != (len(kinds),) or thresholds.shape != (len(kinds),):
            raise ValueError(f"a cue head needs one row, intercept and threshold per kind ({len(kinds)})")
        self.kinds = tuple(kinds)
        self.coef, self.intercept, self.thresholds = coef, intercept, thresholds
        self.hidden = hidden  # (weights embedding x units, bias units)
        self._cache: dict[str, NDArray[np.float64]] = {}

    def scores(self, embeddings: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each sentence's probability of carrying each kind (sentences x kinds)."""
        features = embeddings if self.hidden is None else np.maximum(embeddings @ self.hidden[0] + self.hidden[1], 0)
        return sigmoid(features @ self.coef.T + self.intercept)

    def sentence_scores(self, sentences: Sequence[str]) -> NDArray[np.float64]:
        """Scores of sentences (sentences x kinds), each sentence embedded once per process: the occluded
        variants an explanation scores share their sentences with the whole text."""
        todo = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if todo:
            if len(self._cache) + len(todo) > CACHE_SENTENCES:
                self._cache.clear()
            self._cache.update(zip(todo, self.scores(embed(todo)), strict=True))
        return np.array([self._cache[s] for s in sentences]).reshape(-1, len(self.kinds))

    def strongest(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Texts x kinds: each kind's best sentence score in each text (0 where a text has no candidate)."""
        spans = [[sentence for sentence, _, _ in candidates(text)] for text in texts]
        scored = self.sentence_scores([s for found in spans for s in found])
        out = np.zeros((len(texts), len(self.kinds)))
        row = 0
        for i, found in enumerate(spans):
            if found:
                out[i] = scored[row : row + len(found)].max(axis=0)
            row += len(found)
        return out

    def find(self, texts: Sequence[str]) -> list[list[Cue]]:
        """The cues of each text, strongest first: per kind, its best sentence when that reaches the threshold."""
        spans = [candidates(text) for text in texts]
        flat = [sentence for found in spans for sentence, _, _ in found]
        scored = self.sentence_scores(flat)
        out: list[list[Cue]] = []
        row = 0
        for found in spans:
            block = scored[row : row + len(found)]
            row += len(found)
            cues = []
            if len(found):
                best = block.argmax(axis=0)
                for k, kind in enumerate(self.kinds):
                    score = float(block[best[k], k])
                    if score >= self.thresholds[k]:
                        sentence, start, end = found[int(best[k])]
                        cues.append(Cue(kind=kind, score=round(score, 4), sentence=sentence, start=start, end=end))
            out.append(sorted(cues, key=lambda c: -c.score))
        return out

    def save(self, directory: Path) -> Path:
        """Write the head's arrays into an artifact directory."""
        from safetensors.numpy import save_file

        path = directory / FILE
        arrays = {"coef": self.coef, "intercept": self.intercept, "thresholds": self.thresholds}
        if self.hidden is not None:
            arrays |= {"hidden_weights": self.hidden[0], "hidden_bias": self.hidden[1]}
        save_file({name: np.ascontiguousarray(a, dtype=np.float32) for name, a in arrays.items()}, str(path))
        return path

    @classmethod
    def load(cls, directory: Path, kinds: Sequence[str]) -> CueHead | None:
        """The head of an artifact directory, or None where the version has none."""
        path = directory / FILE
        if not path.exists():
            return None
        from safetensors.numpy import load_file

        arrays = {name: a.astype(np.float64) for name, a in load_file(str(path)).items()}
        hidden = (arrays["hidden_weights"], arrays["hidden_bias"]) if "hidden_weights" in arrays else None
        return cls(kinds, arrays["coef"], arrays["intercept"], arrays["thresholds"], hidden)


class Combiner:
    """The colour from the model's probabilities and the cues: the model's log-probabilities plus what each cue
    kind found adds to each colour. A kind counts only above its gate (a little under its threshold), scaled to
    0-1 above it, so text in which no cue is found reads exactly as the model reads it; a found risk cue
    outweighs a message's tone."""

    def __init__(self, coef: NDArray[np.float64], intercept: NDArray[np.float64],
                 gates: NDArray[np.float64] | None = None) -> None:
        self.coef, self.intercept = coef, intercept  # 3 x (3 + kinds), 3
        self.gates = gates if gates is not None else np.zeros(coef.shape[1] - 3)

    def gated(self, strongest: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each kind's strongest score above its gate, scaled to 0-1 (0 where the kind is not near found)."""
        return np.asarray(np.maximum(strongest - self.gates, 0.0) / (1.0 - self.gates), dtype=np.float64)

    def combine(self, probs: NDArray[np.float64], strongest: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probabilities (texts x 3) from the model's and the cues' (texts x kinds)."""
        features = np.hstack([np.log(np.clip(probs, 1e-6, 1.0)), self.gated(strongest)])
        logits = features @ self.coef.T + self.intercept
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True), dtype=np.float64)

    def save(self, directory: Path) -> None:
        """Write the combiner's arrays into an artifact directory."""
        from safetensors.numpy import save_file

        save_file({name: np.ascontiguousarray(a, dtype=np.float32) for name, a in
                   (("coef", self.coef), ("intercept", self.intercept), ("gates", self.gates))},
                  str(directory / COMBINER_FILE))

    @classmethod
    def load(cls, directory: Path) -> Combiner | None:
        """The combiner of an artifact directory, or None where the version has none."""
        path = directory / COMBINER_FILE
        if not path.exists():
            return None
        from safetensors.numpy import load_file

        arrays = {name: a.astype(np.float64) for name, a in load_file(str(path)).items()}
        return cls(arrays["coef"], arrays["intercept"], arrays.get("gates"))


def risk_of(cues: Sequence[Cue]) -> float:
    """The strongest risk cue's score (0 when none): what a miss of this message would cost, as evidence."""
    return max((c.score for c in cues if c.kind in RISK), default=0.0)
