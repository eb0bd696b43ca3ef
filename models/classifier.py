"""The interface the service depends on: any model that turns texts into calibrated suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from models.labels import LABELS, Label


@dataclass(frozen=True)
class Evidence:
    """A sentence of the input and how much it pushed the prediction towards its label.

    method "occlusion": weight is the drop in the label's probability when the sentence is left out.
    method "standalone": weight is the label's probability for the sentence read alone (used when no
    single sentence's removal lowers the label, as with evenly neutral text).
    """

    text: str
    start: int
    end: int
    weight: float
    method: str = "occlusion"


@dataclass(frozen=True)
class Cue:
    """A named risk or health signal in a text (models.cues.KINDS), with the sentence that carries it."""

    kind: str
    score: float
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class Prediction:
    """One text's suggestion: the label, calibrated probabilities and the evidence behind it."""

    label: Label
    probabilities: dict[Label, float]
    model_version: str
    explanation: list[Evidence] = field(default_factory=list)
    language: str | None = None  # ISO 639-1, or "und" when too short or unsure to tell
    unsupported_language: bool = False  # the model does not read this language: confidence capped
    cues: list[Cue] = field(default_factory=list)  # empty where the version has no cue head

    @property
    def confidence(self) -> float:
        """Probability of the chosen label."""
        return self.probabilities[self.label]

    @property
    def margin(self) -> float:
        """Gap between the two most likely labels; small means the model is torn."""
        top = sorted(self.probabilities.values(), reverse=True)
        return top[0] - top[1]


class Classifier(Protocol):
    """A loaded model version. Implementations are loaded once and shared by every request."""

    @property
    def version(self) -> str:
        """The immutable model version that produced every prediction."""
        ...

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities, one row per text, columns in the order Red, Yellow, Green."""
        ...


@dataclass(frozen=True)
class Plan:
    """A call's work split into units that can share model calls with other texts' units."""

    units: list[Any]
    context: Any


@runtime_checkable
class Planned(Protocol):
    """A model whose work on texts splits into units (a transformer's token windows), run in any grouping.

    plan -> run (on any batches of units, in any order) -> finish gives what predict_proba gives.
    """

    def plan(self, texts: Sequence[str]) -> Plan:
        """The texts' units of work, and what finish needs to put their outputs back together."""
        ...

    def run(self, units: Sequence[Any]) -> NDArray[np.float64]:
        """The outputs of some units, one row each."""
        ...

    def finish(self, plan: Plan, outputs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities per text from the outputs of all of the plan's units, in order."""
        ...


def planned_proba(model: Planned, texts: Sequence[str]) -> NDArray[np.float64]:
    """predict_proba of a planned model, all of a call's units in one run."""
    if not texts:
        return np.zeros((0, 3))
    plan = model.plan(texts)
    return model.finish(plan, model.run(plan.units))


def languages_of(classifier: object) -> tuple[str, ...] | None:
    """The languages a model version reads (ISO 639-1 codes), or None where it does not say (any)."""
    inner = getattr(classifier, "inner", None)  # a MicroBatcher wraps the model
    declared = getattr(inner if inner is not None else classifier, "languages", None)
    return tuple(declared) if declared else None


def cue_head_of(classifier: object) -> Any:
    """The cue head a model version carries (`find(texts) -> list[list[Cue]]`), or None."""
    inner = getattr(classifier, "inner", None)  # a MicroBatcher wraps the model
    return getattr(inner if inner is not None else classifier, "cue_head", None)


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


def to_prediction(version: str, probs: NDArray[np.float64]) -> Prediction:
    """Build a Prediction from one row of calibrated probabilities."""
    probabilities = {label: float(p) for label, p in zip(LABELS, probs, strict=True)}
    label = LABELS[int(np.argmax(probs))]
    return Prediction(label=label, probabilities=probabilities, model_version=version)
