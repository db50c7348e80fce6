"""The logic-model diagram as server-side SVG: one column per stage, boxes and arrows.

Drawn from the data (no JavaScript), with Japanese labels, sized for an A4 landscape page
so that it prints and embeds in the PDF. The SVG is ``role="img"`` with a title; pages
put a table of the same content beside it for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from rengo.ebpm.policies import LogicModel
from rengo.ebpm.vocabulary import STAGES

COLUMN_WIDTH = 170
GAP = 34
BOX_PADDING = 8
LINE_HEIGHT = 16
SMALL_LINE_HEIGHT = 14
CHARS_PER_LINE = 12
"""Full-width characters that fit a box line at 13 px."""
HEADER_HEIGHT = 34
MARGIN = 10
FONT = "IPAexGothic, 'Noto Sans CJK JP', 'Hiragino Sans', sans-serif"


def wrap(text: str, width: int = CHARS_PER_LINE) -> list[str]:
    """Lines of at most ``width`` full-width characters (half-width ones count half)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0.0
        for char in paragraph:
            cost = 0.5 if ord(char) < 0x2E80 else 1.0
            if used + cost > width and line:
                lines.append(line)
                line, used = "", 0.0
            line += char
            used += cost
        lines.append(line)
    return lines


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    height: float
    lines: list[str]
    small: list[str]


def _column_boxes(model: LogicModel, index: int, stage: str) -> list[_Box]:
    x = MARGIN + index * (COLUMN_WIDTH + GAP)
    y = float(MARGIN + HEADER_HEIGHT + 8)
    boxes = []
    for element in (e for e in model.elements if e.stage == stage):
        lines = wrap(element.text)
        small = [
            line
            for indicator in model.indicators_of(element.id)
            for line in wrap(f"◆ {indicator.name}", CHARS_PER_LINE + 2)
        ]
        height = (
            2 * BOX_PADDING
            + len(lines) * LINE_HEIGHT
            + (len(small) * SMALL_LINE_HEIGHT + 4 if small else 0)
        )
        boxes.append(_Box(x, y, height, lines, small))
        y += height + 12
    return boxes


def render_svg(model: LogicModel, language: str = "ja", title: str | None = None) -> Markup:
    columns = [_column_boxes(model, i, stage) for i, stage in enumerate(STAGES)]
    bottom = max(
        [b.y + b.height for boxes in columns for b in boxes] or [MARGIN + HEADER_HEIGHT + 60.0]
    )
    width = 2 * MARGIN + len(STAGES) * COLUMN_WIDTH + (len(STAGES) - 1) * GAP
    height = int(bottom + MARGIN)
    label = title or model.policy.title
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="logic-model" role="img" '
        f'aria-labelledby="lm-title-{model.policy.id}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" font-family="{FONT}">',
        f'<title id="lm-title-{model.policy.id}">{escape(label)}</title>',
        '<defs><marker id="lm-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    mid = (MARGIN + HEADER_HEIGHT + bottom) / 2
    for index, (stage, term) in enumerate(STAGES.items()):
        x = MARGIN + index * (COLUMN_WIDTH + GAP)
        fill = "#e8f0fb" if stage not in ("short_term", "mid_term", "impact") else "#e9f7ec"
        parts.append(
            f'<rect x="{x}" y="{MARGIN}" width="{COLUMN_WIDTH}" height="{HEADER_HEIGHT - 6}" '
            f'rx="4" fill="#24527a"/>'
            f'<text x="{x + COLUMN_WIDTH / 2}" y="{MARGIN + 19}" text-anchor="middle" '
            f'font-size="13" font-weight="bold" fill="#fff">{escape(term.label(language))}</text>'
        )
        for box in columns[index]:
            parts.append(
                f'<rect x="{box.x}" y="{box.y}" width="{COLUMN_WIDTH}" height="{box.height}" '
                f'rx="6" fill="{fill}" stroke="#24527a" stroke-width="1.2"/>'
            )
            ty = box.y + BOX_PADDING + 12
            for line in box.lines:
                parts.append(
                    f'<text x="{box.x + BOX_PADDING}" y="{ty}" font-size="13" fill="#111">'
                    f"{escape(line)}</text>"
                )
                ty += LINE_HEIGHT
            if box.small:
                ty += 4
                for line in box.small:
                    parts.append(
                        f'<text x="{box.x + BOX_PADDING}" y="{ty}" font-size="11" '
                        f'fill="#1d5e2c">{escape(line)}</text>'
                    )
                    ty += SMALL_LINE_HEIGHT
        if index < len(STAGES) - 1:
            x1 = x + COLUMN_WIDTH + 2
            parts.append(
                f'<line x1="{x1}" y1="{mid}" x2="{x1 + GAP - 4}" y2="{mid}" stroke="#444" '
                f'stroke-width="2" marker-end="url(#lm-arrow)"/>'
            )
    parts.append("</svg>")
    # Every text inserted above is escaped; the rest are numbers we computed.
    return Markup("".join(parts))  # noqa: S704
