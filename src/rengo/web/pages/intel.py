"""Pages of the intelligence hub: share what a ward saw, approve it, feeds, hits.
Advisories: ``intel_advisories.py``."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem, RengoError, problems_from_validation
from rengo.core.permissions import allows, narrow_to_visible, require
from rengo.core.vocabulary import SEVERITIES
from rengo.intel import advisories, feeds, hunting, indicators, public_feeds, submissions
from rengo.intel import vocabulary as terms
from rengo.intel.models import URGENCIES, Feed, Hunt, QuarantinedRecord, Sighting, Submission
from rengo.intel.schemas import AccessReport, IndicatorList, PhishingReport, VulnerabilityReport
from rengo.intel.tlp import TLP
from rengo.web.deps import (
    ActingDep,
    CallerDep,
    FormPostDep,
    IdPath,
    RuntimeDep,
    SessionDep,
    UserDep,
    client_address,
)
from rengo.web.errors import error_message, problem_message
from rengo.web.nav import NavItem
from rengo.web.templating import env, render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", "Threat intelligence", "/intel", "intel.read", order=30),
    NavItem("m1", "Share what we saw", "/intel/submit", "intel.submit", order=31),
    NavItem("m1", "Advisories", "/intel/advisories", "intel.advisory.read", order=32),
    NavItem("m1", "Indicator hits", "/intel/sightings", "intel.sightings.read", order=33),
    NavItem("m1", "Feeds and hunts", "/intel/feeds", "intel.feeds.manage", order=34),
]
REPORTS: dict[str, type[BaseModel]] = {
    "phishing": PhishingReport,
    "access": AccessReport,
    "vulnerability": VulnerabilityReport,
    "incident": IndicatorList,
}
LIST_FIELDS = (
    "recipients",
    "urls",
    "attachment_hashes",
    "attachment_names",
    "source_addresses",
    "accounts",
    "user_agents",
    "values",
)
TLP_LEVELS = [t.value for t in TLP]
env.globals.update(
    INTEL_SUBMISSION_STATES=terms.SUBMISSION_STATES,
    INTEL_SUBMISSION_KINDS=terms.SUBMISSION_KINDS,
    INTEL_SEVERITIES=SEVERITIES,
    INTEL_URGENCIES=terms.URGENCIES,
    INTEL_SIGHTING_MODES=terms.SIGHTING_MODES,
    INTEL_HUNT_STATES=terms.HUNT_STATES,
    INTEL_INDICATOR_KINDS=terms.INDICATOR_KINDS,
)


def N_(message: str) -> str:
    """Marks a msgid for extraction; the template translates the value when it shows it."""
    return message


# What the anonymiser did, shown translated (states, kinds, severities … are vocabularies:
# rengo.intel.vocabulary, shown with the ``term`` filter).
SHOWN_VALUES = (
    N_("removed"),
    N_("removed value"),
    N_("removed references"),
    N_("generalised"),
    N_("redacted"),
    N_("recorded"),
    N_("Choose a file."),
)
# Why the anonymiser removed something (rengo.intel.anonymise.Reason keys, shown translated).
ANONYMISER_REASONS = (
    N_("ward or private address range %(x)s"),
    N_("host name in the ward's asset register"),
    N_("the ward's domain %(x)s"),
    N_("staff mail address"),
    N_("the submitting ward's identity"),
    N_("account of the ward (accounts targeted are counted, not named)"),
    N_("every value of the pattern is the ward's own"),
    N_("refers to a removed object (%(x)s)"),
    N_("where it was seen identifies the ward"),
    N_("refer to removed objects"),
    N_("nothing left to refer to"),
    N_("a term the ward asked to remove"),
    N_("staff name"),
    N_("the ward's name"),
)


def form_lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


def field_errors(problems: list[Problem]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in problems:
        key = (
            p.location.removeprefix("field ").split(".")[0].split(",")[0] if p.location else "form"
        )
        out.setdefault(key, problem_message(p))
    return out


@router.get("/intel", response_class=HTMLResponse)
def hub(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    require(principal, "intel.read")
    latest, total = indicators.search(session, principal, limit=15)
    pending: list[Submission] = []
    if allows(principal, "intel.submission.read"):
        pending, _ = submissions.search(session, principal, state=submissions.AWAITING, limit=10)
    advisory_rows, _ = advisories.search(session, principal, limit=5)
    hits = 0
    if allows(principal, "intel.sightings.read"):
        hits = (
            session.scalar(
                select(func.count()).select_from(hunting.visible_sightings(principal).subquery())
            )
            or 0
        )
    return render(
        request,
        caller,
        "intel/hub.html",
        {
            "latest": latest,
            "indicator_total": total,
            "pending": pending,
            "advisories": advisory_rows,
            "hits": hits,
        },
    )


# -- sharing ----------------------------------------------------------------------------


@router.get("/intel/submit", response_class=HTMLResponse)
def submit_form(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    require(principal, "intel.submit")
    kind = request.query_params.get("kind", "phishing")
    kind = kind if kind in REPORTS else "phishing"
    return render(
        request,
        caller,
        "intel/submit.html",
        {"kind": kind, "v": {"tlp": "green"}, "errors": {}, "levels": TLP_LEVELS},
    )


@router.post("/intel/submit", response_model=None)
async def submit(post: FormPostDep) -> Response:
    request, caller, runtime = post.request, post.caller, post.runtime
    form = await request.form()
    kind = str(form.get("kind", "phishing"))
    values: dict[str, Any] = {
        k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"
    }
    data: dict[str, Any] = {
        k: (form_lines(v) if k in LIST_FIELDS else v) for k, v in values.items()
    }
    data["exploited"] = values.get("exploited") == "on"
    if not data.get("observed_at"):
        data.pop("observed_at", None)
    try:
        report = REPORTS.get(kind, PhishingReport).model_validate(data)
        with runtime.db.session() as session:
            created = submissions.create(post.acting(session), report, channel="form")
            sid = created.id
    except ValidationError as error:
        errors = field_errors(problems_from_validation(error))
        return render(
            request,
            caller,
            "intel/submit.html",
            {"kind": kind, "v": values, "errors": errors, "levels": TLP_LEVELS},
            422,
        )
    except InvalidInput as error:
        return render(
            request,
            caller,
            "intel/submit.html",
            {
                "kind": kind,
                "v": values,
                "errors": field_errors(error.problems) or {"form": error_message(error)},
                "levels": TLP_LEVELS,
            },
            422,
        )
    return RedirectResponse(f"/intel/submissions/{sid}", status_code=303)


@router.get("/intel/submissions", response_class=HTMLResponse)
def submission_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    state = request.query_params.get("state") or None
    rows, total = submissions.search(session, principal, state=state, limit=200)
    return render(
        request,
        caller,
        "intel/submissions.html",
        {"rows": rows, "total": total, "state": state, "states": submissions.STATES},
    )


def _objects_summary(bundle: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for obj in bundle.get("objects", []) if bundle else []:
        label = (
            obj.get("name") or obj.get("value") or obj.get("pattern") or obj.get("subject") or ""
        )
        out.append(
            {
                "type": obj.get("type", ""),
                "id": obj.get("id", ""),
                "label": str(label)[:200],
                "pattern": obj.get("pattern", ""),
            }
        )
    return out


@router.get("/intel/submissions/{submission_id}", response_class=HTMLResponse)
def submission_detail(
    submission_id: IdPath,
    request: Request,
    caller: CallerDep,
    by: ActingDep,
) -> HTMLResponse:
    principal = by.principal
    s = submissions.read_original(by, submission_id)
    return render(
        request,
        caller,
        "intel/submission.html",
        {
            "s": s,
            "original": _objects_summary(s.original),
            "shared": _objects_summary(s.shared),
            "original_json": json.dumps(s.original, ensure_ascii=False, indent=1),
            "shared_json": json.dumps(s.shared, ensure_ascii=False, indent=1),
            "can_approve": allows(principal, "intel.approve", s.tenant)
            and principal.tenant == s.tenant,
            "message": request.query_params.get("message"),
        },
    )


@router.post("/intel/submissions/{submission_id}/{action}", response_model=None)
async def submission_action(
    submission_id: IdPath,
    action: str,
    post: FormPostDep,
) -> Response:
    form = await post.request.form()
    message = ""
    try:
        with post.runtime.db.session() as session:
            by = post.acting(session)
            if action == "approve":
                version = str(form.get("version", ""))
                urgency = str(form.get("urgency", "routine"))
                if urgency not in URGENCIES:
                    raise InvalidInput(
                        "choose an urgency", [Problem("urgent or routine", "urgency")]
                    )
                submissions.approve(
                    by,
                    submission_id,
                    int(version) if version.isdigit() else 0,
                    urgency="urgent" if urgency == "urgent" else "routine",
                )
                message = "published"
            elif action == "redact":
                terms = form_lines(str(form.get("terms", "")).replace(",", "\n"))
                if not terms:
                    raise InvalidInput("nothing to remove", [Problem("one term per line", "terms")])
                submissions.reanonymise(by, submission_id, terms)
                message = "redacted"
            elif action == "withdraw":
                submissions.withdraw(by, submission_id)
                message = "withdrawn"
            else:
                raise InvalidInput(
                    "unknown action", [Problem("approve, redact or withdraw", "action")]
                )
    except RengoError as error:
        message = error_message(error)
    return RedirectResponse(
        f"/intel/submissions/{submission_id}?message={message}", status_code=303
    )


# -- hits, feeds ------------------------------------------------------------------------


@router.get("/intel/sightings", response_class=HTMLResponse)
def sightings(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    tenants = narrow_to_visible(
        principal, "intel.sightings.read", request.query_params.get("ward") or None
    )
    stmt = select(Sighting)
    if tenants is not None:
        stmt = stmt.where(Sighting.ward.in_(tenants))
    rows = list(
        session.scalars(stmt.order_by(Sighting.found_at.desc(), Sighting.id.desc()).limit(300))
    )
    return render(request, caller, "intel/sightings.html", {"rows": rows})


@router.get("/intel/indicators", response_class=HTMLResponse)
def indicator_search(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    require(principal, "intel.read")
    q, kind = request.query_params.get("q", ""), request.query_params.get("kind", "")
    rows, total = indicators.search(session, principal, q=q, kind=kind, limit=200)
    return render(
        request,
        caller,
        "intel/indicators.html",
        {"rows": rows, "total": total, "q": q, "kind": kind},
    )


def _feeds_context(session: Session, **extra: Any) -> dict[str, Any]:
    """The feeds page: feeds, recent hunts, quarantined records (and an import's outcome)."""
    return {
        "feeds": list(session.scalars(select(Feed).order_by(Feed.name))),
        "hunts": list(session.scalars(select(Hunt).order_by(Hunt.id.desc()).limit(20))),
        "quarantine": list(
            session.scalars(
                select(QuarantinedRecord).order_by(QuarantinedRecord.id.desc()).limit(50)
            )
        ),
        "report": None,
        "levels": TLP_LEVELS,
        "public_feeds": public_feeds.catalogue(),
        "public_configured": public_feeds.configured(session),
        **extra,
    }


@router.get("/intel/feeds", response_class=HTMLResponse)
def feed_page(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    require(principal, "intel.feeds.manage")
    return render(request, caller, "intel/feeds.html", _feeds_context(session))


@router.post("/intel/feeds/import", response_class=HTMLResponse)
async def feed_import(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> HTMLResponse:
    require(principal, "intel.feeds.manage")
    form = await request.form()
    upload = form.get("file")
    report = None
    error = ""
    if upload is None or isinstance(upload, str):
        error = "Choose a file."
    else:
        data = await upload.read()
        try:
            report = feeds.import_bytes(
                runtime.db,
                runtime.settings,
                principal,
                data,
                upload.filename or "upload",
                fmt=str(form.get("format", "auto")),
                tlp=str(form.get("tlp") or "") or None,
                now=runtime.clock.now(),
                client=client_address(request),
            )
        except RengoError as exc:
            error = error_message(exc)
    with runtime.db.session() as session:
        return render(
            request,
            caller,
            "intel/feeds.html",
            _feeds_context(session, report=report, error=error),
            422 if error else 200,
        )
