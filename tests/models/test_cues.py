"""The cue head: trained on corpus messages, it names each cue with its sentence, never a greeting or a
signature, travels in the sealed artifact, and its cues reach the prediction and the stored suggestion."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.suggestions.models import Scope
from api.suggestions.service import from_prediction
from models import registry
from models.classifier import Cue, Prediction, to_prediction
from models.colour import GATE_OFFSET, ColourHead
from models.cues import KINDS, CueHead, candidates
from models.explain import predict
from models.labels import LABELS, Label
from models.multilingual import MultilingualRouter
from training.corpus import Message, parse_cues
from training.cues import evaluate, sentences_of
from training.datasets import read_csv
from training.multilingual import train_router

SAYINGS = {
    "non_renewal": ["We will not renew the contract when it ends in June.",
                    "Please take this as our notice that we are cancelling the subscription.",
                    "Wir werden den Vertrag zum Jahresende kündigen."],
    "competitor": ["We signed with another vendor for the European offices.",
                   "Our team is trialling a rival platform this month.",
                   "Estamos evaluando otra herramienta de la competencia."],
    "expansion": ["We want to add forty more seats for the Lisbon office.",
                  "Please send a quote for the analytics add-on for two more teams.",
                  "Nous voulons étendre la licence à trois nouvelles filiales."],
}
ROUTINE = ["Could you resend the invoice for March?", "Where do I change the notification settings?",
           "The meeting on Thursday works for us.", "Is the API limit per user or per workspace?"]


def corpus() -> list[Message]:
    """Small labelled messages in the corpus's shape: each cue sentence between a greeting and a closing."""
    messages: list[Message] = []
    for kind, sentences in SAYINGS.items():
        for n, sentence in enumerate(sentences * 3):
            text = f"Hi Sam,\n\n{ROUTINE[n % 4]} {sentence}\n\nBest regards,\nAna Souza"
            label = "Green" if kind == "expansion" else "Red"
            messages.append(Message(id=f"en-train-{len(messages) + 1:05d}", language="en", channel="email",
                                    industry="software", role="manager", text=text, label=label,
                                    cues=parse_cues(f"{kind}={sentence}"), source="test"))
    for routine in ROUTINE * 3:
        messages.append(Message(id=f"en-train-{len(messages) + 1:05d}", language="en", channel="chat",
                                industry="retail", role="admin", text=routine, label="Yellow", cues=(),
                                source="test"))
    return messages


def test_sentences_are_labelled_by_the_fragment_they_hold_and_formalities_are_never_candidates() -> None:
    [message] = [m for m in corpus() if m.cues][:1]
    assert [s for s, _, _ in candidates(message.text)] == [ROUTINE[0], SAYINGS["non_renewal"][0]]
    found = sentences_of([message])
    assert found.labels.sum(axis=0)[KINDS.index("non_renewal")] == 1 and found.labels.sum() == 1


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, labelled_csv: Path) -> MultilingualRouter:
    out = tmp_path_factory.mktemp("models") / "router"
    manifest = train_router(registry.ARTIFACTS_DIR / "minilm-lora", read_csv(labelled_csv), out, cue_corpus=corpus())
    assert {"cues.safetensors", "colour.safetensors"} <= set(manifest["files"])
    assert manifest["data"]["cue_corpus"]["messages"] == len(corpus())
    classifier, _ = registry.load(out)
    assert isinstance(classifier, MultilingualRouter) and isinstance(classifier.cue_head, CueHead)
    return classifier


def test_a_trained_head_names_each_cue_with_its_sentence(router: MultilingualRouter) -> None:
    text = f"Hello team,\n\nThe meeting on Thursday works for us. {SAYINGS['non_renewal'][0]}\n\nCheers,\nTom"
    [prediction] = predict(router, [text])
    assert [c.kind for c in prediction.cues][:1] == ["non_renewal"]
    cue = prediction.cues[0]
    assert cue.sentence == SAYINGS["non_renewal"][0] and text[cue.start:cue.end] == cue.sentence
    assert all(c.sentence not in ("Hello team,", "Cheers,", "Tom") for c in prediction.cues)
    assert predict(router, ["Where do I change the notification settings?"])[0].cues == []
    assert router.cue_head is not None and evaluate(router.cue_head, corpus())["macro"] > 0.5


def test_cues_are_stored_on_the_suggestion_with_the_risk_the_queue_weighs() -> None:
    cues = [Cue("competitor", 0.7, "We signed with another vendor.", 0, 30),
            Cue("expansion", 0.9, "We add forty seats.", 31, 50)]
    [prediction] = predict_like(cues)
    row = from_prediction(prediction, account_id=1, scope=Scope.INTERACTION, blind_share=0.0)
    assert row.risk == 0.7 and [c["kind"] for c in row.cues] == ["competitor", "expansion"]


def predict_like(cues: list[Cue]) -> list[Prediction]:
    """A prediction as models.explain.predict makes one for a version with a cue head."""
    return [replace(to_prediction("v1", np.array([0.2, 0.3, 0.5])), cues=cues)]


