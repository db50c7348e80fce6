"""Policies and their logic models: create (from a template), read, change while a draft.

A ward's drafts are its own: other wards see a policy once it is approved (published).
Every change is audited; each submission freezes a version (``PolicyVersion``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import utcnow
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, allows, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, is_tenant
from rengo.ebpm.models import Actual, Approval, Element, Indicator, Policy, PolicyVersion
from rengo.ebpm.schemas import ElementCreate, PolicyCreate, PolicyPatch
from rengo.ebpm.templates import TEMPLATES
from rengo.ebpm.vocabulary import STAGES

PUBLISHED = "approved"


@dataclass(slots=True)
class LogicModel:
    """A policy with everything its diagram, page and exports show."""

    policy: Policy
    elements: list[Element]
    indicators: list[Indicator]
    actuals: dict[int, list[Actual]] = field(default_factory=dict)
    approvals: list[Approval] = field(default_factory=list)

    def by_stage(self) -> list[tuple[str, list[Element]]]:
        return [(s, [e for e in self.elements if e.stage == s]) for s in STAGES]

    def indicators_of(self, element_id: int) -> list[Indicator]:
        return [i for i in self.indicators if i.element_id == element_id]


def _tenant_for(principal: Principal, requested: str | None) -> TenantCode:
    tenant = requested or principal.tenant
    if not is_tenant(tenant) or tenant == JOINT:
        raise InvalidInput(
            "a policy belongs to a ward",
            [Problem("give the code of a ward", "field ward")],
        )
    return tenant


def audit_policy(
    session: Session,
    principal: Principal,
    action: str,
    policy: Policy,
    client: str,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        principal,
        f"ebpm.policy.{action}",
        object_type="ebpm_policy",
        object_id=policy.id,
        object_tenant=policy.tenant,
        detail=detail or {},
        client=client,
    )


def create_policy(
    session: Session,
    principal: Principal,
    data: PolicyCreate,
    *,
    origin: str = "manual",
    client: str = "",
    at: datetime | None = None,
) -> Policy:
    tenant = _tenant_for(principal, data.ward)
    require(principal, "ebpm.policies.write", tenant)
    now = at or utcnow()
    template = TEMPLATES[data.template] if data.template else None
    values = data.model_dump(exclude={"ward", "template"})
    if template and not values["purpose"]:
        values["purpose"] = template.purpose
    policy = Policy(
        tenant=tenant,
        template=data.template,
        origin=origin,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(policy)
    session.flush()
    if template is not None:
        for position, item in enumerate(template.elements):
            element = Element(
                policy_id=policy.id, stage=item.stage, position=position, text=item.text
            )
            session.add(element)
            session.flush()
            for ti in item.indicators:
                session.add(
                    Indicator(
                        policy_id=policy.id,
                        element_id=element.id,
                        tenant=tenant,
                        name=ti.name,
                        definition=ti.definition,
                        unit=ti.unit,
                        direction=ti.direction,
                        source=ti.source,
                        survey_question=ti.survey_question,
                        key_outcome=ti.key_outcome,
                    )
                )
        session.flush()
    audit_policy(
        session,
        principal,
        "create",
        policy,
        client,
        {"title": policy.title, "template": data.template},
    )
    return policy


def readable(principal: Principal, policy: Policy) -> bool:
    """May ``principal`` read ``policy``: its own ward's, or any ward's once published."""
    if policy.status == PUBLISHED and allows(principal, "ebpm.policies.read_published"):
        return True
    return allows(principal, "ebpm.policies.read", policy.tenant)


def visible_policy(session: Session, principal: Principal, policy_id: int) -> Policy:
    """The policy if ``principal`` may read it; another ward's draft answers 404."""
    policy = session.get(Policy, policy_id)
    if policy is None or not readable(principal, policy):
        raise NotFound("policy {policy_id} not found", values={"policy_id": policy_id})
    return policy


def list_policies(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode | None = None,
    fiscal_year: int | None = None,
    status: str | None = None,
) -> list[Policy]:
    """One's ward's policies (or ``ward``'s, if one may read it) and, without ``ward``,
    the published policies of every ward."""
    own = narrow_to_visible(principal, "ebpm.policies.read", ward or None)
    stmt = select(Policy)
    if own is not None:
        published = allows(principal, "ebpm.policies.read_published") and not ward
        stmt = stmt.where(
            or_(Policy.tenant.in_(own), Policy.status == PUBLISHED)
            if published
            else Policy.tenant.in_(own)
        )
    if fiscal_year:
        stmt = stmt.where(Policy.fiscal_year == fiscal_year)
    if status:
        stmt = stmt.where(Policy.status == status)
    return list(session.scalars(stmt.order_by(Policy.fiscal_year.desc(), Policy.tenant, Policy.id)))


