"""Advisories: the joint centre's alerts with concrete countermeasures, and who applied them.

An advisory is published as STIX (a report referring to a course-of-action with the
countermeasures and to the indicators it concerns, the course-of-action mitigating each
indicator) into the advisories collection, to every ward or to chosen wards (then
TLP:AMBER is addressed to those wards only). Each recipient ward acknowledges it and
records when the countermeasure was applied; the joint centre sees who has not.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.acting import Acting
from rengo.core.errors import Conflict, InvalidInput, InvalidValue, NotFound, Problem
from rengo.core.permissions import Principal, Role, require, visible_tenants
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, ward_codes
from rengo.csirt.settings import CsirtSettings
from rengo.intel import patterns, timestamps
from rengo.intel.access import audience_text
from rengo.intel.anonymise import JOINT_IDENTITY_ID, joint_identity
from rengo.intel.builders import KIND_NAMES
from rengo.intel.collections import ADVISORIES, NAMESPACE
from rengo.intel.ingest import ingest
from rengo.intel.models import Advisory, AdvisoryRecipient, IntelCollection, Urgency
from rengo.intel.tlp import TLP, marking_definition, parse_level
from rengo.notify import oncall, outbox, paging

SEVERITIES = ("low", "medium", "high", "critical")


class AdvisoryCreate(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    summary: str = Field(min_length=3, max_length=20_000, description="What is going on.")
    countermeasures: str = Field(
        min_length=3, max_length=20_000, description="Concrete steps each ward must take."
    )
    severity: Literal["low", "medium", "high", "critical"] = "high"
    urgency: Urgency = Field(
        "routine",
        description="urgent: the wards must act now (「緊急対応が必要なレベル」, counted by the "
        "KPI of critical threat information shared); routine otherwise.",
    )
    tlp: str = Field("amber", description="TLP 2.0 level (RED and AMBER+STRICT cannot be sent).")
    wards: list[str] | None = Field(None, description="Recipient ward codes; none = all 23 wards.")
    indicator_refs: list[str] = Field([], description="Ids of indicators already shared.")
    indicator_values: list[str] = Field([], description="New indicator values (IP, domain, …).")
    due_at: datetime | None = Field(None, description="When the countermeasure must be applied.")

    @field_validator("tlp")
    @classmethod
    def _level(cls, value: str) -> str:
        level = parse_level(value)
        if not level.leaves_owner:
            raise InvalidValue(
                "{label} cannot be sent to other organisations", values={"label": level.label}
            )
        return level.value

    @field_validator("wards")
    @classmethod
    def _wards(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        unknown = [v for v in values if v not in ward_codes()]
        if unknown:
            raise InvalidValue("not ward codes: {unknown}", values={"unknown": ", ".join(unknown)})
        return sorted(set(values)) or None


def _stix(
    data: AdvisoryCreate, settings: Settings, now: datetime, level: TLP
) -> tuple[list[dict[str, Any]], str, str]:
    stamp = timestamps.stix(now)
    common = {
        "spec_version": "2.1",
        "created_by_ref": JOINT_IDENTITY_ID,
        "created": stamp,
        "modified": stamp,
        "object_marking_refs": [level.marking_id],
    }
    coa_id = f"course-of-action--{uuid.uuid4()}"
    objects: list[dict[str, Any]] = [
        joint_identity(settings),
        marking_definition(level),
        {
            "type": "course-of-action",
            "id": coa_id,
            "name": f"Countermeasures: {data.title}",
            "description": data.countermeasures,
            **common,
        },
    ]
    indicator_ids = list(data.indicator_refs)
    for value in data.indicator_values:
        atom = patterns.classify(value)
        if atom is None:
            raise InvalidInput(
                "not an indicator",
                [
                    Problem(
                        "{value!r} is no IP, domain, URL, hash or address",
                        "field indicator_values",
                        values={"value": value},
                    )
                ],
            )
        ident = f"indicator--{uuid.uuid5(NAMESPACE, f'advisory:{atom.kind}:{atom.value}')}"
        objects.append(
            {
                "type": "indicator",
                "id": ident,
                "name": f"{KIND_NAMES[atom.kind]} {atom.value} ({data.title})",
                "pattern": patterns.pattern_for(atom.kind, atom.value),
                "pattern_type": "stix",
                "valid_from": stamp,
                "indicator_types": ["malicious-activity"],
                **common,
            }
        )
        indicator_ids.append(ident)
    for ident in indicator_ids:
        objects.append(
            {
                "type": "relationship",
                "id": f"relationship--{uuid.uuid4()}",
                "relationship_type": "mitigates",
                "source_ref": coa_id,
                "target_ref": ident,
                **common,
            }
        )
    report_id = f"report--{uuid.uuid4()}"
    objects.append(
        {
            "type": "report",
            "id": report_id,
            "name": data.title,
            "description": f"{data.summary}\n\n[{data.severity}] {data.countermeasures}",
            "published": stamp,
            "report_types": ["threat-report"],
            "object_refs": [coa_id, *indicator_ids],
            **common,
        }
    )
    return objects, report_id, coa_id


def publish(by: Acting, data: AdvisoryCreate) -> Advisory:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    require(principal, "intel.advisory.publish")
    level = TLP(data.tlp)
    objects, report_id, coa_id = _stix(data, settings, now, level)
    collection = session.get(IntelCollection, ADVISORIES)
    assert collection is not None
    result = ingest(
        session,
        settings,
        principal,
        collection,
        objects,
        now=now,
        source="advisory",
        default_tlp=level,
        owner=JOINT,
        audience_all=data.wards is None,
        audience=audience_text(data.wards),
        client=client,
    )
    if result.failures:
        raise InvalidInput(
            "the advisory is not valid STIX",
            [Problem(f["message"], f["id"]) for f in result.failures],
        )
    advisory = Advisory(
        title=data.title,
        summary=data.summary,
        countermeasures=data.countermeasures,
        severity=data.severity,
        tlp=level.value,
        all_wards=data.wards is None,
        indicator_refs=[o["id"] for o in objects if o["type"] == "indicator"]
        + list(data.indicator_refs),
        report_id=report_id,
        course_of_action_id=coa_id,
        due_at=data.due_at,
        created_by=principal.label,
        published_at=now,
        urgency=data.urgency,
    )
    session.add(advisory)
    session.flush()
    recipients = data.wards or sorted(ward_codes())
    session.add_all(AdvisoryRecipient(advisory_id=advisory.id, ward=w) for w in recipients)
    audit.record(
        session,
        principal,
        "intel.advisory.publish",
        object_type="intel_advisory",
        object_id=advisory.id,
        detail={"wards": len(recipients), "tlp": level.value, "urgency": data.urgency},
        client=client,
        at=now,
    )
    session.flush()
    _notify(session, settings, advisory, recipients, now)
    return advisory


def _notify(
    session: Session, settings: Settings, advisory: Advisory, wards: list[TenantCode], now: datetime
) -> None:
    subject = f"【注意喚起・{advisory.severity}】{advisory.title}"
    link = (
        f"{settings.section(CsirtSettings).public_base_url.rstrip('/')}/intel/advisories"
        f"/{advisory.id}"
    )
    body = f"{advisory.summary}\n\n{advisory.countermeasures}\n\n{link}"
    outbox.enqueue_emails(
        session,
        outbox.staff_emails(session, Role.WARD_IT.value, wards),
        subject=subject,
        body=body,
        link=link,
        now=now,
        topic="intel.advisory",
        reference=f"advisory:{advisory.id}",
    )
    if advisory.severity == "critical":
        for team in oncall.teams_for(session, wards, ("ward_contact",)):
            if team.tenant in wards:
                paging.page_team(
                    session, team, subject=subject, body=body, settings=settings, now=now
                )


def get(session: Session, principal: Principal, advisory_id: int) -> Advisory:
    require(principal, "intel.advisory.read")
    advisory = session.get(Advisory, advisory_id)
    if advisory is None:
        raise NotFound("advisory {advisory_id} not found", values={"advisory_id": advisory_id})
    if not principal.is_joint:
        recipient = _recipient(session, advisory_id, principal.tenant)
        if recipient is None:
            raise NotFound("advisory {advisory_id} not found", values={"advisory_id": advisory_id})
    return advisory


def _recipient(session: Session, advisory_id: int, ward: TenantCode) -> AdvisoryRecipient | None:
    return session.scalar(
        select(AdvisoryRecipient).where(
            AdvisoryRecipient.advisory_id == advisory_id, AdvisoryRecipient.ward == ward
        )
    )


def recipients(session: Session, principal: Principal, advisory_id: int) -> list[AdvisoryRecipient]:
    """Every recipient's state for the joint centre; a ward sees its own row only."""
    get(session, principal, advisory_id)
    tenants = visible_tenants(principal, "intel.advisory.read")
    stmt = select(AdvisoryRecipient).where(AdvisoryRecipient.advisory_id == advisory_id)
    if tenants is not None:
        stmt = stmt.where(AdvisoryRecipient.ward.in_(tenants))
    return list(session.scalars(stmt.order_by(AdvisoryRecipient.ward)))