def test_the_colour_head_travels_in_the_artifact_and_reads_a_polite_notice_as_red(router: MultilingualRouter
                                                                                   ) -> None:
    assert isinstance(router.colour, ColourHead) and router.colour.temperature > 0
    polite = ("Hi Sam,\n\nThank you for the lovely years together, your team has been wonderful. "
              f"{SAYINGS['non_renewal'][0]}\n\nBest regards,\nAna Souza")
    trained = router.colour
    tone_red = router.predict_proba([polite])[0][0]
    # This test's corpus is 39 messages, too few for its gate to be sure of anything: opened, the colour is the
    # head's reading alone, which is what a customer-success message gets from the shipped model.
    router.colour = ColourHead({**arrays_of(trained), "gate_intercept": np.array([60.0])})
    try:
        probs = router.predict_proba([polite])[0]
    finally:
        router.colour = trained
    assert LABELS[int(probs.argmax())] == Label.RED and probs[0] > tone_red and abs(probs.sum() - 1) < 1e-6


def test_the_gate_gives_the_customer_success_reading_its_share_and_leaves_the_rest_to_the_tone_model(
        router: MultilingualRouter) -> None:
    assert router.colour is not None and router.cue_head is not None
    texts = ["We will not renew the contract when it ends in June.", "lol this film was so good"]
    reading, base = router.cue_head.read(texts), np.array([[0.1, 0.2, 0.7], [0.1, 0.1, 0.8]])
    toned = np.array([[0.2, 0.3, 0.5], [0.05, 0.15, 0.8]])
    head = router.colour.probabilities(reading, base)
    vectors = np.zeros((2, len(router.colour.gate_coef)))  # the gate reads nothing but its intercept
    closed = ColourHead({**arrays_of(router.colour), "gate_intercept": np.array([-60.0])})
    opened = ColourHead({**arrays_of(router.colour), "gate_intercept": np.array([60.0])})
    assert np.allclose(closed.blend(toned, base, reading, vectors), toned)
    assert np.allclose(opened.blend(toned, base, reading, vectors), head)
    half = ColourHead({**arrays_of(router.colour), "gate_intercept": np.array([-GATE_OFFSET])})
    assert np.allclose(half.blend(toned, base, reading, vectors), (head + toned) / 2)


def arrays_of(head: ColourHead) -> dict[str, np.ndarray]:
    return {"hidden_weights": head.hidden_weights, "hidden_bias": head.hidden_bias, "coef": head.coef,
            "intercept": head.intercept, "temperature": np.array([head.temperature]), "gate_coef": head.gate_coef,
            "gate_intercept": np.array([head.gate_intercept])}


def test_a_full_sentence_cache_starts_again_without_losing_the_batch_it_answers(
        router: MultilingualRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    import models.cues

    assert router.cue_head is not None
    monkeypatch.setattr(models.cues, "CACHE_SENTENCES", 3)
    router.cue_head.forget()
    router.cue_head.read(["Where do I change the notification settings?", "The meeting on Thursday works for us."])
    texts = ["Where do I change the notification settings? We will not renew the contract when it ends in June.",
             "Could you resend the invoice for March? Is the API limit per user or per workspace?"]
    reading = router.cue_head.read(texts)  # two sentences cached, three new: the cache overflows mid-batch
    router.cue_head.forget()
    assert np.allclose(reading.mean, router.cue_head.read(texts).mean)
    assert len(router.cue_head._cache) <= 3


def test_threads_sharing_the_sentence_cache_each_get_their_own_answer(
        router: MultilingualRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import models.cues

    assert router.cue_head is not None
    monkeypatch.setattr(models.cues, "CACHE_SENTENCES", 4)  # every batch overflows it: clears race with reads
    texts = [f"Where do I change setting number {n}? The meeting on day {n} works for us." for n in range(12)]
    expected = router.cue_head.read(texts).mean

    class Slow(dict):  # type: ignore[type-arg]
        """A cache whose lookups yield to other threads, so a clear can land between a check and a read."""

        def __contains__(self, key: object) -> bool:
            time.sleep(0.001)
            return super().__contains__(key)

        def __getitem__(self, key: Any) -> Any:
            time.sleep(0.001)
            return super().__getitem__(key)

        def get(self, key: Any, default: Any = None) -> Any:
            time.sleep(0.001)
            return super().get(key, default)

    monkeypatch.setattr(router.cue_head, "_cache", Slow())
    errors: list[BaseException] = []

    def read(offset: int) -> None:
        try:
            for start in range(len(texts)):  # two sentences a call: kept, then cleared by the next one
                window = [texts[(start + offset) % 12]]
                got = router.cue_head.read(window).mean
                first = texts.index(window[0])
                assert np.allclose(got, expected[first:first + len(window)], atol=1e-4)  # batches pad alike
        except BaseException as error:  # noqa: BLE001 - collected and re-raised on the test's thread
            errors.append(error)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.timeout(60)  # before the bound, these three sentences took many minutes of backtracking
def test_a_long_run_without_spaces_is_read_in_linear_time_not_backtracked() -> None:
    from models.formalities import is_formality

    assert is_formality("Ana Souza | ana@example.com | +49 30 1234 567")  # a signature line still is one
    for hostile in ("x@" * 20_000, "a" * 200_000, "x@y." * 10_000):
        assert not is_formality(hostile)
