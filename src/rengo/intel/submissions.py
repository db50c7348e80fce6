"""The sharing workflow: a ward submits, the hub anonymises, the ward approves, the hub publishes.

1. A ward submits what it saw (form, API, STIX bundle, TAXII POST to its own collection,
   or a CSIRT incident's indicators). The original is stored in the ward's private
   collection — matched against that ward's own logs at once — and never leaves it.
2. The anonymiser builds the shareable version; the ward sees both side by side with
   every change listed, may add terms to remove (a new version of the preview), and
   approves exactly the version it saw.
3. Only then is the shareable version published to the shared collection, for all wards.

TLP:RED and TLP:AMBER+STRICT submissions are kept private: they are never published.
Every read of an original is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.acting import Acting
from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.csirt.incidents import incident_indicators
from rengo.intel import builders, validate
from rengo.intel.anonymise import Sensitive, anonymise
from rengo.intel.collections import SHARED, ward_collection_id
from rengo.intel.ingest import ingest
from rengo.intel.models import IntelCollection, Submission, Urgency
from rengo.intel.schemas import (
    AccessReport,
    BundleSubmission,
    IndicatorList,
    PhishingReport,
    VulnerabilityReport,
)
from rengo.intel.tlp import TLP, level_of, most_restrictive, with_level
from rengo.intel.tlp_policy import may_read_submission, readable_submissions
from rengo.intel.vocabulary import SUBMISSION_STATES

AWAITING = "awaiting_approval"
PUBLISHED = "published"
WITHDRAWN = "withdrawn"
PRIVATE = "kept_private"
SubmissionState = Literal["awaiting_approval", "published", "withdrawn", "kept_private"]
STATES: tuple[str, ...] = get_args(SubmissionState)


def _ward_of(principal: Principal) -> str:
    if principal.tenant == JOINT:
        raise InvalidInput(
            "the joint centre shares directly",
            [
                Problem(
                    "submissions are for what a ward saw; the joint centre adds to the "
                    "shared collection or publishes an advisory",
                    "ward",
                )
            ],
        )
    return principal.tenant


def _original_objects(report: BaseModel, ward: TenantCode, now: datetime) -> list[dict[str, Any]]:
    if isinstance(report, PhishingReport):
        return builders.phishing(report, ward, now)
    if isinstance(report, AccessReport):
        return builders.access(report, ward, now)
    if isinstance(report, VulnerabilityReport):
        return builders.vulnerability(report, ward, now)
    if isinstance(report, IndicatorList):
        return builders.indicator_list(report, ward, now)
    if isinstance(report, BundleSubmission):
        problems = validate.bundle_problems(report.bundle)
        if problems:
            raise InvalidInput("not a STIX bundle", problems)
        level = TLP(report.tlp)
        return [
            o if level_of(o) else with_level(o, level) for o in report.bundle.get("objects", [])
        ]
    raise InvalidInput(
        "unknown report kind",
        [Problem("phishing, access, vulnerability, incident or bundle", "kind")],
    )


def _check(objects: Sequence[Any]) -> None:
    problems = [p for i, o in enumerate(objects) for p in validate.object_problems(o, i)]
    if problems:
        raise InvalidInput("the submission has invalid STIX objects", problems[:50])
    if not objects:
        raise InvalidInput(
            "nothing to share", [Problem("the bundle has no objects", "bundle.objects")]
        )


def _shareable(
    session: Session, settings: Settings, submission: Submission, objects: list[dict[str, Any]]
) -> None:
    level = TLP(submission.tlp)
    if not level.leaves_owner:
        submission.state, submission.shared, submission.redactions = PRIVATE, {}, []
        return
    sensitive = Sensitive.for_ward(
        session,
        submission.tenant,
        extra_terms=submission.extra_terms,
        names=[submission.details.get("reporter", "")],
    )
    result = anonymise(objects, sensitive, settings, level)
    _check(result.objects)
    submission.shared = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": result.objects,
    }
    submission.redactions = result.redactions
    submission.state = AWAITING


def create(by: Acting, report: BaseModel, *, channel: str) -> Submission:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    ward = _ward_of(principal)
    require(principal, "intel.submit", ward)
    objects = _original_objects(report, ward, now)
    _check(objects)
    level = TLP(getattr(report, "tlp", "green"))
    level = most_restrictive([level, *(lv for o in objects if (lv := level_of(o)))])
    submission = _awaiting(
        session,
        principal,
        ward,
        objects,
        kind=getattr(report, "kind", "bundle"),
        title=getattr(report, "title", ""),
        level=level,
        channel=channel,
        details=report.model_dump(mode="json", exclude={"bundle"}),
        now=now,
    )
    collection = session.get(IntelCollection, ward_collection_id(ward))
    assert collection is not None, "ward collections are created by the intel migration"
    ingest(
        session,
        settings,
        principal,
        collection,
        objects,
        now=now,
        source=f"submission:{submission.id}",
        default_tlp=level,
        owner=ward,
        client=client,
    )
    return _offered(by, submission, objects, channel)


def _offered(
    by: Acting, submission: Submission, objects: list[dict[str, Any]], channel: str
) -> Submission:
    """The new submission with its shareable version prepared for approval, audited."""
    _shareable(by.session, by.settings, submission, objects)
    _audit(
        by.session,
        by.principal,
        "intel.submission.create",
        submission,
        by.client,
        by.now,
        {"kind": submission.kind, "channel": channel, "tlp": submission.tlp},
    )
    return submission


def from_incident(by: Acting, incident_id: int, *, title: str, tlp: str) -> Submission:
    """A submission straight from a CSIRT incident's indicators (its internal ones left out)."""
    found = incident_indicators(by.session, by.principal, incident_id)
    values = [i.value for i in found if not getattr(i, "internal", False)]
    if not values:
        raise InvalidInput(
            "nothing to share", [Problem("the incident has no external indicators", "incident_id")]
        )
    report = IndicatorList(title=title, tlp=tlp, values=values, incident_ref=str(incident_id))
    return create(by, report, channel="incident")


