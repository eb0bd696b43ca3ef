"""Explanations come from the model: leaving out the driving sentence lowers the label's probability."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models import explain, registry
from models.explain import predict, split_sentences
from models.labels import LABELS, Label


def test_sentences_keep_their_offsets() -> None:
    text = "Hello there.  The export failed again!\nCan you help?"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Hello there.", "The export failed again!", "Can you help?"]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_evidence_points_at_the_sentence_that_drove_the_label() -> None:
    classifier, _ = registry.load(registry.shipped_default())
    text = ("Could you send the March invoice? Also, the export failed again and nobody answered our ticket, "
            "we are furious.")
    prediction = predict(classifier, [text])[0]
    assert prediction.label == Label.RED
    top = prediction.explanation[0]
    assert "furious" in top.text
    assert text[top.start : top.end] == top.text
    without = text[: top.start] + text[top.end :]
    assert classifier.predict_proba([without])[0][0] < prediction.probabilities[Label.RED]
    assert top.weight > 0


def test_explained_and_plain_predictions_agree(tiny_model: Path) -> None:
    classifier, _ = registry.load(tiny_model)
    texts = ["Great QBR, they want to expand.", "Billing error again. Payments on hold.", "One line"]
    explained = predict(classifier, texts, explain=True)
    plain = predict(classifier, texts, explain=False)
    assert [p.probabilities for p in explained] == [p.probabilities for p in plain]


class ShorterIsCalmer:
    """A deterministic model that reads any text as Yellow, the more so the shorter it is: leaving a sentence
    out never lowers Yellow, so occlusion finds no evidence and each sentence read alone must stand in."""

    version = "fake-calm"

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        rows = []
        for text in texts:
            yellow = 0.5 + 0.4 / (1 + len(text.split()) / 10)
            rows.append([(1 - yellow) / 2, yellow, (1 - yellow) / 2])
        return np.array(rows)


def test_neutral_text_without_occlusion_evidence_gets_standalone_sentences() -> None:
    classifier = ShorterIsCalmer()
    texts = ["Could you send the March invoice? We also need the W-9 form. Our postal address changed in May.",
             "Please add two seats for the new analysts joining next week."]
    predictions = predict(classifier, texts)
    for prediction in predictions:
        assert prediction.label == Label.YELLOW and prediction.explanation
        for evidence in prediction.explanation:
            assert evidence.method == "standalone"
            alone = classifier.predict_proba([evidence.text])[0]
            assert abs(alone[1] - evidence.weight) < 1e-3


class KeywordModel:
    """A deterministic stand-in for a classifier: each angry word pushes a text towards Red.

    It counts the characters it is asked to read, so a test can hold the explanation to its budget.
    """

    def __init__(self) -> None:
        self.characters = 0

    @property
    def version(self) -> str:
        return "keywords-1"

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        self.characters += sum(len(t) for t in texts)
        rows = []
        for text in texts:
            angry = sum(text.count(word) for word in ("furious", "cancel", "broken"))
            red = 1 - 0.5 ** (angry + 1) if angry else 0.2
            rows.append([red, (1 - red) * 0.7, (1 - red) * 0.3])
        return np.array(rows)


NEUTRAL = "We met on Tuesday to review the roadmap and the rollout plan for the next quarter."


def long_text(sentences: int, *angry_at: int) -> str:
    parts = [NEUTRAL] * sentences
    for position in angry_at:
        parts[position] = "Honestly we are furious, the sync is broken and we may cancel."
    return " ".join(parts)


def test_a_long_text_is_explained_within_its_budget_by_sentences_that_move_the_score() -> None:
    model = KeywordModel()
    text = long_text(2400, 1700)  # about 200,000 characters
    [prediction] = predict(model, [text])
    whole_occlusion = len(text) * 41  # what leaving each of 40 sentences out of the whole text would read
    budget = 2 * len(text) + explain.TOP_PASSAGES * (explain.PASSAGE_SENTENCES + 1) * explain.PASSAGE_CHARS
    assert model.characters <= budget < whole_occlusion / 10
    top = prediction.explanation[0]
    assert top.method == "passage-occlusion" and "furious" in top.text and text[top.start:top.end] == top.text
    without = text[: top.start] + text[top.end:]
    assert model.predict_proba([without])[0][0] < prediction.probabilities[Label.RED]


def test_the_shipped_model_explains_a_long_email_by_its_angry_sentence() -> None:
    classifier, _ = registry.load(registry.shipped_default())
    text = long_text(45, *range(1, 45, 4))  # Red: eleven angry sentences among thirty-four neutral ones
    [prediction] = predict(classifier, [text])
    assert explain.is_long(text, split_sentences(text))
    top = prediction.explanation[0]
    assert "furious" in top.text
    without = text[: top.start] + text[top.end:]
    red = LABELS.index(Label.RED)
    assert classifier.predict_proba([without])[0][red] < classifier.predict_proba([text])[0][red]


class LovesPleasantries:
    """A deterministic model that reads Green into greetings, thanks and one customer's name, and Red into
    'broken': occlusion alone would name the pleasantries as the evidence whenever the answer is Green."""

    version = "fake-pleasantries"

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        rows = []
        for text in texts:
            green = sum(text.count(w) for w in ("Hi", "Thanks", "Klaus Becker", "regards", "Grüßen"))
            red = 5 * text.count("broken")
            scores = np.exp([red, 0.0, float(green)])
            rows.append(scores / scores.sum())
        return np.array(rows)


def test_greetings_closings_names_and_signatures_are_never_evidence() -> None:
    text = ("Hi Ana,\nThe export is broken again.\nThanks,\nKlaus Becker\nklaus.becker@northwind.example | "
            "+49 30 1234 5678\nMit freundlichen Grüßen")
    prediction = predict(LovesPleasantries(), [text])[0]
    assert [e.text for e in prediction.explanation] == ["The export is broken again."]
    polite = predict(LovesPleasantries(), ["Hi Ana,\nThe dashboard works.\nThanks,\nKlaus Becker",
                                           "Kind regards, Klaus Becker"])
    assert all(p.label == Label.GREEN for p in polite)
    assert not {e.text for p in polite for e in p.explanation} & {"Hi Ana,", "Thanks,", "Klaus Becker",
                                                                  "Kind regards, Klaus Becker"}
