"""Pages of collection: "are all wards sending?" and the quarantine with its replay.

The status page turns ``collect_stats`` into a ward × day table (each cell a count, its
shade only repeating the number), totals per class and source, the newest event per
ward, and a warning (``role=alert``) naming the wards silent for ``soc.silent_ward_hours``.
Ward staff see their own ward only; the joint centre every ward.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import allows, narrow_to_visible, visible_tenants
from rengo.core.types import TenantCode
from rengo.core.wards import is_tenant
from rengo.soc.quarantine import quarantined, replay, summary
from rengo.soc.service import store_for
from rengo.soc.settings import SocSettings
from rengo.soc.stats import collect_stats
from rengo.web import charts
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_, current_language, gettext
from rengo.web.nav import NavItem
from rengo.web.templating import render, tenant_label

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", N_("Collection status"), "/soc/status", "soc.stats.read", order=24),
    NavItem("m1", N_("Quarantine"), "/soc/quarantine", "soc.quarantine.manage", order=25),
]
DAY_CHOICES = (7, 14, 30)
QUARANTINE_PAGE = 50
RAW_SHOWN = 4096


def _heat(events: int, peak: int) -> int:
    """Shade 0–4 on a log scale (0 only for no events at all)."""
    if events <= 0 or peak <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * math.log1p(events) / math.log1p(peak))))


def _status_context(stats: Any, wards: list[TenantCode], days: int) -> dict[str, Any]:
    today = stats.until.date()
    columns = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    grid: dict[str, dict[date, int]] = {w: defaultdict(int) for w in wards}
    per_class: dict[str, int] = defaultdict(int)
    per_source: dict[tuple[str, str], int] = defaultdict(int)
    for row in stats.counts:
        grid.setdefault(row["ward"], defaultdict(int))[row["day"]] += row["events"]
        per_class[f"{row['class_name']} ({row['class_uid']})"] += row["events"]
        per_source[(row["ward"], row["source"] or "—")] += row["events"]
    peak = max((n for cells in grid.values() for n in cells.values()), default=0)
    rows = [
        (
            ward,
            [(day, grid[ward].get(day, 0), _heat(grid[ward].get(day, 0), peak)) for day in columns],
            sum(grid[ward].values()),
        )
        for ward in sorted(grid)
    ]
    flat = [
        (day.isoformat(), ward, float(n))
        for ward, cells in grid.items()
        for day, n in cells.items()
    ]
    periods = [d.isoformat() for d in columns]
    labels = {w: tenant_label(w) for w in grid}
    series = charts.top_series(flat, periods, labels, gettext("Other"))
    title = gettext("Events per ward and day")
    return {
        "svg": charts.stacked_bars(
            [d.strftime("%m-%d") for d in columns], series, title=title, language=current_language()
        ),
        "series": series,
        "chart_title": title,
        "columns": columns,
        "rows": rows,
        "per_class": sorted(per_class.items(), key=lambda kv: -kv[1]),
        "per_source": sorted(per_source.items(), key=lambda kv: (kv[0][0], -kv[1])),
    }


@router.get("/soc/status", response_class=HTMLResponse)
def status_page(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> HTMLResponse:
    wards = visible_tenants(principal, "soc.stats.read")
    raw_days = request.query_params.get("days") or "14"
    if not raw_days.isdigit() or int(raw_days) not in DAY_CHOICES:
        raise InvalidInput("invalid period", [Problem(f"one of {DAY_CHOICES}", "days")])
    days = int(raw_days)
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False)
    stats = collect_stats(
        store.lake,
        wards=wards,
        now=runtime.clock.now(),
        days=days,
        silent_hours=runtime.settings.section(SocSettings).silent_ward_hours,
    )
    context = {
        "stats": stats,
        "days": days,
        "day_choices": DAY_CHOICES,
        "silent_hours": runtime.settings.section(SocSettings).silent_ward_hours,
        "can_quarantine": allows(principal, "soc.quarantine.manage"),
        **_status_context(stats, list(stats.last_seen), days),
    }
    return render(request, caller, "soc/status.html", context)


def _shown(raw: bytes | None) -> tuple[str, bool]:
    """Raw bytes as text for a page: undecodable bytes as \\xNN escapes, cut at 4 KiB."""
    data = raw or b""
    return data[:RAW_SHOWN].decode("utf-8", errors="backslashreplace"), len(data) > RAW_SHOWN


@router.get("/soc/quarantine", response_class=HTMLResponse)
def quarantine_page(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> HTMLResponse:
    qp = request.query_params
    ward = qp.get("ward") or None
    if ward is not None and not is_tenant(ward):
        raise InvalidInput("unknown ward", [Problem(f"{ward!r} is not a ward", "ward")])
    wards = narrow_to_visible(principal, "soc.quarantine.manage", ward)
    source = qp.get("source") or None
    page = int(qp["page"]) if qp.get("page", "").isdigit() and int(qp["page"]) > 0 else 1
    lake = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False).lake
    rows = quarantined(
        lake,
        wards=wards,
        source=source,
        limit=QUARANTINE_PAGE + 1,
        offset=(page - 1) * QUARANTINE_PAGE,
    )
    records = [
        {**r, "shown": _shown(r["raw"]), "size": len(r["raw"] or b"")}
        for r in rows[:QUARANTINE_PAGE]
    ]
    flash = None
    if qp.get("replayed", "").isdigit() and qp.get("failing", "").isdigit():
        flash = gettext("%(n)s records parse now and were sent again; %(m)s still fail.") % {
            "n": qp["replayed"],
            "m": qp["failing"],
        }
    base = {k: v for k, v in (("ward", ward), ("source", source)) if v}
    context = {
        "groups": summary(lake, wards=wards),
        "records": records,
        "ward": ward,
        "source": source,
        "can_pick_ward": visible_tenants(principal, "soc.quarantine.manage") is None,
        "page": page,
        "flash": flash,
        "flash_kind": "",
        "prev_link": f"/soc/quarantine?{urlencode({**base, 'page': page - 1})}"
        if page > 1
        else None,
        "next_link": f"/soc/quarantine?{urlencode({**base, 'page': page + 1})}"
        if len(rows) > QUARANTINE_PAGE
        else None,
    }
    return render(request, caller, "soc/quarantine.html", context)


@router.post("/soc/quarantine/replay")
async def replay_post(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    ward = str(form.get("ward") or "") or None
    source = str(form.get("source") or "") or None
    if ward is not None and not is_tenant(ward):
        raise InvalidInput("unknown ward", [Problem(f"{ward!r} is not a ward", "field ward")])
    wards = narrow_to_visible(principal, "soc.quarantine.manage", ward)
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings))
    report = await run_in_threadpool(replay, store.lake, store.spool, wards=wards, source=source)
    audit.record(
        session,
        principal,
        "soc.quarantine.manage",
        object_type="soc_quarantine",
        object_tenant=ward,
        client=client_address(request),
        detail={
            "replayed": report.replayed,
            "still_failing": report.still_failing,
            "source": source,
        },
    )
    query = {k: v for k, v in (("ward", ward), ("source", source)) if v}
    query.update(replayed=str(report.replayed), failing=str(report.still_failing))
    return RedirectResponse(f"/soc/quarantine?{urlencode(query)}", status_code=303)
