"""The cost explorer page and its drill-down to billing rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import allows, narrow_to_visible, require
from rengo.core.wards import is_tenant
from rengo.finops.explorer import DIMENSIONS, CostQuery
from rengo.finops.settings import FinopsSettings
from rengo.web import charts
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.errors import error_message, problem_text
from rengo.web.i18n import _, current_language
from rengo.web.pages.finops.common import (
    DIMENSION_LABELS,
    explorer_for,
    last_day,
    parse_date,
    value_label,
)
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
FILTERS = (
    "ward",
    "business_system",
    "provider",
    "service",
    "service_category",
    "region",
    "charge_category",
    "sub_account",
    "shared_pool",
)
CHOICES_FROM_LAKE = ("provider", "service", "region", "charge_category")
MAX_COLUMNS = 31
ROWS_PER_PAGE = 50


@dataclass(slots=True)
class Form:
    """The explorer's query as the page's form holds it (every value a plain string)."""

    start: date
    end: date
    group_by: str
    granularity: str
    metric: str
    filters: dict[str, str]
    tag: str

    def params(self, **override: str) -> dict[str, str]:
        out = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "group_by": self.group_by,
            "granularity": self.granularity,
            "metric": self.metric,
            **self.filters,
            "tag": self.tag,
        }
        out.update(override)
        return {k: v for k, v in out.items() if v}

    def query_string(self, **override: str) -> str:
        return urlencode(self.params(**override))


def read_form(request: Request, default_end: date, default_group: str = "ward") -> Form:
    qp = request.query_params
    end = parse_date(qp.get("end"), default_end)
    start = parse_date(qp.get("start"), (end.replace(day=1) - timedelta(days=335)).replace(day=1))
    group_by = qp.get("group_by", default_group)
    return Form(
        start=start,
        end=end,
        group_by=group_by
        if group_by in DIMENSIONS or group_by.startswith("tag:")
        else default_group,
        granularity="day" if qp.get("granularity") == "day" else "month",
        metric="billed" if qp.get("metric") == "billed" else "effective",
        filters={k: qp[k] for k in FILTERS if qp.get(k)},
        tag=qp.get("tag", ""),
    )


def build_query(principal: Any, form: Form, *, group: bool = True) -> CostQuery:
    """The explorer query for ``form``, narrowed to the wards ``principal`` may see."""
    wards = narrow_to_visible(principal, "finops.costs.read", form.filters.get("ward") or None)
    filters = {k: [v] for k, v in form.filters.items() if k != "ward"}
    if form.tag:
        key, sep, value = form.tag.partition("=")
        if not sep or not key:
            raise InvalidInput("invalid tag filter", [Problem("write key=value", "tag")])
        filters[f"tag:{key}"] = [value]
    return CostQuery(
        form.start,
        form.end,
        [form.group_by] if group else [],
        form.granularity,
        form.metric,
        filters,
        wards,
    )


def dimension_name(dimension: str) -> str:
    if dimension.startswith("tag:"):
        return _("tag %(key)s") % {"key": dimension[4:]}
    return _(DIMENSION_LABELS.get(dimension, dimension))


@dataclass(slots=True)
class TopGroups:
    """The explorer's table: the ``top`` largest groups, then one row for all the others."""

    groups: list[str]
    totals: dict[str, float]
    cells: dict[tuple[str, str], float]
    period_totals: dict[str, float]
    other: int
    """How many groups the "other" row holds (0: none)."""
    top: int | None


TOP_CHOICES = (10, 25, 100)


def read_top(request: Request) -> int | None:
    """How many groups the table lists before "other" (``?top=all``: every group)."""
    text = request.query_params.get("top", "")
    if text == "all":
        return None
    return int(text) if text.isdigit() and int(text) in TOP_CHOICES else TOP_CHOICES[0]


def top_groups(flat: list[tuple[str, str, float]], top: int | None, count: int) -> TopGroups:
    """The table of ``flat`` (period, group, cost) cells: the groups as ranked, the summed
    others (``charts.OTHER``, ``count`` groups in all) last."""
    totals: dict[str, float] = {}
    cells: dict[tuple[str, str], float] = {}
    period_totals: dict[str, float] = {}
    for period, group, cost in flat:
        totals[group] = totals.get(group, 0.0) + cost
        period_totals[period] = period_totals.get(period, 0.0) + cost
        cells[(group, period)] = cells.get((group, period), 0.0) + cost
    ranked = sorted((g for g in totals if g != charts.OTHER), key=lambda g: (-abs(totals[g]), g))
    if charts.OTHER in totals:
        ranked.append(charts.OTHER)
    rest = max(0, count - len(ranked) + 1) if charts.OTHER in totals else 0
    return TopGroups(ranked, totals, cells, period_totals, rest, top)


