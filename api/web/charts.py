"""Charts drawn on the server as inline SVG: nothing is fetched, nothing runs in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from models.labels import LABELS, Label

FILL = {"Red": "#d64545", "Yellow": "#e0a100", "Green": "#2f9e5b"}


@dataclass(frozen=True)
class Point:
    """One mark on the pulse chart: a person's pulse or the model's roll-up suggestion."""

    at: datetime
    label: str
    human: bool
    title: str


def pulse_chart(points: list[Point], width: int = 760, height: int = 170) -> Markup:
    """The account's pulse over time: a step line through the human pulses, rings for the model's roll-ups."""
    left, right, top, bottom = 70, 16, 14, 26
    inner_w, inner_h = width - left - right, height - top - bottom
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'xmlns="http://www.w3.org/2000/svg"><title>Account pulse over time</title>']
    for label in LABELS:
        y = top + inner_h - label.rank * inner_h / 2
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{label}</text>')
    if not points:
        parts.append(f'<text x="{left + inner_w / 2}" y="{top + inner_h / 2}" text-anchor="middle" font-size="13" '
                     'fill="#777">No pulse or roll-up yet</text></svg>')
        return Markup("".join(parts))
    start, end = min(p.at for p in points), max(p.at for p in points)
    span = max((end - start).total_seconds(), 1.0)

    def xy(point: Point) -> tuple[float, float]:
        x = left + ((point.at - start).total_seconds() / span) * inner_w if end > start else left + inner_w / 2
        return x, top + inner_h - Label(point.label).rank * inner_h / 2

    human = sorted((p for p in points if p.human), key=lambda p: p.at)
    if len(human) > 1:
        path, previous = [], None
        for point in human:
            x, y = xy(point)
            path.append(f"M{x:.1f},{y:.1f}" if previous is None else f"H{x:.1f}V{y:.1f}")
            previous = (x, y)
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="#555" stroke-width="1.5"/>')
    for point in points:
        x, y = xy(point)
        title = escape(point.title)
        if point.human:
            parts.append(f'<circle class="pulse-point" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{FILL[point.label]}">'
                         f'<title>{title}</title></circle>')
        else:
            parts.append(f'<circle class="model-point" cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" '
                         f'stroke="{FILL[point.label]}" stroke-width="2"><title>{title}</title></circle>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11" fill="#555">{start:%Y-%m-%d}</text>'
                 f'<text x="{width - right}" y="{height - 6}" font-size="11" fill="#555" text-anchor="end">'
                 f'{end:%Y-%m-%d}</text></svg>')
    return Markup("".join(parts))


def interval(value: float | None, low: float | None, high: float | None, bound: float = 1.0,
             width: int = 180, height: int = 22) -> Markup:
    """A point with its interval on a scale from -bound (harsher) to +bound (rosier), zero marked."""
    if value is None:
        return Markup('<span class="muted">too few</span>')

    def x(v: float) -> float:
        v = max(-bound, min(bound, v))
        return 6 + (v + bound) / (2 * bound) * (width - 12)

    lo, hi = (low if low is not None else value), (high if high is not None else value)
    colour = "#2f6fd6" if lo > 0 or hi < 0 else "#777"
    return Markup(
        f'<svg class="interval" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{value:+.3f} (95% interval {lo:+.3f} to {hi:+.3f})</title>'
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="2" y2="{height - 2}" stroke="#bbb"/>'
        f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{height / 2}" y2="{height / 2}" stroke="{colour}" '
        f'stroke-width="3"/><circle cx="{x(value):.1f}" cy="{height / 2}" r="4" fill="{colour}"/></svg>')


def heat(count: int, total: int, diagonal: bool) -> str:
    """A cell's background for the confusion heatmap: green-ish on the diagonal, red-ish off it."""
    share = count / total if total else 0.0
    alpha = 0.08 + 0.8 * share if count else 0.0
    return f"rgba(47,158,91,{alpha:.2f})" if diagonal else f"rgba(214,69,69,{alpha:.2f})"


TREND_COLOURS = ("#2563eb", "#9333ea", "#0891b2", "#ea580c", "#4b5563")


def trend_chart(weeks: list[tuple[str, str, float, float | None, float | None]], width: int = 760,
                height: int = 200) -> Markup:
    """Weekly override rate by model version: one line each, with its 95% interval as a band.

    `weeks` holds (week as ISO date, model version, override rate, interval low, interval high).
    """
    left, right, top, bottom = 48, 180, 12, 30
    inner_w, inner_h = width - left - right, height - top - bottom
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'xmlns="http://www.w3.org/2000/svg"><title>Override rate by week and model version</title>']
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + inner_h - share * inner_h
        parts.append(f'<line x1="{left}" x2="{left + inner_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{share:.0%}</text>')
    days = sorted({w for w, *_ in weeks})
    if not days:
        parts.append(f'<text x="{left + inner_w / 2}" y="{top + inner_h / 2}" text-anchor="middle" font-size="13" '
                     'fill="#777">No weeks yet</text></svg>')
        return Markup("".join(parts))
    step = inner_w / max(len(days) - 1, 1)
    x_of = {day: left + (i * step if len(days) > 1 else inner_w / 2) for i, day in enumerate(days)}
    for i, day in enumerate(days):
        if len(days) <= 12 or i % max(len(days) // 12, 1) == 0:
            parts.append(f'<text x="{x_of[day]:.1f}" y="{height - 10}" text-anchor="middle" font-size="10">'
                         f'{escape(day[5:])}</text>')
    versions = sorted({v for _, v, *_ in weeks})
    for index, version in enumerate(versions):
        colour = TREND_COLOURS[index % len(TREND_COLOURS)]
        rows = sorted((w, rate, low, high) for w, v, rate, low, high in weeks if v == version)
        points = [(x_of[w], top + inner_h - rate * inner_h) for w, rate, _, _ in rows]
        for (w, rate, low, high), (x, y) in zip(rows, points, strict=True):
            if low is not None and high is not None:
                parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + inner_h - high * inner_h:.1f}" '
                             f'y2="{top + inner_h - low * inner_h:.1f}" stroke="{colour}" stroke-opacity=".35" '
                             'stroke-width="6"/>')
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(version)} week '
                         f'{escape(w)}: {rate:.0%} overridden</title></circle>')
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<rect x="{left + inner_w + 12}" y="{top + index * 18}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + inner_w + 26}" y="{top + index * 18 + 9}" font-size="11">'
                     f'{escape(version[:26])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
