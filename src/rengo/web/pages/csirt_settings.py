"""The CSIRT's configuration pages: each ward's containment connectors (signed webhook or
the simulated endpoint; the signing key is named, never shown) and the recorded security
costs compared with going alone (the policy target itself is computed by FinOps from the
budget import and the joint SOC/CSIRT's costs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core.errors import RengoError
from rengo.core.permissions import Principal, allows
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT, ward_codes
from rengo.csirt import costs, endpoints
from rengo.csirt.connectors import CONNECTOR_KINDS
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.vocabulary import ACTION_KINDS
from rengo.targets.registry import fiscal_year_start
from rengo.web.deps import CallerDep, FormPostDep, IdPath, RuntimeDep, SessionDep, UserDep
from rengo.web.nav import NavItem
from rengo.web.pages.csirt_forms import FormError, float_or_none, int_or_none, post_or_show
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", "Containment connectors", "/csirt/connectors", "csirt.incidents.read", order=27),
    NavItem("m1", "Security costs", "/csirt/costs", "csirt.costs.read", order=28),
]


def _saved(request: Request) -> str | None:
    from rengo.web.i18n import _

    return _("Saved.") if request.query_params.get("saved") else None


# -- connectors ----------------------------------------------------------------------------


def _connector_wards(principal: Principal) -> list[str]:
    if not allows(principal, "csirt.connectors.manage"):
        return []
    return list(ward_codes()) if principal.is_joint else [principal.tenant]


def _connector_values(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name") or "").strip(),
        "url": str(form.get("url") or "").strip(),
        "secret_name": str(form.get("secret_name") or "").strip(),
        "capabilities": [str(c) for c in form.getlist("capabilities")],
    }


def _connectors_page(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    *,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    rows = endpoints.connectors(session, principal)
    return render(
        request,
        caller,
        "csirt/connectors.html",
        {
            "rows": rows,
            "kinds": CONNECTOR_KINDS,
            "action_kinds": ACTION_KINDS,
            "configured": {
                c.id: endpoints.secret_configured(runtime.settings.section(CsirtSettings), c)
                for c in rows
            },
            "can_manage": {
                c.id: allows(principal, "csirt.connectors.manage", c.tenant) for c in rows
            },
            "wards": _connector_wards(principal),
            "fe": error,
            "v": values or {},
            "flash": _saved(request),
        },
        status_code=error.status if error else 200,
    )


@router.get("/csirt/connectors", response_class=HTMLResponse)
def connectors_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _connectors_page(request, caller, session, principal, runtime)


@router.post("/csirt/connectors", response_model=None)
async def add_connector(post: FormPostDep) -> Response:
    def values_of(form: FormData) -> dict[str, Any]:
        return _connector_values(form) | {
            "tenant": str(form.get("tenant") or post.principal.tenant),
            "kind": str(form.get("kind") or ""),
        }

    def work(session: Session, form: FormData) -> str:
        endpoints.create_connector(session, post.principal, **values_of(form))
        return "/csirt/connectors?saved=1"

    def show(session: Session, form: FormData, exc: RengoError) -> HTMLResponse:
        error = FormError.of("new-connector", exc)
        return _connectors_page(
            post.request,
            post.caller,
            session,
            post.principal,
            post.runtime,
            error=error,
            values=values_of(form),
        )

    return await post_or_show(post, work, show)


@router.get("/csirt/connectors/{connector_id}", response_class=HTMLResponse)
def connector_page(
    connector_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _connector_form(request, caller, session, principal, runtime, connector_id)


def _connector_form(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    connector_id: int,
    error: FormError | None = None,
) -> HTMLResponse:
    connector = endpoints.get_connector(session, principal, connector_id)
    return render(
        request,
        caller,
        "csirt/connector.html",
        {
            "c": connector,
            "action_kinds": ACTION_KINDS,
            "fe": error,
            "configured": endpoints.secret_configured(
                runtime.settings.section(CsirtSettings), connector
            ),
            "can_manage": allows(principal, "csirt.connectors.manage", connector.tenant),
            "flash": _saved(request),
        },
        status_code=error.status if error else 200,
    )


@router.post("/csirt/connectors/{connector_id}", response_model=None)
async def change_connector(connector_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> str:
        values = _connector_values(form) | {"enabled": form.get("enabled") == "on"}
        endpoints.update_connector(session, post.principal, connector_id, values)
        return f"/csirt/connectors/{connector_id}?saved=1"

    def show(session: Session, form: FormData, exc: RengoError) -> HTMLResponse:
        error = FormError.of("connector", exc)
        args = (post.request, post.caller, session, post.principal, post.runtime)
        return _connector_form(*args, connector_id, error)

    return await post_or_show(post, work, show)


# -- security costs ------------------------------------------------------------------------


def _cost_tenants(principal: Principal) -> list[str]:
    """Whose figures the principal may record: a ward its estimate, the centre everything."""
    if not allows(principal, "csirt.costs.write"):
        return []
    return [JOINT, *ward_codes()] if principal.is_joint else [principal.tenant]


def _costs_page(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    *,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    now = runtime.clock.now()
    qp_year = request.query_params.get("fiscal_year") or ""
    year = (
        int(qp_year)
        if qp_year.isdigit() and 2000 <= int(qp_year) <= 2100
        else fiscal_year_start(now).year
    )
    entries = costs.entries(session, principal, year)
    comparison = costs.compare(session, year, now)
    wards = [
        w for w in comparison.wards.values() if principal.is_joint or w.ward == principal.tenant
    ]
    kinds = costs.COST_KINDS if principal.is_joint else ("standalone_estimate",)
    return render(
        request,
        caller,
        "csirt/costs.html",
        {
            "year": year,
            "entries": entries,
            "comparison": comparison,
            "ward_rows": wards,
            "target_pct": runtime.settings.policy.security_cost_reduction_pct,
            "tenants": _cost_tenants(principal),
            "kinds": kinds,
            "fe": error,
            "v": values or {"fiscal_year": year},
            "flash": _saved(request),
        },
        status_code=error.status if error else 200,
    )


@router.get("/csirt/costs", response_class=HTMLResponse)
def cost_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _costs_page(request, caller, session, principal, runtime)


COST_FIELDS = ("fiscal_year", "tenant", "kind", "amount_yen", "share_pct", "note")


@router.post("/csirt/costs", response_model=None)
async def record_cost(post: FormPostDep) -> Response:
    def values_of(form: FormData) -> dict[str, str]:
        return {k: str(form.get(k) or "").strip() for k in COST_FIELDS}

    def work(session: Session, form: FormData) -> str:
        values = values_of(form)
        year = int_or_none(values["fiscal_year"], "fiscal_year") or 0
        costs.record_cost(
            session,
            post.principal,
            fiscal_year=year,
            tenant=values["tenant"] or post.principal.tenant,
            kind=values["kind"],
            amount_yen=int_or_none(values["amount_yen"], "amount_yen"),
            share_pct=float_or_none(values["share_pct"], "share_pct"),
            note=values["note"],
            now=post.runtime.clock.now(),
        )
        return f"/csirt/costs?fiscal_year={year}&saved=1"

    def show(session: Session, form: FormData, exc: RengoError) -> HTMLResponse:
        error = FormError.of("cost", exc)
        args = (post.request, post.caller, session, post.principal, post.runtime)
        return _costs_page(*args, error=error, values=values_of(form))

    return await post_or_show(post, work, show)
