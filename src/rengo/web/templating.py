"""Jinja2 templates with the request's language, the menu and formatting filters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from rengo import __version__
from rengo.core.clock import to_jst
from rengo.core.permissions import ROLE_NAMES
from rengo.core.vocabulary import Term
from rengo.core.wards import JOINT, tenant_codes, tenant_name, wards
from rengo.targets.registry import PERIOD_NAMES, STATUS_NAMES, UNIT_NAMES
from rengo.web import errors, i18n, nav
from rengo.web.deps import Caller

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
env = templates.env
env.add_extension("jinja2.ext.i18n")
env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
)
# ``tojson`` keeps Japanese readable (住民, not \u4f4f\u6c11); it still escapes <, >, & and '.
env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
env.globals.update(
    version=__version__,
    JOINT=JOINT,
    wards=wards,
    tenant_codes=tenant_codes,
    current_language=i18n.current_language,
    ROLE_NAMES=ROLE_NAMES,
    TARGET_STATUSES=STATUS_NAMES,
    TARGET_PERIODS=PERIOD_NAMES,
    TARGET_UNITS=UNIT_NAMES,
)
"""Vocabularies (``rengo.core.vocabulary``) that templates name with the ``term`` filter; a
domain's pages add their own (``env.globals.update(...)``)."""


def _jst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_jst(value).strftime(fmt)


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _date(value: date | None) -> str:
    if isinstance(value, datetime):  # a moment: its day in Tokyo, never the raw stamp
        return to_jst(value).date().isoformat()
    return value.isoformat() if value else ""


def tenant_label(code: str | None) -> str:
    """A ward's name in the current language (the code itself when unknown)."""
    if not code:
        return ""
    try:
        return tenant_name(code, i18n.current_language())
    except KeyError:
        return code


def term(key: str | None, terms: dict[str, Term]) -> str:
    """A vocabulary key's name in the current language: ``{{ u.role | term(ROLE_NAMES) }}``.
    An unknown key is shown as is (the visible-text test finds it)."""
    found = terms.get(key) if key else None
    return found.label(i18n.current_language()) if found else (key or "")


def _sparkline(points: list[float | None], width: int = 96, height: int = 24) -> Markup:
    """A tiny inline SVG trend line (no JavaScript); gaps where there is no value."""
    values = [p for p in points if p is not None]
    if len(values) < 2:
        return Markup("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(1, len(points) - 1)
    segments: list[list[str]] = [[]]
    for i, p in enumerate(points):
        if p is None:
            segments.append([])
            continue
        y = height - 2 - (p - low) / span * (height - 4)
        segments[-1].append(f"{i * step:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{" ".join(s)}"/>'
        for s in segments
        if len(s) > 1
    )
    # Only numbers we formatted go into the markup: nothing user-supplied.
    return Markup(  # noqa: S704
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-hidden="true" focusable="false">{lines}</svg>'
    )


env.filters.update(
    jst=_jst,
    number=_number,
    isodate=_date,
    tenant=tenant_label,
    term=term,
    sparkline=_sparkline,
    problem=errors.problem_message,
)


def render(
    request: Request,
    caller: Caller,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with what every page needs (user, menu, CSRF token, language)."""
    base = {
        "request": request,
        "principal": caller.principal,
        "csrf_token": caller.csrf_token,
        "menu": nav.menu(caller.principal),
        "lang": i18n.current_language(),
        "path": request.url.path,
    }
    base.update(context or {})
    return templates.TemplateResponse(request, template, base, status_code=status_code)
