"""What the FinOps pages share: labels of values chosen at run time, the lake's last day,
form parsing, and the redirect after a change."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.runtime import Runtime
from rengo.finops import service
from rengo.finops.allocation import UNALLOCATED
from rengo.finops.explorer import Explorer
from rengo.web.i18n import N_, _, current_language
from rengo.web.templating import tenant_label

DIMENSION_LABELS = {
    "ward": N_("Ward"),
    "business_system": N_("Business system"),
    "provider": N_("Provider"),
    "service": N_("Service"),
    "service_category": N_("Service category"),
    "region": N_("Region"),
    "charge_category": N_("Charge category"),
    "sub_account": N_("Sub-account"),
    "resource": N_("Resource"),
    "billing_month": N_("Billing month"),
    "shared_pool": N_("Shared pool"),
}
REC_STATUS = {
    "open": N_("Open"),
    "accepted": N_("Accepted"),
    "done": N_("Implemented"),
    "rejected": N_("Rejected"),
}
ALERT_STATUS = {"open": N_("Open"), "acknowledged": N_("Noted"), "resolved": N_("Resolved")}
STATUS_SYMBOL = {
    "open": "●",
    "accepted": "◐",
    "done": "✔",
    "rejected": "✖",
    "acknowledged": "◐",
    "resolved": "✔",
}
ALERT_ACTIONS = (
    ("acknowledged", N_("Mark as noted")),
    ("resolved", N_("Resolve")),
    ("open", N_("Reopen")),
)
REC_ACTIONS = (
    ("accepted", N_("Accept")),
    ("done", N_("Mark as implemented")),
    ("rejected", N_("Decline")),
    ("open", N_("Reopen")),
)
REC_KINDS = {
    "idle": N_("Idle resource"),
    "rightsizing": N_("Rightsizing"),
    "schedule": N_("Non-production out of hours"),
    "storage_tiering": N_("Storage tiering"),
    "commitment": N_("Commitment coverage and utilisation"),
}
ALERT_KINDS = {
    "spike": N_("Spike"),
    "level_shift": N_("Level shift"),
    "budget": N_("Forecast over budget"),
}
METHOD_LABELS = {
    "even": N_("Evenly"),
    "population": N_("By population"),
    "usage": N_("By usage (direct cost)"),
}
UNALLOCATED_LABEL = N_("Unallocated")


REC_TITLES = {
    "idle": N_("Idle resource %(resource)s: no usage in 30 days"),
    "idle_server": N_("Idle server %(resource)s: %(cpu)s %% CPU"),
    "schedule": N_("Stop non-production %(resource)s out of hours"),
    "rightsizing": N_("Downsize %(resource)s: %(cpu)s %% CPU on average"),
    "storage_tiering": N_("Move cold storage %(resource)s to an infrequent-access tier"),
    "commitment": N_("Cover steady compute on %(provider)s with a commitment discount"),
    "commitment_unused": N_("Commitment on %(provider)s partly unused: reduce or exchange it"),
}


def rec_title(rec: Any) -> str:
    """A recommendation's title in the page's language (the stored one is English)."""
    detail = rec.detail or {}
    key = rec.kind
    if rec.kind == "idle" and "cpu_avg" in detail:
        key = "idle_server"
    elif rec.kind == "commitment" and "utilisation" in detail:
        key = "commitment_unused"
    template = REC_TITLES.get(key)
    if template is None:
        return str(rec.title)
    cpu = detail.get("cpu_avg")
    return _(template) % {
        "resource": rec.resource_id,
        "provider": rec.provider,
        "cpu": f"{cpu:.1f}" if isinstance(cpu, int | float) else "?",
    }


def system_label(key: str) -> str:
    if not key:
        return _("All systems")
    if key == UNALLOCATED:
        return _(UNALLOCATED_LABEL)
    term = BUSINESS_SYSTEMS.get(key)
    return term.label(current_language()) if term else key


def ward_label(code: str) -> str:
    if code == UNALLOCATED:
        return _(UNALLOCATED_LABEL)
    return tenant_label(code)


def value_label(dimension: str, value: str) -> str:
    """How a group value is shown: ward and system names, "unallocated", or as is."""
    if dimension == "ward":
        return ward_label(value)
    if dimension == "business_system":
        return system_label(value)
    return value or "—"


def explorer_for(runtime: Runtime, session: Session) -> Explorer:
    return service.explorer(session, runtime.data_dir)


def last_day(explorer: Explorer, today: date) -> date:
    """The newest charge day in the lake (not after yesterday): what "as of" means here."""
    found = explorer.last_day()
    yesterday = today - timedelta(days=1)
    return min(found, yesterday) if found else yesterday


def parse_date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def parse_amount(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


def back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def flash_of(request: Request) -> str:
    """The message a redirect after a change asked to show (``?done=...``)."""
    done = request.query_params.get("done", "")
    return {
        "saved": _("Saved."),
        "deleted": _("Deleted."),
        "rebuilt": _("The lake was rebuilt with the current rules."),
        "status": _("Status changed."),
    }.get(done, "")
