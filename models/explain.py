"""Explanations computed from the model itself: how much each sentence moves the prediction.

Occlusion: the text is scored whole and once without each sentence; a sentence's weight is how
much the probability of the predicted label drops when it is left out. Where no sentence's removal
lowers it (evenly neutral text, where the colour comes from all sentences together), each sentence
is scored alone instead, and those that alone read as the predicted colour are the evidence. Both
work for any classifier behind the interface. Greetings, closings, names and signature lines are
never candidates (see formalities.py): they are the form of a message, not its sentiment.

A long text (over SHORT_CHARS, or more than MAX_SENTENCES sentences) would cost one whole pass per
sentence, so its cost is bounded instead: the text is cut into passages of at most PASSAGE_CHARS
(whole sentences), each passage is scored alone, and in the TOP_PASSAGES that read most as the
predicted colour each sentence is left out of its passage ("passage-occlusion"). The model reads
every passage and every variant; the work is about 1.5 passes over the text plus a bounded number
of short inputs, instead of a pass per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from models import language
from models.classifier import Classifier, Evidence, Prediction, cue_head_of, languages_of, to_prediction
from models.formalities import is_formality
from models.labels import LABELS

# A sentence ends at . ! ? (possibly repeated, possibly closed by a quote or bracket) before
# whitespace, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")

MAX_SENTENCES = 40
"""Above this many sentences a text is long: it is explained passage by passage."""
SHORT_CHARS = 2000
"""Texts up to this length (and MAX_SENTENCES sentences) are explained by whole-text occlusion."""
PASSAGE_CHARS = 600
"""A passage of a long text: consecutive whole sentences up to this length (a sentence may be longer)."""
TOP_PASSAGES = 2
"""Passages of a long text whose sentences are occluded."""
PASSAGE_SENTENCES = 16
"""At most this many sentences of each top passage are occluded."""


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


def predict(classifier: Classifier, texts: Sequence[str], explain: bool = True, top_k: int = 3,
            language_cap: float = language.UNSUPPORTED_CONFIDENCE_CAP) -> list[Prediction]:
    """Score texts in one batch; with explain, attach each text's most influential sentences, and the cues it
    carries where the version has a cue head.

    Every prediction names the language of its text; one in a language the model does not read is
    marked `unsupported_language`, its probabilities capped at `language_cap`.
    """
    if not explain:
        probs = classifier.predict_proba(texts)
        predictions = [to_prediction(classifier.version, row) for row in probs]
    else:
        predictions = _explained(classifier, texts, top_k)
    readable = languages_of(classifier)
    predictions = [with_language(p, language.identify(t), readable, language_cap)
                   for p, t in zip(predictions, texts, strict=True)]
    head = cue_head_of(classifier)
    if head is None:
        return predictions
    return [replace(p, cues=found) for p, found in zip(predictions, head.find(texts), strict=True)]


def with_language(prediction: Prediction, found: language.Language, readable: tuple[str, ...] | None,
                  cap: float) -> Prediction:
    """The prediction with its text's language, capped where the model does not read that language."""
    if language.supported(found, readable):
        return replace(prediction, language=found.code)
    probabilities = language.capped(prediction.probabilities, cap)
    return replace(prediction, probabilities=probabilities, language=found.code, unsupported_language=True)