def _awaiting(
    session: Session,
    principal: Principal,
    ward: TenantCode,
    objects: list[dict[str, Any]],
    *,
    kind: str,
    title: str,
    level: TLP,
    channel: str,
    details: dict[str, Any],
    now: datetime,
) -> Submission:
    """A new submission of ``objects``, awaiting its ward's approval (nothing shared yet)."""
    submission = Submission(
        tenant=ward,
        kind=kind,
        title=title,
        tlp=level.value,
        state=AWAITING,
        channel=channel,
        details=details,
        original={"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects},
        shared={},
        redactions=[],
        extra_terms=[],
        created_by=principal.label,
        created_at=now,
    )
    session.add(submission)
    session.flush()
    return submission


def from_stored_bundle(by: Acting, objects: list[dict[str, Any]], *, channel: str) -> Submission:
    """A submission from objects a ward already stored in its collection (TAXII POST)."""
    ward = _ward_of(by.principal)
    levels = [lv for o in objects if (lv := level_of(o))]
    level = most_restrictive(levels) if levels else TLP.AMBER_STRICT
    submission = _awaiting(
        by.session,
        by.principal,
        ward,
        objects,
        kind="bundle",
        title=f"{len(objects)} STIX objects via {channel}",
        level=level,
        channel=channel,
        details={},
        now=by.now,
    )
    return _offered(by, submission, objects, channel)


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    submission: Submission,
    client: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        principal,
        action,
        object_type="intel_submission",
        object_id=submission.id,
        object_tenant=submission.tenant,
        detail=detail or {},
        client=client,
        at=now,
    )


