"""Server-rendered SVG charts (no JavaScript): stacked bars over time, horizontal bars with
an interval, a mark and a reference line, and lines with marked points.

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


def _open(chart_id: str, title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]


def _close(parts: list[str]) -> Markup:
    parts.append("</svg>")
    # Every value in ``parts`` was formatted or escaped here: nothing user-supplied is raw.
    return Markup("".join(parts))  # noqa: S704 - built from escaped text and numbers only


def _grid(ticks: list[tuple[float, float]], left: int, right: int, language: str) -> list[str]:
    """Horizontal grid lines at (value, y) with the value as a short amount on the left."""
    return [
        f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dae1" '
        'stroke-width="1"/>'
        f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
        f'fill="#5b6470">{escape(compact(t, language))}</text>'
        for t, y in ticks
    ]


def stacked_bars(
    periods: list[str],
    series: list[Series],
    *,
    title: str,
    language: str,
    width: int = 760,
    height: int = 260,
    chart_id: str = "chart-title",
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
    parts = _open(chart_id, title, width, height)
    parts += _grid([(t, y(t)) for t in ticks], left, width - right, language)
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
    return _close(parts)


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
    # Groups already summed as OTHER (by the database) stay in the "other" series.
    ranked = sorted((g for g in totals if g != OTHER), key=lambda g: (-abs(totals[g]), g))
    keep, rest = ranked[:limit], ranked[limit:] + [OTHER] * (OTHER in totals)
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


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of ``bar_rows``: a solid bar to ``value``, a lighter one on to ``extend``,
    a whisker over ``band`` and a black tick at ``mark`` (each optional but the value)."""

    label: str
    value: float
    extend: float | None = None
    band: tuple[float, float] | None = None
    mark: float | None = None
    over: bool = False
    """Drawn in the warning colour (over a budget or a cap)."""


def _fmt(v: float, unit: str, language: str) -> str:
    return f"{v:+.1f} {unit}" if unit == "%" else compact(v, language)


def bar_rows(
    rows: list[Bar],
    *,
    title: str,
    language: str,
    unit: str = "",
    reference: float | None = None,
    reference_label: str = "",
    chart_id: str = "chart-title",
    width: int = 760,
) -> Markup:
    """Horizontal bars, one per row, with an optional vertical reference line (a cap)."""
    if not rows:
        return Markup("")
    left, right, top, row_h = 150, 16, 22, 22
    height = top + row_h * len(rows) + 24
    values = [0.0] if reference is None else [0.0, reference]
    for r in rows:
        values += [r.value, *(v for v in (r.extend, r.mark) if v is not None), *(r.band or ())]
    low, high = min(values), max(values)
    ticks = nice_ticks(high) if high > 0 else [0.0]
    high = max(ticks[-1], high) or 1.0
    if low < 0:
        low = -nice_ticks(-low)[-1]
    span = high - low or 1.0

    def x(v: float) -> float:
        return left + (v - low) / span * (width - left - right)

    parts = _open(chart_id, title, width, height)
    for t in [*(-t for t in nice_ticks(-low)[1:] if low < 0), *ticks]:
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 4}" y2="{height - 22}" '
            'stroke="#d5dae1" stroke-width="1"/>'
            f'<text x="{x(t):.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
            f'fill="#5b6470">{escape(_fmt(t, unit, language) if unit != "%" else f"{t:g}")}'
            "</text>"
        )
    for i, r in enumerate(rows):
        y = top + i * row_h
        colour = "#D55E00" if r.over else "#0072B2"
        x0, x1 = sorted((x(0.0), x(r.value)))
        tip = f"{r.label} · {r.value:+.1f} %" if unit == "%" else f"{r.label} · {r.value:,.0f}"
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="#1f2933">{escape(r.label)}</text>'
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 0.5):.1f}" height="14" '
            f'fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        if r.extend is not None and r.extend > r.value:
            parts.append(
                f'<rect x="{x(r.value):.1f}" y="{y + 4}" '
                f'width="{max(x(r.extend) - x(r.value), 0.5):.1f}" height="14" fill="{colour}" '
                f'fill-opacity="0.35"><title>{r.extend:,.0f}</title></rect>'
            )
        if r.band is not None:
            b0, b1 = x(r.band[0]), x(r.band[1])
            parts.append(
                f'<path d="M{b0:.1f} {y + 11}H{b1:.1f}M{b0:.1f} {y + 6}V{y + 16}'
                f'M{b1:.1f} {y + 6}V{y + 16}" stroke="#1f2933" stroke-width="1.2" fill="none"/>'
            )
        if r.mark is not None:
            parts.append(
                f'<rect x="{x(r.mark) - 1.5:.1f}" y="{y + 1}" width="3" height="20" '
                f'fill="#000000"><title>{r.mark:,.0f}</title></rect>'
            )
    if reference is not None:
        parts.append(
            f'<line x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="{top - 6}" '
            f'y2="{height - 22}" stroke="#D55E00" stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text x="{x(reference) + 4:.1f}" y="{top - 8}" font-size="11" fill="#9a3f00">'
            f"{escape(reference_label)}</text>"
        )
    return _close(parts)


def lines(
    periods: list[str],
    series: list[Series],
    *,
    title: str,
    language: str,
    marks: dict[str, set[int]] | None = None,
    chart_id: str = "chart-title",
    width: int = 760,
    height: int = 240,
) -> Markup:
    """One line per series over ``periods``; ``marks[key]`` circles points of that series
    (anomalous days), each circle titled with its period and value."""
    if not periods or not series:
        return Markup("")
    left, right, top, bottom = 64, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((max(s.values, default=0.0) for s in series), default=0.0))
    high = ticks[-1] or 1.0
    step = plot_w / max(len(periods) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + (high - max(v, 0.0)) / high * plot_h

    parts = _open(chart_id, title, width, height)
    parts += _grid([(t, xy(0, t)[1]) for t in ticks], left, width - right, language)
    every = max(1, math.ceil(len(periods) / 8))
    for i, period in enumerate(periods):
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 10}" font-size="11" '
                f'text-anchor="middle" fill="#5b6470">{escape(period)}</text>'
            )
    for s in series:
        points = " ".join(
            f"{px:.1f},{py:.1f}" for px, py in (xy(i, v) for i, v in enumerate(s.values))
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="1.6">'
            f"<title>{escape(s.label)}</title></polyline>"
        )
        for i in sorted((marks or {}).get(s.key, set())):
            px, py = xy(i, s.values[i])
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="none" stroke="#D55E00" '
                f'stroke-width="2.5"><title>{escape(s.label)} · {escape(periods[i])} · '
                f"{s.values[i]:,.0f}</title></circle>"
            )
    return _close(parts)
