"""The language a text is written in, by py3langid (its model ships inside the package; nothing is downloaded).

A model version declares the languages it reads (`languages` in its config); a text identified with
confidence as another language is `unsupported`: its suggestion is still made and stored, but marked,
with its confidence capped below the low-confidence line, so that a person looks at it first. Short or
mixed texts that the identifier is unsure of are `und` (undetermined) and never flagged: "OK, thanks!"
must not be sent to the front of the queue as a foreign language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

UNDETERMINED = "und"
MIN_LETTERS = 12
"""Texts with fewer letters than this are too short to identify."""
MIN_PROBABILITY = 0.8
"""Below this normalised probability the identifier's answer is not trusted."""
SAMPLE_CHARS = 2000
"""Identification reads at most this much of a text (its start): enough, and bounded on a 200 KB thread."""
UNSUPPORTED_CONFIDENCE_CAP = 0.5
"""The highest confidence a suggestion for a text in a language the model does not read may show."""

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class Language:
    """An ISO 639-1 code (or `und`) and the identifier's probability for it."""

    code: str
    probability: float


@cache
def _identifier(languages: tuple[str, ...] | None = None) -> Any:
    """py3langid's identifier over all its languages, or choosing only among `languages`."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages is not None:
        identifier.set_languages(list(languages))
    return identifier


@lru_cache(maxsize=4096)
def _classified(sample: str) -> tuple[str, float]:
    """The identifier's best language and its probability. Cached: a text is identified when it is
    recorded and again when the multilingual model routes it, in the same call."""
    code, probability = _identifier().classify(sample)
    return str(code), float(probability)


@lru_cache(maxsize=4096)
def _share(sample: str, wanted: tuple[str, ...], among: tuple[str, ...]) -> float:
    return float(sum(p for code, p in _identifier(among).rank(sample) if code in wanted))


def share_among(text: str, wanted: tuple[str, ...], among: tuple[str, ...]) -> float | None:
    """The identifier's probability that the text is in one of `wanted`, when it may only choose among
    `among` (sorted, `wanted` included); None when the text is too short to identify at all.

    Choosing among fewer languages is what routing needs: a short Spanish line that the full identifier
    cannot tell from Galician or Catalan is still clearly not English."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTERS.findall(sample)) < MIN_LETTERS:
        return None
    return _share(sample, tuple(sorted(wanted)), tuple(sorted(among)))


def identify(text: str, min_probability: float = MIN_PROBABILITY) -> Language:
    """The language of a text; `und` when it is too short or the identifier is less sure than min_probability."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTERS.findall(sample)) < MIN_LETTERS:
        return Language(UNDETERMINED, 0.0)
    code, probability = _classified(sample)
    if probability < min_probability:
        return Language(UNDETERMINED, round(float(probability), 4))
    return Language(str(code), round(float(probability), 4))


def supported(language: Language, languages: tuple[str, ...] | None) -> bool:
    """Whether a model that reads `languages` (None: any) reads text in this language."""
    return languages is None or language.code == UNDETERMINED or language.code in languages


def capped(probabilities: dict[Any, float], cap: float) -> dict[Any, float]:
    """Probabilities mixed with the uniform distribution just enough that none exceeds `cap` (the label,
    the argmax, stays the same; an already uncertain answer is left as it is)."""
    top = max(probabilities.values())
    floor = 1.0 / len(probabilities)
    if top <= cap or top <= floor:
        return probabilities
    mix = (cap - floor) / (top - floor)
    return {label: mix * p + (1 - mix) * floor for label, p in probabilities.items()}
