"""Explanations come from the model: leaving out the driving sentence lowers the label's probability."""

from __future__ import annotations

from pathlib import Path

from models import registry
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


def test_neutral_text_without_occlusion_evidence_gets_standalone_sentences() -> None:
    from api.demo_messages import MESSAGES

    classifier, _ = registry.load(registry.shipped_default())
    texts = [body.format(contact="Ana Souza", company="Acme") for label, _, _, body in MESSAGES]
    predictions = predict(classifier, texts)
    standalone = [p for p in predictions if p.explanation and p.explanation[0].method == "standalone"]
    assert standalone, "expected some evenly neutral texts to need standalone evidence"
    for prediction in standalone:
        for evidence in prediction.explanation:
            alone = classifier.predict_proba([evidence.text])[0]
            assert LABELS[int(alone.argmax())] == prediction.label
            assert abs(alone[int(alone.argmax())] - evidence.weight) < 1e-3
    assert sum(1 for p in predictions if not p.explanation) < sum(1 for p in predictions if p.explanation)
