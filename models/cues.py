"""Risk and health cues: the named signals a message carries, each with the sentence that carries it.

A cue (GUIDELINES.md in training/corpus) is evidence of what the colour means for the account: a non-renewal, a
competitor, a budget cut; an expansion, a confirmed renewal. The head is multi-label: one logistic output per
cue kind, through a hidden ReLU layer, over the multilingual sentence encoder's embedding of each sentence, so
it reads the languages the encoder reads. A message carries a kind when its best sentence for that kind scores
at or over the kind's threshold (chosen on held-out folds of the training corpus). Greetings, closings, names
and signature lines are never candidates (formalities.py), as for every other piece of evidence.

Each sentence is read beside the mean of its message's candidate sentences (a head with context: its inputs are
1,024 wide, the sentence's embedding then the mean), so the same words can be a cue in one message and not in
another. The artifact file is `cues.safetensors` (hidden_weights 512 or 1,024 x units and hidden_bias where
the head has a hidden layer, coef kinds x units, intercept, thresholds) beside the model's `config.json`, whose
`cues` lists the kinds in order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.classifier import Cue, softmax
from models.encoder import embed
from models.explain import split_sentences
from models.formalities import is_formality

FILE = "cues.safetensors"
COMBINER_FILE = "combiner.safetensors"
CACHE_SENTENCES = 20_000
"""Sentence embeddings kept per process (about 40 MB as float32); the cache starts again when full."""
CACHE_CHARS = 1000
"""A sentence longer than this is embedded but not kept (the keys stay under 20 MB of characters)."""
RISK = ("non_renewal", "competitor", "migration", "downgrade", "budget", "sponsor_change", "severe_problem",
        "escalation")
HEALTH = ("renewal_confirmed", "expansion", "adoption", "advocacy")
KINDS = RISK + HEALTH
"""The twelve cue kinds, risk first (training/corpus/GUIDELINES.md)."""
EMBEDDING_WIDTH = 512
"""The multilingual encoder's embedding width."""
MAX_SENTENCES = 60
"""At most this many sentences of a message are read for cues (a long thread's first ones: its newest words)."""


def candidates(text: str) -> list[tuple[str, int, int]]:
    """The sentences of a text that may carry a cue, with their offsets: never a greeting, closing or name."""
    return [(s.text, s.start, s.end) for s in split_sentences(text) if not is_formality(s.text)][:MAX_SENTENCES]


