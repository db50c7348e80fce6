"""Pages of event search: the form with its results (htmx, shareable URL) and one event.

The URL carries the whole query (``since``/``until`` in JST as the form shows them, or
``last=24h``; ``ward``, ``class_uid``, ``source``, the field boxes, ``filter=field:value``,
``q``, ``cursor``), so a search can be bookmarked and sent to a colleague. Bad input is
shown beside the form (status 422), never as an error page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rengo.core import audit
from rengo.core.clock import JST
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import narrow_to_visible, visible_tenants
from rengo.core.wards import is_tenant
from rengo.soc.schema import CLASSES, OCSF_PATHS, ORIGINS
from rengo.soc.search import EventQuery, get_event, search_events
from rengo.soc.service import store_for
from rengo.soc.settings import SocSettings
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("m1", N_("Event search"), "/soc/events", "soc.events.read", order=23)]
PER_PAGE = 50
RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "14d": timedelta(days=14),
    "30d": timedelta(days=30),
}
RANGE_LABELS = {
    "1h": N_("last hour"),
    "24h": N_("last 24 hours"),
    "7d": N_("last 7 days"),
    "14d": N_("last 14 days"),
    "30d": N_("last 30 days"),
}
FIELD_BOXES = {
    "src_ip": N_("Source address"),
    "dst_ip": N_("Destination address"),
    "user_name": N_("User"),
    "device_hostname": N_("Host"),
    "event_code": N_("Event code"),
    "action": N_("Action"),
}
ORIGIN_LABELS = {"real": N_("real"), "demo": N_("demo"), "exercise": N_("exercise")}
SUMMARY_FIELDS = (
    "device_hostname",
    "user_name",
    "src_ip",
    "dst_ip",
    "url",
    "dns_query",
    "process_cmd_line",
    "email_subject",
)
LIST_COLUMNS = ("ward", "class_uid", "class_name", "source", "message", *SUMMARY_FIELDS)
"""What the results list shows: the raw record is read only on the event's page."""


def _when(value: str, field: str, problems: list[Problem]) -> datetime | None:
    """A ``datetime-local`` value (JST, as the form shows it) or ISO 8601 with an offset."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem("a date and time such as 2026-11-26T09:00", field))
        return None
    return parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed


def _form(
    request: Request, now: datetime
) -> tuple[dict[str, Any], EventQuery | None, list[Problem]]:
    """The form's values as given, the query they make, and what is wrong with them."""
    qp = request.query_params
    form: dict[str, Any] = {
        k: qp.get(k, "").strip()
        for k in ("since", "until", "last", "ward", "class_uid", "source", "q", "origin", "cursor")
    }
    form.update({k: qp.get(k, "").strip() for k in FIELD_BOXES})
    form["filters"] = [f for f in qp.getlist("filter") if f.strip()]
    problems: list[Problem] = []
    span = RANGES.get(form["last"] or "24h")
    if span is None:
        problems.append(Problem(f"one of {', '.join(RANGES)}", "last"))
        span = RANGES["24h"]
    until = _when(form["until"], "until", problems) if form["until"] else now
    since = _when(form["since"], "since", problems) if form["since"] else None
    filters = {k: form[k] for k in FIELD_BOXES if form[k]}
    if form["source"]:
        filters["source"] = form["source"]
    for item in form["filters"]:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            problems.append(Problem("write field:value", f"filter {item!r}"))
        else:
            filters[name.strip()] = value.strip()
    classes: tuple[int, ...] = ()
    if form["class_uid"]:
        if form["class_uid"].isdigit():
            classes = (int(form["class_uid"]),)
        else:
            problems.append(Problem("an OCSF class number", "class_uid"))
    if form["ward"] and not is_tenant(form["ward"]):
        problems.append(Problem(f"{form['ward']!r} is not a ward", "ward"))
    if form["origin"] and form["origin"] not in ORIGINS:
        problems.append(Problem(f"one of {', '.join(ORIGINS)}", "origin"))
    if problems or until is None:
        return form, None, problems
    query = EventQuery(
        since=since or until - span,
        until=until,
        classes=classes,
        filters=filters,
        text=form["q"],
        origin=form["origin"] or None,
        limit=PER_PAGE,
        cursor=form["cursor"] or None,
        columns=LIST_COLUMNS,
    )
    return form, query, problems


