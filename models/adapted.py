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
METHOD = ("base log-probabilities, encoder embedding of the opening, words and word pairs hashed into 2^14; "
          "a head of its own for each language with enough labels")
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
    """Softmax regression over `features`, then a temperature: logits = (X @ coef.T + intercept) / temperature.
    A language with a head of its own (`by_language`: code -> (coef, intercept), fitted on that language's
    labels alone, so one language's labels never move another's reading) is read by it; text in a language of
    `base_only` (where the head read the team's labels worse than the base) keeps the base's own probabilities."""

    def __init__(self, coef: NDArray[np.float64], intercept: NDArray[np.float64], temperature: float,
                 base_only: Sequence[str] = (),
                 by_language: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] | None = None) -> None:
        self.coef, self.intercept, self.temperature = coef, intercept, float(temperature)
        self.base_only = tuple(sorted(base_only))
        self.by_language = dict(sorted((by_language or {}).items()))

    @property
    def reads_languages(self) -> bool:
        """Whether a text's language changes how it is read (and so must be identified)."""
        return bool(self.base_only or self.by_language)

    def logits(self, x: NDArray[np.float64], languages: Sequence[str | None] | None = None) -> NDArray[np.float64]:
        """Logits before the temperature: each row by its language's head where it has one."""
        found = x @ self.coef.T + self.intercept
        if self.by_language and languages is not None:
            for language, (coef, intercept) in self.by_language.items():
                rows = np.array([lang == language for lang in languages], dtype=bool)
                if rows.any():
                    found[rows] = x[rows] @ coef.T + intercept
        return np.asarray(found, dtype=np.float64)

    def probabilities(self, x: NDArray[np.float64],
                      languages: Sequence[str | None] | None = None) -> NDArray[np.float64]:
        """The head's probabilities for feature rows x; `languages` (one per row) picks each row's head and lets
        base_only ones through."""
        if len(x) == 0:
            return np.zeros((0, 3))
        found = softmax(self.logits(x, languages) / self.temperature)
        if self.base_only and languages is not None:
            rows = np.array([language in self.base_only for language in languages], dtype=bool)
            if rows.any():
                found[rows] = softmax(x[rows, :3])  # the base's log-probabilities, back to probabilities
        return found

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        arrays = {"coef": self.coef, "intercept": self.intercept, "temperature": np.array([self.temperature])}
        for language, (coef, intercept) in self.by_language.items():
            arrays |= {f"coef@{language}": coef, f"intercept@{language}": intercept}
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(directory / HEAD))

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> Head:
        """The head in an artifact directory, with the settings of its adapted.json."""
        from safetensors.numpy import load_file

        arrays = {k: v.astype(np.float64) for k, v in load_file(str(directory / HEAD)).items()}
        by_language = {language: (arrays[f"coef@{language}"], arrays[f"intercept@{language}"])
                       for language in config.get("language_heads", ())}
        return cls(arrays["coef"], arrays["intercept"], float(arrays["temperature"][0]),
                   config.get("base_only_languages", ()), by_language)


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
        languages = [identify(t).code for t in texts] if self.head.reads_languages else None
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
