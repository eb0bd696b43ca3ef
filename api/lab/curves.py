"""An adapted version's learning curve: macro-F1 on held-out confirmed labels against how many it learned from,
as stored in its metrics (training.adapted_version), and drawn as an SVG on the server (no script)."""

from __future__ import annotations

from html import escape
from typing import Any

from api.model_versions.models import ModelVersion

WIDTH, HEIGHT = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 130, 18, 40
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 4", "10 4")


def learning_curve(version: ModelVersion) -> list[dict[str, Any]]:
    """The stored curve of a version ([] for one that was not adapted from confirmed labels)."""
    held_out = (version.metrics or {}).get("held_out_confirmed") or {}
    points = held_out.get("curve") or []
    return [p for p in points if isinstance(p, dict) and "n" in p and "macro_f1" in p]


def _series(points: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """Overall first, then each language that has a figure at two points or more."""
    found: dict[str, list[tuple[int, float]]] = {"all": [(int(p["n"]), float(p["macro_f1"])) for p in points]}
    languages = sorted({lang for p in points for lang in (p.get("languages") or {})})
    for language in languages:
        line = [(int(p["n"]), float(p["languages"][language])) for p in points if language in (p.get("languages")
                                                                                               or {})]
        if len(line) >= 2:
            found[language] = line
    return found


def svg(points: list[dict[str, Any]], title: str) -> str:
    """The curve as a standalone SVG: one line overall (with its 95% interval as a band) and one per language."""
    series = _series(points)
    xs = [n for line in series.values() for n, _ in line] or [0, 1]
    ys = [f for line in series.values() for _, f in line] + [v for p in points for v in (p.get("ci") or [])]
    x_max = max(max(xs), 1)
    y_low, y_high = max(min(ys, default=0.0) - 0.05, 0.0), min(max(ys, default=1.0) + 0.05, 1.0)
    if y_high - y_low < 0.1:
        y_low, y_high = max(y_low - 0.05, 0.0), min(y_high + 0.05, 1.0)

    def at(n: float, f: float) -> tuple[float, float]:
        x = LEFT + (WIDTH - LEFT - RIGHT) * n / x_max
        y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - (f - y_low) / (y_high - y_low))
        return round(x, 1), round(y, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'class="learning-curve" font-family="sans-serif" font-size="11">', f"<title>{escape(title)}</title>"]
    parts += _axes(at, x_max, y_low, y_high)
    band = [(p["n"], p["ci"]) for p in points if len(p.get("ci") or []) == 2]
    if len(band) >= 2:
        upper = [at(n, ci[1]) for n, ci in band]
        lower = [at(n, ci[0]) for n, ci in reversed(band)]
        parts.append(f'<polygon points="{" ".join(f"{x},{y}" for x, y in upper + lower)}" fill="#2563eb" '
                     'fill-opacity="0.12"><title>95% interval</title></polygon>')
    for index, (name, line) in enumerate(series.items()):
        colour, dash = ("#2563eb", "") if name == "all" else ("#555", DASHES[index % len(DASHES)])
        coords = " ".join(f"{x},{y}" for x, y in (at(n, f) for n, f in line))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width='
                     f'"{2.5 if name == "all" else 1.5}" stroke-dasharray="{dash}" data-series="{escape(name)}"/>')
        for n, f in line:
            x, y = at(n, f)
            parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"><title>{escape(name)}: macro-F1 '
                         f'{f:.3f} after {n} labels</title></circle>')
        ly = TOP + 14 * index
        parts.append(f'<line x1="{WIDTH - RIGHT + 12}" y1="{ly}" x2="{WIDTH - RIGHT + 36}" y2="{ly}" '
                     f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
                     f'<text x="{WIDTH - RIGHT + 40}" y="{ly + 4}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _axes(at: Any, x_max: int, y_low: float, y_high: float) -> list[str]:
    """Both axes, their ticks and labels."""
    x0, y0 = at(0, y_low)
    x1, y1 = at(x_max, y_high)
    found = [f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/>',
             f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>',
             f'<text x="{(x0 + x1) / 2}" y="{HEIGHT - 6}" text-anchor="middle">confirmed labels learned from</text>',
             f'<text x="12" y="{(y0 + y1) / 2}" transform="rotate(-90 12 {(y0 + y1) / 2})" text-anchor="middle">'
             "macro-F1 on held-out labels</text>"]
    for step in range(5):
        n = round(x_max * step / 4)
        x, _ = at(n, y_low)
        found.append(f'<text x="{x}" y="{y0 + 14}" text-anchor="middle">{n}</text>')
        f = y_low + (y_high - y_low) * step / 4
        _, y = at(0, f)
        found.append(f'<text x="{x0 - 4}" y="{y + 4}" text-anchor="end">{f:.2f}</text>'
                     f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#ddd"/>')
    return found