def partial_periods(periods: list[str], form: Form, last: date) -> set[str]:
    """Month columns the range or the data covers only in part (the current month)."""
    if form.granularity != "month":
        return set()
    out = set()
    for p in periods:
        first = date.fromisoformat(p + "-01")
        end = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if form.start > first or min(form.end, last) < end:
            out.add(p)
    return out


def _period_bounds(period: str, form: Form) -> tuple[str, str]:
    """Charge days of one period column, clipped to the form's range."""
    if len(period) == 10:
        return period, period
    first = date.fromisoformat(period + "-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return max(first, form.start).isoformat(), min(last, form.end).isoformat()


@router.get("/finops/explorer", response_class=HTMLResponse)
def explorer_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    require(principal, "finops.costs.read")
    ex = explorer_for(runtime, session)
    today = runtime.clock.now().date()
    # A ward sees one ward: its systems are the first breakdown it needs.
    form = read_form(
        request, last_day(ex, today), "ward" if principal.is_joint else "business_system"
    )
    problems: list[Any] = []
    rows: list[Any] = []
    group_count = 0
    try:
        q = build_query(principal, form)
        q.check()
        top = read_top(request)
        rows, group_count = (ex.costs(q), 0) if top is None else ex.top_costs(q, top, charts.OTHER)
        unpriced, unpriced_by_currency = ex.unpriced(q)
    except InvalidInput as error:
        problems = [error_message(error), *(problem_text(p) for p in error.problems)]
        unpriced, unpriced_by_currency = 0, {}
    periods = sorted({r.period for r in rows})
    labels = {g: value_label(form.group_by, g) for g in {r.groups[0] for r in rows}}
    labels[charts.OTHER] = _("Other")
    flat = [(r.period, r.groups[0], r.cost) for r in rows]
    series = charts.top_series(flat, periods, labels, _("Other"))
    title = _("Cost by %(dimension)s") % {"dimension": dimension_name(form.group_by)}
    svg = charts.stacked_bars(periods, series, title=title, language=current_language())
    table = top_groups(flat, read_top(request), group_count)
    drillable = form.group_by in FILTERS or form.group_by.startswith("tag:")
    choices: dict[str, list[str]] = {}
    if not problems:
        for dim in CHOICES_FROM_LAKE:
            choices[dim] = ex.distinct(dim, CostQuery(form.start, form.end, wards=q.wards))
    return render(
        request,
        caller,
        "finops/explorer.html",
        {
            "form": form,
            "rows": rows,
            "periods": periods,
            "groups": table.groups,
            "labels": labels,
            "totals": table.totals,
            "cells": table.cells,
            "period_totals": table.period_totals,
            "grand_total": sum(table.period_totals.values()),
            "other": table.other,
            "top": table.top,
            "top_choices": TOP_CHOICES,
            "other_key": charts.OTHER,
            "partial": partial_periods(periods, form, last_day(ex, today)),
            "svg": svg,
            "series": series,
            "title": title,
            "show_columns": len(periods) <= MAX_COLUMNS,
            "problems": problems,
            "unpriced": unpriced,
            "unpriced_by_currency": unpriced_by_currency,
            "dimensions": DIMENSION_LABELS,
            "dimension_name": dimension_name,
            "business_systems": BUSINESS_SYSTEMS,
            "choices": choices,
            "currency": runtime.settings.section(FinopsSettings).currency,
            "drillable": drillable,
            "period_bounds": _period_bounds,
            "can_rows": allows(principal, "finops.rows.read"),
        },
    )


@router.get("/finops/rows", response_class=HTMLResponse)
def rows_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    """The billing rows behind a figure of the explorer (reading raw rows is audited)."""
    require(principal, "finops.rows.read")
    ex = explorer_for(runtime, session)
    form = read_form(request, last_day(ex, runtime.clock.now().date()))
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
    q = build_query(principal, form, group=False)
    total, items = ex.rows(q, limit=ROWS_PER_PAGE, offset=(page - 1) * ROWS_PER_PAGE)
    ward = form.filters.get("ward") or (None if principal.is_joint else principal.tenant)
    audit.record(
        session,
        principal,
        "finops.rows.read",
        object_type="finops_rows",
        object_tenant=ward if ward and is_tenant(ward) else None,
        detail={"returned": len(items), "matching": total, "filters": form.params()},
        client=client_address(request),
    )
    return render(
        request,
        caller,
        "finops/rows.html",
        {
            "form": form,
            "total": total,
            "items": items,
            "page_no": page,
            "pages": max(1, -(-total // ROWS_PER_PAGE)),
            "dimensions": DIMENSION_LABELS,
            "value_label": value_label,
            "currency": runtime.settings.section(FinopsSettings).currency,
        },
    )
