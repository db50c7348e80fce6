"""One pipeline for documents in Japanese: a Jinja2 template rendered to HTML, and the
same HTML laid out as PDF by WeasyPrint — used by incident, exercise and policy reports.

PDFs use a Japanese font (IPAex or Noto CJK, from the Debian packages
``fonts-ipaexfont`` / ``fonts-noto-cjk``), embedded so that the text can be searched and
copied — fit to send to executives and the national channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment

from rengo.core.errors import InvalidInput, Problem

FORMATS = ("html", "pdf")
JAPANESE_FONT_FILES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def japanese_font() -> str | None:
    """A Japanese font file WeasyPrint will find through fontconfig, or ``None``."""
    return next((p for p in JAPANESE_FONT_FILES if Path(p).is_file()), None)


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@dataclass(frozen=True, slots=True)
class Rendered:
    """A finished document, ready to download or write to a file."""

    filename: str
    media_type: str
    content: bytes


def render(
    environment: Environment, template: str, context: dict[str, Any], fmt: str, stem: str
) -> Rendered:
    """``template`` of ``environment`` as ``stem.html`` or ``stem.pdf``."""
    if fmt not in FORMATS:
        raise InvalidInput("unknown format", [Problem("html or pdf", "field format")])
    html = environment.get_template(template).render(**context)
    if fmt == "html":
        return Rendered(f"{stem}.html", "text/html; charset=utf-8", html.encode())
    return Rendered(f"{stem}.pdf", "application/pdf", to_pdf(html))