def mean_by(vectors: NDArray[np.float64], owner: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """The mean of the vectors of each of n owners (zeros for an owner with none)."""
    total = np.zeros((n, vectors.shape[1]))
    np.add.at(total, owner, vectors)
    return total / np.maximum(np.bincount(owner, minlength=n), 1)[:, None]


def best_by(scores: NDArray[np.float64], owner: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """Each of n owners' best score per column (0 for an owner with none; scores are probabilities)."""
    best = np.zeros((n, scores.shape[1]))
    np.maximum.at(best, owner, scores)
    return best


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The logistic function, stable for large magnitudes."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


@dataclass(frozen=True)
class Reading:
    """What the cue head read of some texts (texts x ...): each kind's best sentence score, and the mean and
    the elementwise maximum of the candidate sentences' embeddings (what the colour head reads)."""

    strongest: NDArray[np.float64]
    mean: NDArray[np.float64]
    peak: NDArray[np.float64]

    @classmethod
    def of(cls, vectors: NDArray[np.float64], scores: NDArray[np.float64], owner: NDArray[np.int64], n: int,
           kinds: int) -> Reading:
        """Pooled per text from sentence vectors and scores and the text each sentence belongs to."""
        width = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else EMBEDDING_WIDTH
        vectors, scores = vectors.reshape(-1, width), scores.reshape(-1, kinds)
        peak = np.full((n, width), -np.inf)
        np.maximum.at(peak, owner, vectors)
        peak[np.bincount(owner, minlength=n) == 0] = 0.0
        return cls(best_by(scores, owner, n), mean_by(vectors, owner, n), peak)


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
        self._cache: dict[str, NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    @property
    def context(self) -> bool:
        """Whether the head reads each sentence beside its message's mean sentence (inputs twice as wide)."""
        width = self.hidden[0].shape[0] if self.hidden is not None else self.coef.shape[1]
        return bool(width == 2 * EMBEDDING_WIDTH)

    def inputs(self, vectors: NDArray[np.float64], owner: NDArray[np.int64], n: int) -> NDArray[np.float64]:
        """What the head reads of each sentence: its embedding, and where the head has context, the mean of its
        message's candidate sentences beside it."""
        if not self.context:
            return vectors
        return np.hstack([vectors, mean_by(vectors, owner, n)[owner]])

    def scores(self, embeddings: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each sentence's probability of carrying each kind (sentences x kinds), from its inputs."""
        features = embeddings if self.hidden is None else np.maximum(embeddings @ self.hidden[0] + self.hidden[1], 0)
        return sigmoid(features @ self.coef.T + self.intercept)

    def sentence_embeddings(self, sentences: Sequence[str]) -> NDArray[np.float64]:
        """Embeddings of sentences (sentences x 512), each sentence embedded once per process: the occluded
        variants an explanation scores share their sentences with the whole text. The cache holds at most
        CACHE_SENTENCES sentences of at most CACHE_CHARS characters and starts again when a batch would overflow
        it; the batch itself is always answered. The batcher, the worker and request threads share it: reads and
        writes hold its lock, the encoder runs outside it."""
        unique = list(dict.fromkeys(sentences))
        with self._lock:
            known = {s: v for s in unique if (v := self._cache.get(s)) is not None}
        todo = [s for s in unique if s not in known]
        if todo:
            fresh = dict(zip(todo, embed(todo).astype(np.float32), strict=True))
            known.update(fresh)
            kept = {s: v for s, v in fresh.items() if len(s) <= CACHE_CHARS}
            with self._lock:
                if len(self._cache) + len(kept) > CACHE_SENTENCES:
                    self._cache.clear()
                if len(kept) <= CACHE_SENTENCES:
                    self._cache.update(kept)
        return np.array([known[s] for s in sentences], dtype=np.float64).reshape(len(sentences), -1)

    def forget(self) -> None:
        """Empty the sentence cache (a benchmark measures from a cold start)."""
        with self._lock:
            self._cache.clear()

    def sentence_scores(self, spans: Sequence[Sequence[str]]) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                                                        NDArray[np.int64]]:
        """The sentences of texts (a list of sentences a text): their embeddings, their scores (sentences x
        kinds) and the text each belongs to."""
        flat = [s for found in spans for s in found]
        owner = np.asarray([i for i, found in enumerate(spans) for _ in found], dtype=np.int64)
        if not flat:
            return np.zeros((0, EMBEDDING_WIDTH)), np.zeros((0, len(self.kinds))), owner
        vectors = self.sentence_embeddings(flat)
        return vectors, self.scores(self.inputs(vectors, owner, len(spans))), owner

    def read(self, texts: Sequence[str]) -> Reading:
        """Each text's candidate sentences read once: each kind's best sentence score, and the mean and the
        elementwise maximum of the sentences' embeddings (zeros where a text has no candidate)."""
        vectors, scores, owner = self.sentence_scores([[s for s, _, _ in candidates(text)] for text in texts])
        return Reading.of(vectors, scores, owner, len(texts), len(self.kinds))

    def strongest(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Texts x kinds: each kind's best sentence score in each text (0 where a text has no candidate)."""
        return self.read(texts).strongest

    def find(self, texts: Sequence[str]) -> list[list[Cue]]:
        """The cues of each text, strongest first: per kind, its best sentence when that reaches the threshold."""
        spans = [candidates(text) for text in texts]
        _, scored, _ = self.sentence_scores([[sentence for sentence, _, _ in found] for found in spans])
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
        return softmax(features @ self.coef.T + self.intercept)

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
