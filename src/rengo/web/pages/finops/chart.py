"""Server-rendered SVG charts (no JavaScript): stacked cost bars over time.

Every series has a colour from the Okabe–Ito palette (distinguishable with common colour
vision deficiencies) *and* a text legend; each bar segment carries a ``<title>`` with its
group, period and amount, and the page shows the same figures as a table — the chart is
never the only way to read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
)
OTHER = "__other__"


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    colour: str
    values: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.values)


def compact(value: float, language: str) -> str:
    """A short amount for axis ticks: 1.2億 / 350万 in Japanese, 1.2B / 350K in English."""
    sign, v = ("-" if value < 0 else ""), abs(value)
    steps = ((1e8, "億"), (1e4, "万")) if language == "ja" else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, unit in steps:
        if v >= size:
            scaled = v / size
            return f"{sign}{scaled:,.1f}".rstrip("0").rstrip(".") + unit
    return f"{sign}{v:,.0f}"


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if high <= 0:
        return [0.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(high / step) + 1)]


def stacked_bars(
    periods: list[str],
    series: list[Series],
    *,
    title: str,
    language: str,
    width: int = 760,
    height: int = 260,
) -> Markup:
    """A stacked bar per period; negative amounts (credits) are drawn below the axis."""
    if not periods or not series:
        return Markup("")
    left, right, top, bottom = 64, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    ups = [sum(max(s.values[i], 0.0) for s in series) for i in range(len(periods))]
    downs = [sum(min(s.values[i], 0.0) for s in series) for i in range(len(periods))]
    ticks = nice_ticks(max(ups, default=0.0))
    low = min(downs, default=0.0)
    high = ticks[-1] or 1.0
    span = high - low or 1.0

    def y(v: float) -> float:
        return top + (high - v) / span * plot_h

    slot = plot_w / len(periods)
    bar = max(1.0, slot * 0.78)
    parts = [
        f'<svg class="finops-chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="chart-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            'stroke="#d5dae1" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b6470">{escape(compact(t, language))}</text>'
        )
    every = max(1, math.ceil(len(periods) / 12))
    for i, period in enumerate(periods):
        x = left + i * slot + (slot - bar) / 2
        base_up = base_down = 0.0
        for s in series:
            v = s.values[i]
            if v == 0:
                continue
            if v > 0:
                y0, y1 = y(base_up + v), y(base_up)
                base_up += v
            else:
                y0, y1 = y(base_down), y(base_down + v)
                base_down += v
            parts.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" '
                f'fill="{s.colour}"><title>{escape(s.label)} · {escape(period)} · '
                f"{v:,.0f}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - 10}" font-size="11" '
                f'text-anchor="middle" fill="#5b6470">{escape(period)}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
        'stroke="#5b6470" stroke-width="1"/>'
    )
    parts.append("</svg>")
    # Every value above was formatted or escaped here: nothing user-supplied is raw.
    return Markup("".join(parts))  # noqa: S704


def top_series(
    rows: list[tuple[str, str, float]],
    periods: list[str],
    labels: dict[str, str],
    other_label: str,
    limit: int = 8,
) -> list[Series]:
    """(period, group, cost) rows → the ``limit`` largest groups and one "other" series."""
    totals: dict[str, float] = {}
    cell: dict[tuple[str, str], float] = {}
    for period, group, cost in rows:
        totals[group] = totals.get(group, 0.0) + cost
        cell[(group, period)] = cell.get((group, period), 0.0) + cost
    ranked = sorted(totals, key=lambda g: (-abs(totals[g]), g))
    keep, rest = ranked[:limit], ranked[limit:]
    out = [
        Series(
            g,
            labels.get(g, g),
            PALETTE[i % len(PALETTE)],
            tuple(cell.get((g, p), 0.0) for p in periods),
        )
        for i, g in enumerate(keep)
    ]
    if rest:
        out.append(
            Series(
                OTHER,
                other_label,
                "#c8ccd2",
                tuple(sum(cell.get((g, p), 0.0) for g in rest) for p in periods),
            )
        )
    return out
