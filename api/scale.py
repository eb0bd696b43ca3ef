"""The scale people decide on: Red / Yellow / Green, or a finer one whose every point maps onto a colour.

PULSE_SCALE is `ryg` (the default), `six` (Extremely satisfied … Severe risk), or a JSON list of points,
each `{"name": ..., "colour": "Red|Yellow|Green", "definition": ...}`. Decisions record the point chosen
beside its colour; the model, the audit and the exports keep working on the colours. PULSE_GUIDELINES
(JSON, by point or colour name) gives each a short definition that the queue shows beside the choice.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.labels import Label

COLOUR_DEFINITIONS = {
    "Red": "At risk: escalations, blockers left unresolved, doubts about renewing.",
    "Yellow": "Neither: mixed signals, routine business, or too little to tell.",
    "Green": "Healthy: satisfied, engaged, growing.",
}
SIX = [
    ("Extremely satisfied", "Green", "Champions: expanding, referring others, praising the product unprompted."),
    ("Satisfied", "Green", "Happy and engaged; no open concerns."),
    ("Somewhat satisfied", "Yellow", "Content on the whole, with small issues or little engagement."),
    ("Somewhat at risk", "Yellow", "Concerns raised, adoption slipping, or a champion wavering."),
    ("At risk", "Red", "Escalations, unresolved blockers or doubts about renewal."),
    ("Severe risk", "Red", "Churn threatened or likely: cancellation talk, a competitor chosen, budget cut."),
]


class ScalePoint(BaseModel):
    """One point of the scale and the colour it counts as."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    colour: Label
    definition: str = Field(default="", max_length=300)


class Scale(BaseModel):
    """Answer of GET /v1/scale."""

    name: str = Field(description="ryg, six or custom")
    points: list[ScalePoint]


def parse(value: str, guidelines: dict[str, str] | None = None) -> Scale:
    """The scale a PULSE_SCALE value names, with PULSE_GUIDELINES' definitions; ValueError naming what is wrong."""
    guidelines = guidelines or {}
    text = value.strip()
    if text in ("", "ryg"):
        name, raw = "ryg", [{"name": c, "colour": c, "definition": COLOUR_DEFINITIONS[c]} for c in ("Red", "Yellow",
                                                                                                  "Green")]
    elif text == "six":
        name, raw = "six", [{"name": n, "colour": c, "definition": d} for n, c, d in SIX]
    else:
        try:
            loaded: Any = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"scale must be ryg, six or a JSON list of points, got {value[:80]!r}") from None
        if not isinstance(loaded, list) or len(loaded) < 2:
            raise ValueError("scale as JSON must be a list of at least two points {name, colour, definition}")
        name, raw = "custom", loaded
    try:
        points = [ScalePoint.model_validate(p) for p in raw]
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(f"scale point {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    names = [p.name for p in points]
    if len(set(names)) != len(names):
        raise ValueError(f"scale points must have distinct names, got {', '.join(names)}")
    missing = {c.value for c in Label} - {p.colour.value for p in points}
    if missing:
        raise ValueError(f"every colour needs a point on the scale; none is {', '.join(sorted(missing))}")
    for point in points:
        point.definition = guidelines.get(point.name) or guidelines.get(point.colour.value) or point.definition
    return Scale(name=name, points=points)


def colour_of(scale: Scale, point: str) -> Label | None:
    """The colour a point counts as, or None when the point is not on the scale."""
    return next((p.colour for p in scale.points if p.name == point), None)
