"""Adapting a version to a team's own words: a head over the base, chosen and checked on later labels."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from models import registry
from models.adapted import AdaptedClassifier
from models.artifacts import verify
from models.labels import LABELS
from training.adapt import AdaptError, Example
from training.adapted_version import build

THINGS = ["rollout", "invoice run", "sync job", "onboarding call", "data export", "admin console", "renewal review",
          "SSO setup", "API migration", "report builder", "training session", "mobile app"]
TEAM_WORDS = {"Red": "glorpish", "Green": "zintful"}  # this team's slang, which no model has read


def team_messages(n: int, seed: int) -> list[Example]:
    """Messages in a team's slang: 'glorpish' means trouble, 'zintful' means delight, neither means routine."""
    rng = random.Random(seed)
    found = []
    for i in range(n):
        label = LABELS[i % 3].value
        thing = rng.choice(THINGS)
        if label in TEAM_WORDS:
            text = rng.choice(["The {t} was {w} again this week.", "Our people call the {t} {w} now.",
                               "Quick note: the {t} felt {w}.", "Everyone agrees the {t} is {w}."])
        else:
            text = rng.choice(["The {t} is scheduled for Tuesday.", "Please send the agenda for the {t}.",
                               "Who owns the {t} on your side?", "The {t} notes are attached."])
        found.append(Example(text.format(t=thing, w=TEAM_WORDS.get(label, "")), label, 1.0, "en"))
    return found


def test_a_team_s_own_words_are_learned_and_the_version_is_sealed_with_its_base(
        tiny_model: Path, tmp_path: Path) -> None:
    train, later = team_messages(90, seed=1), team_messages(30, seed=2)
    result = build(tiny_model, train, later, out_root=tmp_path, command="pytest")
    assert result.written and result.better and result.adapted_macro_f1 > result.base_macro_f1 + 0.2
    assert result.n_train == 90 and result.n_eval == 30 and result.languages["en"]["n_eval"] == 30
    low, high = result.adapted_macro_f1_ci
    assert low <= result.adapted_macro_f1 <= high
    directory = Path(result.directory or "")
    manifest = verify(directory)
    base_manifest = verify(directory / "base")
    assert manifest["base_version"] == base_manifest["version"] == result.base_version
    assert manifest["data"]["sha256"] == result.labels_sha256
    card = (directory / "MODEL_CARD.md").read_text()
    assert "deployment's own" in card and result.base_version in card
    classifier, _ = registry.load(directory)
    assert isinstance(classifier, AdaptedClassifier) and classifier.version == result.version
    new = ["The quarterly review was glorpish.", "The new dashboard is zintful.", "The call is on Friday."]
    assert [LABELS[int(i)].value for i in classifier.predict_proba(new).argmax(axis=1)] == ["Red", "Green", "Yellow"]
    base, _ = registry.load(tiny_model)
    assert [LABELS[int(i)].value for i in base.predict_proba(new).argmax(axis=1)] != ["Red", "Green", "Yellow"]


def test_the_version_id_changes_with_the_labels_and_the_base(tiny_model: Path, second_model: Path,
                                                             tmp_path: Path) -> None:
    train, later = team_messages(60, seed=1), team_messages(15, seed=2)
    first = build(tiny_model, train, later, out_root=tmp_path)
    again = build(tiny_model, train, later, out_root=tmp_path)
    fewer = build(tiny_model, train[:-3], later, out_root=tmp_path)
    other = build(second_model, train, later, out_root=tmp_path)
    assert first.version == again.version  # the same labels on the same base: the same immutable version
    assert len({first.version, fewer.version, other.version}) == 3


def test_labels_that_teach_nothing_write_nothing(tiny_model: Path, tmp_path: Path) -> None:
    rng = random.Random(3)
    noise = [Example(e.text, rng.choice(["Red", "Yellow", "Green"])) for e in team_messages(60, seed=4)]
    later = team_messages(30, seed=5)
    result = build(tiny_model, noise, later, out_root=tmp_path)
    if result.adapted_macro_f1 < result.base_macro_f1:
        assert not result.written and not list(tmp_path.iterdir())
    forced = build(tiny_model, noise, later, out_root=tmp_path, force=True)
    assert forced.written


