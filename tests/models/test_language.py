"""Language identification, and what a model does with text in a language it does not read."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from models import explain
from models.labels import Label
from models.language import UNDETERMINED, capped, identify


def test_languages_are_identified_and_short_text_is_undetermined() -> None:
    assert identify("Die Schnittstelle ist seit Tagen nicht erreichbar und niemand meldet sich.").code == "de"
    assert identify("Merci beaucoup pour la correction rapide, tout fonctionne.").code == "fr"
    assert identify("The export failed again and our finance close is blocked.").code == "en"
    assert identify("請求書がまた間違っています。").code == "ja"
    assert identify("OK thanks!").code == UNDETERMINED
    # Bounded work: a 200 KB thread is identified from its start.
    assert identify("Die Rechnung ist schon wieder falsch und niemand antwortet uns. " * 4000).code == "de"


def test_capping_keeps_the_label_and_holds_the_top_at_the_cap() -> None:
    sure = {Label.RED: 0.9, Label.YELLOW: 0.06, Label.GREEN: 0.04}
    held = capped(sure, 0.5)
    assert max(held, key=held.__getitem__) == Label.RED and abs(held[Label.RED] - 0.5) < 1e-9
    assert abs(sum(held.values()) - 1) < 1e-9 and held[Label.YELLOW] > held[Label.GREEN]
    unsure = {Label.RED: 0.4, Label.YELLOW: 0.35, Label.GREEN: 0.25}
    assert capped(unsure, 0.5) == unsure


class EnglishOnly:
    """A deterministic model that reads English and is always sure the text is Red."""

    version = "fake-en"
    languages = ("en",)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return np.tile([0.9, 0.06, 0.04], (len(texts), 1))


def test_a_prediction_names_its_language_and_is_capped_where_the_model_cannot_read() -> None:
    texts = ["The export failed again and nobody answers.", "La factura sigue siendo incorrecta y nadie responde.",
             "ok"]
    english, spanish, short = explain.predict(EnglishOnly(), texts, explain=False, language_cap=0.5)
    assert (english.language, english.unsupported_language, english.confidence) == ("en", False, 0.9)
    assert (spanish.language, spanish.unsupported_language) == ("es", True)
    assert spanish.label == Label.RED and abs(spanish.confidence - 0.5) < 1e-9
    assert (short.language, short.unsupported_language) == (UNDETERMINED, False)
    explained = explain.predict(EnglishOnly(), texts[1:2], language_cap=0.5)[0]
    assert explained.unsupported_language and explained.confidence <= 0.5 + 1e-9