def respond(
    by: Acting,
    advisory_id: int,
    *,
    ward: TenantCode | None = None,
    acknowledged: bool = False,
    applied: bool = False,
    note: str = "",
) -> AdvisoryRecipient:
    """A ward acknowledges the advisory and/or records that its countermeasure is applied."""
    session, principal, now = by.session, by.principal, by.now
    client = by.client
    ward = ward or principal.tenant
    require(principal, "intel.advisory.respond", ward, hide=True)
    get(session, principal, advisory_id)
    recipient = _recipient(session, advisory_id, ward)
    if recipient is None:
        raise NotFound(
            "advisory {advisory_id} was not sent to {ward}",
            values={"advisory_id": advisory_id, "ward": ward},
        )
    if not (acknowledged or applied or note):
        raise InvalidInput("nothing to record", [Problem("acknowledge, applied or a note", "body")])
    if acknowledged and recipient.acknowledged_at is None:
        recipient.acknowledged_at, recipient.acknowledged_by = now, principal.label
    if applied:
        if recipient.applied_at is not None:
            raise Conflict(
                "the countermeasure was recorded as applied at {applied_at}",
                values={"applied_at": recipient.applied_at.isoformat()},
            )
        recipient.applied_at, recipient.applied_by = now, principal.label
        if recipient.acknowledged_at is None:
            recipient.acknowledged_at, recipient.acknowledged_by = now, principal.label
    if note:
        recipient.note = note[:5000]
    audit.record(
        session,
        principal,
        "intel.advisory.respond",
        object_type="intel_advisory",
        object_id=advisory_id,
        object_tenant=ward,
        detail={"acknowledged": acknowledged, "applied": applied},
        client=client,
        at=now,
    )
    return recipient


def search(
    session: Session, principal: Principal, *, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Advisory, int, int, int]], int]:
    """Advisories with (recipients, acknowledged, applied) counts for the caller's view."""
    tenants = visible_tenants(principal, "intel.advisory.read")
    counts = select(
        AdvisoryRecipient.advisory_id,
        func.count().label("n"),
        func.count(AdvisoryRecipient.acknowledged_at).label("ack"),
        func.count(AdvisoryRecipient.applied_at).label("applied"),
    ).group_by(AdvisoryRecipient.advisory_id)
    if tenants is not None:
        counts = counts.where(AdvisoryRecipient.ward.in_(tenants))
    sub = counts.subquery()
    stmt = select(Advisory, sub.c.n, sub.c.ack, sub.c.applied).join(
        sub, sub.c.advisory_id == Advisory.id
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Advisory.published_at.desc()).limit(limit).offset(offset)
    ).all()
    return [(a, n, ack, applied) for a, n, ack, applied in rows], total
