"""Explanations computed from the model itself: how much each sentence moves the prediction.

Occlusion: the text is scored whole and once without each sentence; a sentence's weight is how
much the probability of the predicted label drops when it is left out. Where no sentence's removal
lowers it (evenly neutral text, where the colour comes from all sentences together), each sentence
is scored alone instead, and those that alone read as the predicted colour are the evidence. Both
work for any classifier behind the interface.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.classifier import Classifier, Evidence, Prediction, to_prediction
from models.labels import LABELS

# A sentence ends at . ! ? (possibly repeated, possibly closed by a quote or bracket) before
# whitespace, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")

MAX_SENTENCES = 40
"""Above this many sentences only the first ones are occluded; the score still uses all text."""


@dataclass(frozen=True)
class Sentence:
    """A span of the original text."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences, keeping their character offsets in the original."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        _append_span(sentences, text, start, match.start())
        start = match.end()
    _append_span(sentences, text, start, len(text))
    return sentences


def _append_span(out: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + chunk.index(stripped)
        out.append(Sentence(stripped, offset, offset + len(stripped)))


def predict(classifier: Classifier, texts: Sequence[str], explain: bool = True,
            top_k: int = 3) -> list[Prediction]:
    """Score texts in one batch; with explain, attach each text's most influential sentences."""
    if not explain:
        probs = classifier.predict_proba(texts)
        return [to_prediction(classifier.version, row) for row in probs]

    # One batch holds every whole text followed by its occluded variants.
    batch: list[str] = []
    layout: list[tuple[int, list[Sentence]]] = []
    for text in texts:
        sentences = split_sentences(text)[:MAX_SENTENCES]
        layout.append((len(batch), sentences))
        batch.append(text)
        if len(sentences) > 1:
            batch.extend(_without(text, s) for s in sentences)
        elif sentences:
            batch.append("")
    probs = classifier.predict_proba(batch)

    predictions = []
    for index, sentences in layout:
        whole = to_prediction(classifier.version, probs[index])
        column = int(np.argmax(probs[index]))
        evidence = [
            Evidence(s.text, s.start, s.end, round(float(probs[index][column] - probs[index + 1 + i][column]), 4))
            for i, s in enumerate(sentences)
        ]
        evidence.sort(key=lambda e: e.weight, reverse=True)
        kept = [e for e in evidence if e.weight > 0][:top_k]
        predictions.append(Prediction(whole.label, whole.probabilities, whole.model_version, kept))
    return _standalone_where_empty(classifier, predictions, [s for _, s in layout], top_k)


def _standalone_where_empty(classifier: Classifier, predictions: list[Prediction],
                            sentences: list[list[Sentence]], top_k: int) -> list[Prediction]:
    """For predictions without occlusion evidence, the sentences that alone read as the label."""
    todo = [i for i, p in enumerate(predictions) if not p.explanation and sentences[i]]
    if not todo:
        return predictions
    probs = classifier.predict_proba([s.text for i in todo for s in sentences[i]])
    row = 0
    for i in todo:
        column = LABELS.index(predictions[i].label)
        alone = probs[row : row + len(sentences[i])]
        row += len(sentences[i])
        evidence = [Evidence(s.text, s.start, s.end, round(float(p[column]), 4), "standalone")
                    for s, p in zip(sentences[i], alone, strict=True) if int(np.argmax(p)) == column]
        evidence.sort(key=lambda e: e.weight, reverse=True)
        predictions[i] = Prediction(predictions[i].label, predictions[i].probabilities, predictions[i].model_version,
                                    evidence[:top_k])
    return predictions


def _without(text: str, sentence: Sentence) -> str:
    return (text[: sentence.start] + " " + text[sentence.end :]).strip()
