"""The ordered colour scale every part of Pulse speaks: Red < Yellow < Green."""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """A sentiment colour; comparisons follow the scale Red < Yellow < Green."""

    RED = "Red"
    YELLOW = "Yellow"
    GREEN = "Green"

    @property
    def rank(self) -> int:
        """Position on the ordered scale: Red 0, Yellow 1, Green 2."""
        return LABELS.index(self)

    @classmethod
    def parse(cls, value: str) -> Label:
        """Read a label, accepting any letter case; raise ValueError naming the choices."""
        for label in LABELS:
            if label.value.lower() == str(value).strip().lower():
                return label
        raise ValueError(f"label must be one of Red, Yellow, Green, got {value!r}")


LABELS: tuple[Label, ...] = (Label.RED, Label.YELLOW, Label.GREEN)


def shift(suggested: Label, chosen: Label) -> int:
    """Signed steps from the suggestion to the human choice: positive is rosier, negative harsher."""
    return chosen.rank - suggested.rank
