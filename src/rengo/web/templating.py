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
from rengo.core.wards import JOINT, tenant_codes, tenant_name, wards
from rengo.web import errors, i18n, nav
from rengo.web.deps import Caller

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
env = templates.env
env.add_extension("jinja2.ext.i18n")
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
env.globals.update(
    version=__version__,
    JOINT=JOINT,
    wards=wards,
    tenant_codes=tenant_codes,
    current_language=i18n.current_language,
)


def _jst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_jst(value).strftime(fmt)


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _tenant(code: str | None) -> str:
    if not code:
        return ""
    try:
        return tenant_name(code, i18n.current_language())
    except KeyError:
        return code


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
    tenant=_tenant,
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
