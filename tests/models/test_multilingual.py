"""The multilingual model: English to the transformer, other languages to the encoder and its head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import registry
from models.batching import MicroBatcher
from models.language import identify
from models.multilingual import MultilingualRouter, passages
from training.datasets import read_csv
from training.multilingual import train_router
from training.train import TrainingError


def test_passages_cut_long_text_at_sentence_ends_within_the_limit() -> None:
    text = " ".join(f"Satz Nummer {n} handelt von der Rechnung." for n in range(200))
    pieces = passages(text, limit=300)
    assert all(len(p) <= 300 for p in pieces) and len(pieces) > 20
    assert " ".join(pieces).split() == text.split()
    assert passages("x" * 2500, limit=1000) == ["x" * 1000, "x" * 1000, "x" * 500]


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, labelled_csv: Path) -> MultilingualRouter:
    folder = tmp_path_factory.mktemp("models")
    red_green = folder / "red_green.csv"
    red_green.write_text("text,label\nDas ist wunderbar. Danke!,Green\nDas ist eine Katastrophe.,Red\n"
                         "Che bello. Grazie mille!,Green\nÈ un disastro totale.,Red\n", encoding="utf-8")
    train_router(registry.ARTIFACTS_DIR / "minilm-lora", read_csv(labelled_csv), folder / "router",
                 red_green=read_csv(red_green))
    classifier, manifest = registry.load(folder / "router")
    assert manifest["kind"] == "multilingual-router" and isinstance(classifier, MultilingualRouter)
    assert manifest["data"]["red_green"]["rows"] == 4
    assert "Red-versus-Green rows" in (folder / "router" / "MODEL_CARD.md").read_text()
    return classifier


def test_red_green_data_may_not_hold_yellow(tmp_path: Path, labelled_csv: Path) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("text,label\nGut.,Green\nNa ja.,Yellow\n", encoding="utf-8")
    with pytest.raises(TrainingError, match="row 3 is Yellow"):
        train_router(registry.ARTIFACTS_DIR / "minilm-lora", read_csv(labelled_csv), tmp_path / "out",
                     red_green=read_csv(mixed))


def test_each_text_takes_its_route_and_the_english_route_is_the_transformer(router: MultilingualRouter) -> None:
    texts = ["The export failed again and nobody answers our tickets.",
             "Die Rechnung ist schon wieder falsch und niemand antwortet uns.",
             "ok"]
    assert router.routes(texts) == [False, True, False]
    probs = router.predict_proba(texts)
    assert np.allclose(probs.sum(axis=1), 1.0)
    transformer, _ = registry.load(registry.ARTIFACTS_DIR / "minilm-lora")
    assert np.allclose(probs[[0, 2]], transformer.predict_proba([texts[0], texts[2]]), atol=1e-6)
    assert set(router.languages) >= {"en", "de", "es", "it", "nl", "pt"}


def test_a_short_line_the_full_identifier_cannot_place_is_still_routed_when_it_is_clearly_not_english(
        router: MultilingualRouter) -> None:
    texts = ["Pero nos van a cancelar todo.", "Nadie nos contesta nunca.", "Thanks, that works for us now."]
    assert [identify(text, 0.5).code for text in texts] == ["und", "und", "en"]
    assert router.routes(texts) == [True, True, False]


def test_units_of_both_routes_share_the_micro_batcher_and_give_the_same_answer(router: MultilingualRouter) -> None:
    long_german = " ".join(["Die Schnittstelle ist seit Tagen nicht erreichbar und niemand meldet sich."] * 60)
    texts = [long_german, "Thanks, the new release is excellent!", "La factura sigue siendo incorrecta."]
    plan = router.plan(texts)
    kinds = [kind for kind, _ in plan.units]
    assert kinds.count("u") == len(passages(long_german)) + 1 and "t" in kinds
    # Run in any grouping, as the batcher does: the answer is the same as one call.
    outputs = np.vstack([router.run(plan.units[i : i + 3]) for i in range(0, len(plan.units), 3)])
    assert np.allclose(router.finish(plan, outputs), router.predict_proba(texts), atol=1e-6)
    batcher = MicroBatcher(router, max_texts=4)
    assert np.allclose(batcher.predict_proba(texts), router.predict_proba(texts), atol=1e-6)


def test_the_encoder_reads_a_bounded_part_of_each_text() -> None:
    """A 200 KB "sentence" with no break in it cost the encoder 30 to 70 s; it now reads the first
    EMBED_MAX_CHARS of any text, as the colour gate reads the first GATE_CHARS of a message."""
    from models.colour import GATE_CHARS
    from models.encoder import EMBED_MAX_CHARS, embed

    assert EMBED_MAX_CHARS >= GATE_CHARS  # the gate's openings are embedded whole
    head = "We will not renew. " * 150
    long, bounded = head + "x@" * 50_000, (head + "x@" * 50_000)[:EMBED_MAX_CHARS]
    assert np.allclose(embed([long]), embed([bounded]))
    assert not np.allclose(embed([head[:300]]), embed([bounded]))  # what it reads still matters