def get(session: Session, principal: Principal, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(
            "submission {submission_id} not found", values={"submission_id": submission_id}
        )
    require(principal, "intel.submission.read", submission.tenant, hide=True)
    if not may_read_submission(principal, submission.tlp, submission.tenant):
        # Like another ward's object: the joint centre does not learn a RED submission exists.
        raise NotFound(
            "submission {submission_id} not found", values={"submission_id": submission_id}
        )
    return submission


def read_original(by: Acting, submission_id: int) -> Submission:
    """The submission with its original: who saw the original is audited."""
    session, principal, now = by.session, by.principal, by.now
    client = by.client
    submission = get(session, principal, submission_id)
    _audit(session, principal, "intel.submission.read_original", submission, client, now)
    return submission


def _own(principal: Principal, submission: Submission) -> None:
    # Only the submitting ward decides what leaves it (J-CSIP): not even the joint centre.
    require(principal, "intel.approve", submission.tenant)
    if principal.tenant != submission.tenant:
        raise Forbidden("only the submitting ward approves what leaves it")


def _awaiting_own(session: Session, principal: Principal, submission_id: int) -> Submission:
    """The principal's own ward's submission, still awaiting its approval."""
    submission = get(session, principal, submission_id)
    _own(principal, submission)
    if submission.state != AWAITING:
        raise Conflict(
            "submission {submission_id} is {state}, not awaiting approval",
            values={
                "submission_id": submission_id,
                "state": SUBMISSION_STATES.get(submission.state, submission.state),
            },
        )
    return submission


def reanonymise(by: Acting, submission_id: int, extra_terms: list[str]) -> Submission:
    """Remove more (terms the ward names); the preview gets a new version to approve."""
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    submission = _awaiting_own(session, principal, submission_id)
    submission.extra_terms = sorted(
        {t.strip() for t in [*submission.extra_terms, *extra_terms] if t.strip()}
    )
    _shareable(session, settings, submission, list(submission.original["objects"]))
    submission.version += 1
    _audit(
        session,
        principal,
        "intel.submission.redact",
        submission,
        client,
        now,
        {"terms": len(submission.extra_terms), "version": submission.version},
    )
    return submission


def approve(
    by: Acting, submission_id: int, version: int, *, urgency: Urgency = "routine"
) -> Submission:
    """Publish exactly the previewed version to every ward, classified ``urgency``."""
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    submission = _awaiting_own(session, principal, submission_id)
    if version != submission.version:
        raise Conflict(
            "the preview changed (now version {version}, you saw {seen}): look at it again before "
            "approving",
            values={"version": submission.version, "seen": version},
        )
    shared = session.get(IntelCollection, SHARED)
    assert shared is not None
    result = ingest(
        session,
        settings,
        principal,
        shared,
        submission.shared["objects"],
        now=now,
        source=f"submission:{submission.id}",
        default_tlp=TLP(submission.tlp),
        owner=submission.tenant,
        client=client,
    )
    if result.failures:
        raise InvalidInput(
            "the shareable version could not be published",
            [Problem(f["message"], f["id"]) for f in result.failures],
        )
    submission.state, submission.published_at = PUBLISHED, now
    submission.approved_by, submission.urgency = principal.label, urgency
    _audit(
        session,
        principal,
        "intel.submission.approve",
        submission,
        client,
        now,
        {"version": version, "objects": len(result.added), "urgency": urgency},
    )
    return submission


def withdraw(by: Acting, submission_id: int) -> Submission:
    session, principal, now = by.session, by.principal, by.now
    client = by.client
    submission = _awaiting_own(session, principal, submission_id)
    submission.state = WITHDRAWN
    _audit(session, principal, "intel.submission.withdraw", submission, client, now)
    return submission


def search(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Submission], int]:
    tenants = narrow_to_visible(principal, "intel.submission.read", ward)
    stmt = select(Submission).where(readable_submissions(principal, Submission))
    if tenants is not None:
        stmt = stmt.where(Submission.tenant.in_(tenants))
    if state:
        stmt = stmt.where(Submission.state == state)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