def test_too_few_labels_or_a_missing_colour_is_refused_with_the_counts(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(AdaptError, match="at least 30 .* there are 12 and 30"):
        build(tiny_model, team_messages(12, seed=1), team_messages(30, seed=2), out_root=tmp_path)
    no_green = [e for e in team_messages(90, seed=1) if e.label != "Green"]
    with pytest.raises(AdaptError, match=r"Green \(0\)"):
        build(tiny_model, no_green, team_messages(30, seed=2), out_root=tmp_path)


def test_an_adapted_version_keeps_its_base_s_batching_and_languages(tiny_model: Path, tmp_path: Path) -> None:
    from models.batching import MicroBatcher

    result = build(tiny_model, team_messages(60, seed=1), team_messages(15, seed=2), out_root=tmp_path, force=True)
    classifier, _ = registry.load(Path(result.directory or ""))
    texts = ["short one", "a long thread " * 2000, "The rollout was glorpish."]
    batched = MicroBatcher(classifier, 8, 0.001).predict_proba(texts)
    assert np.allclose(batched, classifier.predict_proba(texts), atol=1e-6)
    base, _ = registry.load(tiny_model)
    assert getattr(classifier, "languages", None) == getattr(base, "languages", None)
    assert json.loads((Path(result.directory or "") / "adapted.json").read_text())["base_version"] == base.version


def test_over_the_shipped_default_the_head_reads_the_openings_the_colour_gate_already_embedded() -> None:
    from models.adapted import WORDS, Head, features

    base, _ = registry.load(registry.shipped_default())
    rng = np.random.default_rng(0)
    head = Head(rng.normal(size=(3, 3 + 512 + WORDS)) * 0.1, np.zeros(3), 1.0)
    classifier = AdaptedClassifier("adapted-test", base, head)
    texts = ["We will not renew; thank you for the years together.", "Das Update ist großartig, danke!",
             "Can we move the QBR to Thursday?"]
    expected = head.probabilities(features(texts, base.predict_proba(texts)))  # the openings embedded afresh
    assert np.allclose(classifier.predict_proba(texts), expected, atol=1e-5)


def test_a_language_the_head_reads_worse_keeps_the_base_s_reading() -> None:
    from models.adapted import Head

    x = np.hstack([np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])), np.ones((2, 2))])
    head = Head(np.array([[0, 0, 0, 0, 5.0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]), np.zeros(3), 1.0, base_only=["de"])
    found = head.probabilities(x, ["de", "en"])
    assert np.allclose(found[0], [0.7, 0.2, 0.1], atol=1e-6)  # German: the base's own probabilities
    assert found[1].argmax() == 0 and not np.allclose(found[1], [0.1, 0.2, 0.7])  # English: the head's
    assert np.allclose(head.probabilities(x), head.probabilities(x, ["en", "en"]))  # no languages: the head


def test_a_language_with_enough_labels_gets_a_head_of_its_own_that_survives_the_artifact(tmp_path: Path) -> None:
    from models.adapted import Head
    from training.adapt import LANGUAGE_HEAD_FROM, fit_by_language

    # the same word means Red in one language's messages and Green in the other's: one shared head cannot
    # read both, a head per language can
    n = LANGUAGE_HEAD_FROM + 10
    word = np.tile([1.0, 0.0], n)[:, None]
    languages = ["de"] * n + ["en"] * n
    y = np.concatenate([np.where(word[:n, 0] > 0, 0, 2), np.where(word[n:, 0] > 0, 2, 0)])
    x = np.hstack([np.log(np.full((2 * n, 3), 1 / 3)), np.vstack([word[:n], word[n:]])])
    head = fit_by_language(x, y, np.ones(2 * n), languages)
    assert sorted(head.by_language) == ["de", "en"]
    assert (head.probabilities(x, languages).argmax(axis=1) == y).all()
    assert (head.probabilities(x).argmax(axis=1) == y).mean() <= 0.5  # the shared head alone: a coin
    few = fit_by_language(x[: n + 5], y[: n + 5], np.ones(n + 5), languages[: n + 5])
    assert list(few.by_language) == ["de"]  # five English labels share the head
    assert not fit_by_language(x, y, np.ones(2 * n), ["und"] * (2 * n)).by_language  # no clear language: shared
    head.save(tmp_path)
    loaded = Head.load(tmp_path, {"language_heads": list(head.by_language)})
    assert np.allclose(loaded.probabilities(x, languages), head.probabilities(x, languages))