def _explained(classifier: Classifier, texts: Sequence[str], top_k: int) -> list[Prediction]:
    """Predictions with their evidence sentences (occlusion, passage-occlusion or standalone)."""
    # One batch holds every whole text followed by its occluded variants (short texts) or its
    # passages (long texts).
    batch: list[str] = []
    layout: list[tuple[int, list[Sentence], list[Sentence] | None]] = []
    for text in texts:
        sentences = [s for s in split_sentences(text) if not is_formality(s.text)]
        passages = _passages(text, sentences) if is_long(text, sentences) else None
        layout.append((len(batch), sentences, passages))
        batch.append(text)
        if passages is not None:
            batch.extend(p.text for p in passages)
        else:  # every candidate sentence left out in turn (a one-sentence text leaves nothing)
            batch.extend(_without(text, s) for s in sentences)
    probs = classifier.predict_proba(batch)

    predictions: list[Prediction] = []
    long_texts: list[int] = []
    for index, sentences, passages in layout:
        whole = to_prediction(classifier.version, probs[index])
        evidence: list[Evidence] = []
        if passages is None:
            column = int(np.argmax(probs[index]))
            evidence = [Evidence(s.text, s.start, s.end,
                                 round(float(probs[index][column] - probs[index + 1 + i][column]), 4))
                        for i, s in enumerate(sentences)]
        else:
            long_texts.append(len(predictions))
        predictions.append(Prediction(whole.label, whole.probabilities, whole.model_version,
                                      _strongest(evidence, top_k)))
    if long_texts:
        _explain_long(classifier, predictions, [layout[i] for i in long_texts], long_texts, probs, top_k)
    short = [s if p is None else [] for _, s, p in layout]
    return _standalone_where_empty(classifier, predictions, short, top_k)


def is_long(text: str, sentences: Sequence[Sentence]) -> bool:
    """Whether whole-text occlusion would cost too much: the text is explained passage by passage."""
    return len(text) > SHORT_CHARS or len(sentences) > MAX_SENTENCES


def _strongest(evidence: list[Evidence], top_k: int) -> list[Evidence]:
    return sorted((e for e in evidence if e.weight > 0), key=lambda e: e.weight, reverse=True)[:top_k]


def _passages(text: str, sentences: list[Sentence]) -> list[Sentence]:
    """Consecutive whole sentences grouped into spans of at most PASSAGE_CHARS (a longer sentence alone)."""
    passages: list[Sentence] = []
    start = end = -1
    for sentence in sentences:
        if start >= 0 and sentence.end - start > PASSAGE_CHARS:
            passages.append(Sentence(text[start:end], start, end))
            start = -1
        if start < 0:
            start = sentence.start
        end = sentence.end
    if start >= 0:
        passages.append(Sentence(text[start:end], start, end))
    return passages


def _explain_long(classifier: Classifier, predictions: list[Prediction],
                  layouts: list[tuple[int, list[Sentence], list[Sentence] | None]], positions: list[int],
                  probs: NDArray[np.float64], top_k: int) -> None:
    """Passage-occlusion for long texts: within the passages that read most as the label, leave each sentence out."""
    batch: list[str] = []
    plans: list[list[tuple[Sentence, list[Sentence], int]]] = []
    for (index, sentences, passages), position in zip(layouts, positions, strict=True):
        assert passages is not None
        column = LABELS.index(predictions[position].label)
        alone = probs[index + 1 : index + 1 + len(passages)][:, column]
        plan = []
        for p in sorted(range(len(passages)), key=lambda i: -alone[i])[:TOP_PASSAGES]:
            passage = passages[p]
            inside = [s for s in sentences if passage.start <= s.start and s.end <= passage.end][:PASSAGE_SENTENCES]
            plan.append((passage, inside, len(batch)))
            batch.append(passage.text)
            batch.extend(_without(passage.text, _shift(s, -passage.start)) if len(inside) > 1 else ""
                         for s in inside)
        plans.append(plan)
    scored = classifier.predict_proba(batch)
    for plan, position in zip(plans, positions, strict=True):
        prediction = predictions[position]
        column = LABELS.index(prediction.label)
        evidence = [Evidence(s.text, s.start, s.end,
                             round(float(scored[first][column] - scored[first + 1 + i][column]), 4),
                             "passage-occlusion")
                    for passage, inside, first in plan for i, s in enumerate(inside)]
        predictions[position] = Prediction(prediction.label, prediction.probabilities, prediction.model_version,
                                           _strongest(evidence, top_k))


def _shift(sentence: Sentence, by: int) -> Sentence:
    return Sentence(sentence.text, sentence.start + by, sentence.end + by)


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
