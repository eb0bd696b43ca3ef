"""Training the cue head (models.cues) on the customer-success corpus, and measuring it.

Each corpus message is cut into the sentences the head reads (models.cues.candidates); a sentence carries a kind
when the kind's fragment (GUIDELINES.md: the cue's sentence, copied verbatim) lies inside it or it inside the
fragment. One network with a hidden ReLU layer and a logistic output per kind is fitted on the multilingual
encoder's sentence embeddings (a linear head per kind reached 0.68 macro cue F1 on held-out corpus messages,
this 0.72, on the first 2,420 messages). A message carries a kind when its best sentence reaches the kind's
threshold, which is chosen where message-level F1 is highest on predictions for held-out folds of the training
messages, so the test split chooses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.cues import KINDS, CueHead, best_by, candidates, mean_by
from models.encoder import embed
from training.corpus import Message

FOLDS = 4
HIDDEN = 256
ALPHA = 1e-3
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)


@dataclass
class Sentences:
    """The corpus's candidate sentences: text, owning message index, and which kinds each carries."""

    texts: list[str]
    owner: NDArray[np.int64]
    labels: NDArray[np.int64]  # sentences x kinds, 0/1


def sentences_of(messages: Sequence[Message]) -> Sentences:
    """Every candidate sentence of every message, labelled with the kinds whose fragment it holds."""
    texts: list[str] = []
    owner: list[int] = []
    rows: list[list[int]] = []
    for index, message in enumerate(messages):
        spans = []
        for cue in message.cues:
            start = message.text.find(cue.fragment)
            if start >= 0 and cue.kind in KINDS:
                spans.append((cue.kind, start, start + len(cue.fragment)))
        for sentence, start, end in candidates(message.text):
            texts.append(sentence)
            owner.append(index)
            rows.append([int(any(k == kind and s < end and start < e for k, s, e in spans)) for kind in KINDS])
    return Sentences(texts, np.asarray(owner, dtype=np.int64), np.asarray(rows, dtype=np.int64).reshape(-1, len(KINDS)))


def gold(messages: Sequence[Message]) -> NDArray[np.int64]:
    """Messages x kinds: which kinds each message carries by its labels."""
    return np.asarray([[int(any(c.kind == kind for c in m.cues)) for kind in KINDS] for m in messages],
                      dtype=np.int64).reshape(-1, len(KINDS))


def _fit(x: NDArray[np.float64], y: NDArray[np.int64], seed: int) -> Any:
    """A multi-label network (one hidden ReLU layer, a logistic output per kind) on sentence embeddings."""
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=ALPHA, max_iter=300, early_stopping=True,
                         random_state=seed).fit(x, y)


def _head(model: Any, thresholds: NDArray[np.float64]) -> CueHead:
    """The fitted network as a cue head."""
    (w1, w2), (b1, b2) = model.coefs_, model.intercepts_
    return CueHead(KINDS, np.asarray(w2.T, dtype=np.float64), np.asarray(b2, dtype=np.float64), thresholds,
                   (np.asarray(w1, dtype=np.float64), np.asarray(b1, dtype=np.float64)))


def f1(predicted: NDArray[np.int64], truth: NDArray[np.int64]) -> float:
    """F1 of one kind's 0/1 predictions (1.0 where neither side has a positive)."""
    tp = int((predicted & truth).sum())
    fp, fn = int((predicted & ~truth.astype(bool)).sum()), int((~predicted.astype(bool) & truth).sum())
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def train(messages: Sequence[Message], seed: int = 13, say: Callable[[str], None] = print,
          embeddings: NDArray[np.float64] | None = None
          ) -> tuple[CueHead, dict[str, float], NDArray[np.float64]]:
    """A cue head fitted on these messages, with each kind's threshold and held-out-fold F1, and each message's
    strongest score per kind from the fold that held it out (what the colour combiner learns from)."""
    found = sentences_of(messages)
    say(f"cues: {len(found.texts)} sentences of {len(messages)} messages; embedding")
    x = embed(found.texts) if embeddings is None else embeddings
    # Each sentence is read beside the mean of its message's sentences: "we will review our options" is a
    # different cue in a renewal notice than in a feature request (held-out fold cue F1 0.75 -> 0.79).
    x = np.hstack([x, mean_by(x, found.owner, len(messages))[found.owner]])
    truth = gold(messages)
    rng = np.random.default_rng(seed)
    fold_of = rng.integers(0, FOLDS, len(messages))[found.owner]
    held_out = np.zeros(found.labels.shape)
    for fold in range(FOLDS):
        inside, outside = fold_of != fold, fold_of == fold
        held_out[outside] = _head(_fit(x[inside], found.labels[inside], seed), np.zeros(len(KINDS))).scores(x[outside])
        say(f"cues: fold {fold + 1} of {FOLDS} done")
    best = best_by(held_out, found.owner, len(messages))
    thresholds, fold_f1 = np.zeros(len(KINDS)), {}
    for k, kind in enumerate(KINDS):
        scores = [(f1((best[:, k] >= t).astype(np.int64), truth[:, k]), -abs(t - 0.5), t) for t in THRESHOLDS]
        chosen = max(scores)
        thresholds[k], fold_f1[kind] = chosen[2], round(chosen[0], 4)
    head = _head(_fit(x, found.labels, seed), thresholds)
    return head, fold_f1, best


def evaluate(head: CueHead, messages: Sequence[Message]) -> dict[str, float]:
    """Message-level F1 of each kind on these messages, and their mean over the kinds (`macro`)."""
    truth = gold(messages)
    found = head.find([m.text for m in messages])
    predicted = np.asarray([[int(any(c.kind == kind for c in cues)) for kind in head.kinds] for cues in found],
                           dtype=np.int64).reshape(-1, len(head.kinds))
    scores = {kind: round(f1(predicted[:, k], truth[:, k]), 4) for k, kind in enumerate(head.kinds)}
    return {**scores, "macro": round(float(np.mean(list(scores.values()))), 4)}
