"""A version adapted to one team: its base version, unchanged, and a head refitted on the labels its people
confirmed.

The head reads what the base already says of a text (its log-probabilities) beside the multilingual encoder's
embedding of the text's opening (the part the colour gate reads) and the text's own words, hashed, and gives
new logits; a temperature fitted
on the team's own held-out labels calibrates them. Everything else is the base's: the languages it declares,
its cues, its token windows and so the fair batching of long texts. The artifact holds the base whole under
`base/`, so it is sealed and verified as one.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.classifier import Plan, Planned, planned_proba, softmax
from models.language import identify

KIND = "adapted-head"
BASE = "base"
HEAD = "head.safetensors"
CONFIG = "adapted.json"
METHOD = "base log-probabilities, encoder embedding of the opening, words and word pairs hashed into 2^14"
"""What the head reads; part of every adapted version's id, so a change here makes new versions."""


def base_log_probabilities(probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
    """What the head reads of the base's answer: its log-probabilities, floored so none is infinite."""
    return np.log(np.clip(probabilities, 1e-6, 1.0))


WORDS = 1 << 14
"""Buckets of the hashed words and word pairs the head reads: a team's own words (product names, their
customers' slang, a word the base never saw) count from their first confirmed labels."""
_WORD = re.compile(r"(?u)\b\w\w+\b")


def words(texts: Sequence[str]) -> NDArray[np.float64]:
    """Each text's words and adjacent word pairs (lower case), hashed into WORDS buckets, counts L2-normalised."""
    found = np.zeros((len(texts), WORDS))
    for row, text in enumerate(texts):
        tokens = _WORD.findall(text.casefold())
        for term in [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]:
            found[row, zlib.crc32(term.encode("utf-8", "surrogatepass")) % WORDS] += 1.0
    norms = np.linalg.norm(found, axis=1, keepdims=True)
    return np.asarray(found / np.where(norms > 0, norms, 1.0), dtype=np.float64)


def features(texts: Sequence[str], probabilities: NDArray[np.float64],
             openings: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """The head's input for texts the base gave `probabilities`: the base's log-probabilities, the
    multilingual encoder's embedding of each text's opening (`openings`, where the base already read them),
    and its hashed words."""
    if openings is None:
        from models.colour import gate_text
        from models.encoder import embed

        openings = embed([gate_text(t) for t in texts])
    return np.hstack([base_log_probabilities(probabilities), openings, words(texts)])


class Head:
    """Softmax regression over `features`, then a temperature: logits = (X @ coef.T + intercept) / temperature;
    for text in a language of `base_only` (where the head read the team's labels worse than the base), the
    base's own probabilities."""

    def __init__(self, coef: NDArray[np.float64], intercept: NDArray[np.float64], temperature: float,
                 base_only: Sequence[str] = ()) -> None:
        self.coef, self.intercept, self.temperature = coef, intercept, float(temperature)
        self.base_only = tuple(sorted(base_only))

    def probabilities(self, x: NDArray[np.float64],
                      languages: Sequence[str | None] | None = None) -> NDArray[np.float64]:
        """The head's probabilities for feature rows x; `languages` (one per row) lets base_only ones through."""
        if len(x) == 0:
            return np.zeros((0, 3))
        found = softmax((x @ self.coef.T + self.intercept) / self.temperature)
        if self.base_only and languages is not None:
            rows = np.array([language in self.base_only for language in languages], dtype=bool)
            if rows.any():
                found[rows] = softmax(x[rows, :3])  # the base's log-probabilities, back to probabilities
        return found

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        save_file({"coef": np.ascontiguousarray(self.coef), "intercept": np.ascontiguousarray(self.intercept),
                   "temperature": np.array([self.temperature])}, str(directory / HEAD))

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> Head:
        """The head in an artifact directory, with the settings of its adapted.json."""
        from safetensors.numpy import load_file

        arrays = load_file(str(directory / HEAD))
        return cls(arrays["coef"].astype(np.float64), arrays["intercept"].astype(np.float64),
                   float(arrays["temperature"][0]), config.get("base_only_languages", ()))


def finish_base(base: Any, plan: Plan, outputs: NDArray[np.float64]
                ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """A planned base's probabilities, and the openings it embedded on the way where it did (the router's
    colour gate), so the head never embeds them a second time."""
    if hasattr(base, "finish_with_openings"):
        found: tuple[NDArray[np.float64], NDArray[np.float64] | None] = base.finish_with_openings(plan, outputs)
        return found
    return base.finish(plan, outputs), None


def read(base: Any, texts: Sequence[str]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The base's probabilities for texts and the head's features of them, in one pass of the base."""
    if isinstance(base, Planned):
        plan = base.plan(texts)
        probabilities, openings = finish_base(base, plan, base.run(plan.units))
    else:
        probabilities, openings = np.asarray(base.predict_proba(texts), dtype=np.float64), None
    return probabilities, features(texts, probabilities, openings)


class AdaptedClassifier:
    """The base version's reading of a text, refined by the team's head."""

    def __init__(self, version: str, base: Any, head: Head) -> None:
        self._version = version
        self.base = base
        self.head = head
        self.languages = getattr(base, "languages", None)  # the base's languages: the head adds none
        self.cue_head = getattr(base, "cue_head", None)

    @property
    def version(self) -> str:
        return self._version

    def plan(self, texts: Sequence[str]) -> Plan:
        """The base's units of work (a long text's token windows stay apart, so batching stays fair)."""
        if isinstance(self.base, Planned):
            inner = self.base.plan(texts)
            return Plan(units=inner.units, context=(inner, list(texts)))
        return Plan(units=list(texts), context=(None, list(texts)))

    def run(self, units: Sequence[Any]) -> NDArray[np.float64]:
        if isinstance(self.base, Planned):
            return self.base.run(units)
        return np.asarray(self.base.predict_proba(list(units)), dtype=np.float64)

    def finish(self, plan: Plan, outputs: NDArray[np.float64]) -> NDArray[np.float64]:
        inner, texts = plan.context
        probabilities, openings = (outputs, None) if inner is None else finish_base(self.base, inner, outputs)
        if not texts:
            return np.zeros((0, 3))
        languages = [identify(t).code for t in texts] if self.head.base_only else None
        return self.head.probabilities(features(texts, probabilities, openings), languages)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return planned_proba(self, texts)

    @classmethod
    def load(cls, directory: Path, version: str, base: Any, base_manifest: dict[str, Any]) -> AdaptedClassifier:
        """From a verified artifact directory and its base (loaded by models.registry from base/)."""
        from models.artifacts import ArtifactError

        config = json.loads((directory / CONFIG).read_text())
        if base_manifest["version"] != config["base_version"]:
            raise ArtifactError(f"{directory}: base/ holds {base_manifest['version']}, not {config['base_version']}")
        if config.get("features") != METHOD:
            raise ArtifactError(f"{directory}: its head reads {config.get('features')!r}; this Pulse reads "
                                f"{METHOD!r}: adapt again (`pulse models adapt`)")
        return cls(version, base, Head.load(directory, config))