def load_model(session: Session, policy: Policy) -> LogicModel:
    elements = list(
        session.scalars(
            select(Element)
            .where(Element.policy_id == policy.id)
            .order_by(Element.position, Element.id)
        )
    )
    indicators = list(
        session.scalars(
            select(Indicator).where(Indicator.policy_id == policy.id).order_by(Indicator.id)
        )
    )
    actuals: dict[int, list[Actual]] = {i.id: [] for i in indicators}
    if indicators:
        for actual in session.scalars(
            select(Actual)
            .where(Actual.indicator_id.in_([i.id for i in indicators]))
            .order_by(Actual.period_end)
        ):
            actuals[actual.indicator_id].append(actual)
    approvals = list(
        session.scalars(
            select(Approval).where(Approval.policy_id == policy.id).order_by(Approval.id)
        )
    )
    return LogicModel(policy, elements, indicators, actuals, approvals)


def editable_policy(session: Session, principal: Principal, policy_id: int) -> Policy:
    """The policy if ``principal`` may change it now: its ward's policy staff, while a draft."""
    policy = visible_policy(session, principal, policy_id)
    require(principal, "ebpm.policies.write", policy.tenant, hide=True)
    if policy.status != "draft":
        raise Conflict(
            "policy {policy_id} is {status}: only a draft can be changed (revise it first)",
            values={"policy_id": policy.id, "status": policy.status},
        )
    return policy


def _touch(policy: Policy) -> None:
    policy.updated_at = utcnow()


def update_policy(
    session: Session, principal: Principal, policy_id: int, patch: PolicyPatch, *, client: str = ""
) -> Policy:
    policy = editable_policy(session, principal, policy_id)
    changes = patch.model_dump(exclude_unset=True)
    diff = {}
    for name, value in changes.items():
        if value is None and name not in ("budget_yen",):
            continue
        if getattr(policy, name) != value:
            diff[name] = [getattr(policy, name), value]
            setattr(policy, name, value)
    if diff:
        _touch(policy)
        audit_policy(session, principal, "update", policy, client, {"fields": sorted(diff)})
    return policy


def add_element(
    session: Session, principal: Principal, policy_id: int, data: ElementCreate, *, client: str = ""
) -> Element:
    policy = editable_policy(session, principal, policy_id)
    last = session.scalars(
        select(Element.position)
        .where(Element.policy_id == policy.id)
        .order_by(Element.position.desc())
    ).first()
    element = Element(
        policy_id=policy.id, stage=data.stage, text=data.text, position=(last or 0) + 1
    )
    session.add(element)
    session.flush()
    _touch(policy)
    audit_policy(
        session,
        principal,
        "element.add",
        policy,
        client,
        {"element": element.id, "stage": data.stage},
    )
    return element


def remove_element(
    session: Session, principal: Principal, policy_id: int, element_id: int, *, client: str = ""
) -> None:
    policy = editable_policy(session, principal, policy_id)
    element = session.get(Element, element_id)
    if element is None or element.policy_id != policy.id:
        raise NotFound("element {element_id} not found", values={"element_id": element_id})
    for indicator in session.scalars(select(Indicator).where(Indicator.element_id == element.id)):
        indicator.element_id = None
    session.delete(element)
    _touch(policy)
    audit_policy(session, principal, "element.remove", policy, client, {"element": element_id})


def snapshot(model: LogicModel) -> dict[str, Any]:
    """The whole logic model as plain data (frozen per version; the JSON export)."""

    def iso(value: date | datetime | None) -> str | None:
        return value.isoformat() if value else None

    p = model.policy
    return {
        "id": p.id,
        "ward": p.tenant,
        "title": p.title,
        "department": p.department,
        "fiscal_year": p.fiscal_year,
        "is_new": p.is_new,
        "budget_line": p.budget_line,
        "budget_yen": p.budget_yen,
        "purpose": p.purpose,
        "status": p.status,
        "version": p.version,
        "elements": [
            {"id": e.id, "stage": e.stage, "text": e.text, "position": e.position}
            for e in model.elements
        ],
        "indicators": [
            {
                "id": i.id,
                "element_id": i.element_id,
                "name": i.name,
                "definition": i.definition,
                "unit": i.unit,
                "direction": i.direction,
                "baseline": i.baseline,
                "baseline_date": iso(i.baseline_date),
                "target": i.target,
                "source": i.source,
                "metric_target": i.metric_target,
                "survey_question": i.survey_question,
                "key_outcome": i.key_outcome,
                "actuals": [
                    {"period_end": iso(a.period_end), "value": a.value, "margin": a.margin}
                    for a in model.actuals.get(i.id, [])
                ],
            }
            for i in model.indicators
        ],
    }


def freeze_version(session: Session, principal: Principal, policy: Policy) -> PolicyVersion:
    existing = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy.id, PolicyVersion.version == policy.version
        )
    )
    data = snapshot(load_model(session, policy))
    if existing is not None:
        existing.snapshot, existing.at, existing.actor = data, utcnow(), principal.label
        return existing
    version = PolicyVersion(
        policy_id=policy.id, version=policy.version, actor=principal.label, snapshot=data
    )
    session.add(version)
    session.flush()
    return version


def versions(session: Session, principal: Principal, policy_id: int) -> list[PolicyVersion]:
    policy = visible_policy(session, principal, policy_id)
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy.id)
            .order_by(PolicyVersion.version.desc())
        )
    )