def _link(request: Request, **changes: str | None) -> str:
    """This search's URL with some parameters changed (``None`` removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and v]
    items += [(k, v) for k, v in changes.items() if v]
    return "/soc/events" + (f"?{urlencode(items)}" if items else "")


def event_link(event: dict[str, Any]) -> str:
    """The detail page of an event; its time lets the lake read one day's partitions."""
    at = event["time"].astimezone(UTC).isoformat()
    return f"/soc/events/{event['event_id']}?{urlencode({'at': at})}"


def _summary(event: dict[str, Any]) -> str:
    parts = [str(event[k]) for k in SUMMARY_FIELDS if event.get(k)]
    return " · ".join(parts[:3])


@router.get("/soc/events", response_class=HTMLResponse)
def search_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    visible = visible_tenants(principal, "soc.events.read")
    form, query, problems = _form(request, runtime.clock.now())
    page = None
    if query is not None:
        wards = narrow_to_visible(principal, "soc.events.read", form["ward"] or None)
        store = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False)
        try:
            page = search_events(store.lake, EventQuery(**{**query.__dict__, "wards": wards}))
        except InvalidInput as exc:
            problems = list(exc.problems)
        else:
            audit.record(
                session,
                principal,
                "soc.events.read",
                object_type="soc_events",
                object_tenant=form["ward"] or None,
                client=client_address(request),
                detail={
                    "since": query.since.isoformat(),
                    "until": query.until.isoformat(),
                    "filters": query.filters,
                    "q": query.text,
                    "returned": len(page.items),
                },
            )
    context = {
        "form": form,
        "query": query,
        "page": page,
        "problems": problems,
        "can_pick_ward": visible is None,
        "classes": sorted(CLASSES.items(), key=lambda c: c[1]),
        "ranges": RANGE_LABELS,
        "field_boxes": FIELD_BOXES,
        "origin_labels": ORIGIN_LABELS,
        "next_link": _link(request, cursor=page.next_cursor) if page and page.next_cursor else None,
        "first_link": _link(request, cursor=None) if form["cursor"] else None,
        "event_link": event_link,
        "summary": _summary,
    }
    hx = bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")
    template = "soc/events_results.html" if hx else "soc/events.html"
    # htmx swaps only 2xx answers: the partial that lists the problems comes with 200.
    status = 422 if problems and not hx else 200
    return render(request, caller, template, context, status_code=status)


@router.get("/soc/events/{event_id}", response_class=HTMLResponse)
def event_page(
    event_id: str,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    wards = visible_tenants(principal, "soc.events.read")
    problems: list[Problem] = []
    at = request.query_params.get("at")
    when = _when(at, "at", problems) if at else None
    if problems:
        raise InvalidInput("invalid event link", problems)
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False)
    event = get_event(store.lake, event_id, wards, at=when)
    if event is None:
        raise NotFound(f"no event {event_id} that you may see")
    audit.record(
        session,
        principal,
        "soc.events.read",
        object_type="soc_event",
        object_id=event_id,
        object_tenant=event["ward"],
        client=client_address(request),
    )
    fields = [
        (name, OCSF_PATHS.get(name, ""), event[name])
        for name in OCSF_PATHS
        if name not in ("unmapped", "raw") and event.get(name) not in (None, "")
    ]
    context = {"event": event, "fields": fields, "origin_labels": ORIGIN_LABELS}
    return render(request, caller, "soc/event_detail.html", context)
