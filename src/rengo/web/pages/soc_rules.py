"""Pages of detection tuning: the rules in force per ward (on/off, level) and suppressions.

A ward's staff tune their own ward; the joint centre tunes any ward or every ward at
once (``joint``). Every change goes through ``rengo.soc.alerts_tuning`` (permissions,
audit); another ward's suppression answers 404.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, allows, require
from rengo.core.wards import JOINT, is_tenant
from rengo.soc import alerts_tuning
from rengo.soc.alerts_models import LEVELS
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.pages.soc_alerts import LEVEL_LABELS
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", N_("Detection rules"), "/soc/rules", "soc.rules.read", order=21),
    NavItem("m1", N_("Suppressions"), "/soc/suppressions", "soc.alerts.read", order=22),
]
PER_PAGE = 50
FIELD_LABELS = {"host": N_("host"), "user": N_("user"), "src_ip": N_("source address")}


def _tenant(principal: Principal, value: str | None) -> str:
    """The ward a page is about: one's own, or (joint centre) the one chosen."""
    tenant = value or principal.tenant
    if not is_tenant(tenant):
        raise InvalidInput("unknown ward", [Problem(f"{tenant!r} is not a ward", "field ward")])
    return tenant


def _day(value: str, field: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            "invalid date", [Problem("a date YYYY-MM-DD", f"field {field}")]
        ) from None


@router.get("/soc/rules", response_class=HTMLResponse)
def rules_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    from rengo.soc.detect.rules import pack_path
    from rengo.soc.detect.runner import load_configured_rules

    require(principal, "soc.rules.read")
    qp = request.query_params
    tenant = _tenant(principal, qp.get("ward"))
    require(principal, "soc.alerts.read", tenant)
    q, only_tuned = (qp.get("q") or "").strip().lower(), qp.get("tuned") == "1"
    ruleset = load_configured_rules(runtime)
    settings = {(s.tenant, s.rule_id): s for s in alerts_tuning.rule_settings(session, principal)}
    rows = []
    for rule in sorted(ruleset.rules, key=lambda r: (r.pack != "rengo", r.title.lower())):
        own, everywhere = settings.get((tenant, rule.id)), settings.get((JOINT, rule.id))
        if only_tuned and own is None and everywhere is None:
            continue
        if (
            q
            and q not in rule.title.lower()
            and q not in rule.id
            and q not in " ".join(rule.techniques).lower()
        ):
            continue
        rows.append({"rule": rule, "own": own, "joint": everywhere})
    asked = qp.get("page") or "1"
    page = int(asked) if asked.isdigit() and 0 < int(asked) < 10_000 else 1
    pages = max(1, -(-len(rows) // PER_PAGE))
    query = {k: v for k, v in qp.items() if k != "page" and v}
    folders = runtime.settings.detect.rule_folders
    context: dict[str, Any] = {
        "rows": rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        "total": len(rows),
        "page": page,
        "pages": pages,
        "query": query,
        "q": qp.get("q") or "",
        "tuned": only_tuned,
        "tenant": tenant,
        "can_manage": allows(principal, "soc.rules.manage", tenant),
        "levels": LEVELS,
        "level_labels": LEVEL_LABELS,
        # Rule files by <pack>/<file>, never by the server's folders.
        "unsupported": [replace(p, path=pack_path(p.path, folders)) for p in ruleset.unsupported],
        "problems": [replace(p, path=pack_path(p.path, folders)) for p in ruleset.problems],
        "rule_count": len(ruleset.rules),
    }
    return render(request, caller, "soc/rules.html", context)


@router.post("/soc/rules/setting")
async def post_rule_setting(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    rule_id = str(form.get("rule_id") or "")
    if not rule_id or len(rule_id) > 64:
        raise InvalidInput("which rule?", [Problem("a rule id", "field rule_id")])
    level = str(form.get("level") or "") or None
    alerts_tuning.set_rule(
        session,
        principal,
        rule_id,
        ward=str(form.get("ward") or "") or None,
        enabled=form.get("enabled") == "on",
        level=level,
        note=str(form.get("note") or "")[:2000],
        now=runtime.clock.now(),
    )
    back = str(form.get("back") or "")
    return RedirectResponse(
        back if back.startswith("/soc/rules") else "/soc/rules", status_code=303
    )


@router.get("/soc/suppressions", response_class=HTMLResponse)
def suppressions_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    now = runtime.clock.now()
    show_all = request.query_params.get("all") == "1"
    rows = alerts_tuning.suppressions(session, principal, active_at=None if show_all else now)
    context = {
        "rows": rows,
        "now": now,
        "show_all": show_all,
        "field_labels": FIELD_LABELS,
        "can_suppress": allows(principal, "soc.alerts.suppress", principal.tenant),
        "default_expiry": (now + timedelta(days=30)).astimezone(UTC).strftime("%Y-%m-%d"),
        "can_end": {r.id: allows(principal, "soc.alerts.suppress", r.tenant) for r in rows},
    }
    return render(request, caller, "soc/suppressions.html", context)


@router.post("/soc/suppressions")
async def post_suppression(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    expires = _day(str(form.get("expires_on") or ""), "expires_on") + timedelta(days=1)
    alerts_tuning.suppress(
        session,
        principal,
        reason=str(form.get("reason") or "")[:2000],
        expires_at=expires,
        now=runtime.clock.now(),
        ward=str(form.get("ward") or "") or None,
        rule_id=str(form.get("rule_id") or "").strip()[:64] or None,
        field=str(form.get("field") or "") or None,
        value=str(form.get("value") or "").strip()[:300] or None,
    )
    return RedirectResponse("/soc/suppressions", status_code=303)


@router.post("/soc/suppressions/{suppression_id}/end")
def post_end_suppression(
    suppression_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    alerts_tuning.end_suppression(session, principal, suppression_id, now=runtime.clock.now())
    return RedirectResponse("/soc/suppressions?all=1", status_code=303)
