"""Public SaaS meeting the government's criteria, who uses it, joint procurement, trainings.

The criteria the wards require of a SaaS: ISMAP (or ISMAP-LIU) registration, data
kept in Japan, an availability commitment, reachability from LGWAN. Joint procurement
records and FinOps/BPR trainings (participants per ward) feed measure 2's KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, Problem
from rengo.core.permissions import Principal, require
from rengo.core.types import TenantCode
from rengo.core.wards import is_tenant
from rengo.finops.models import (
    JointProcurement,
    SaasProduct,
    SaasUsage,
    Training,
    TrainingAttendance,
)

MIN_AVAILABILITY = 99.5


@dataclass(frozen=True, slots=True)
class Criteria:
    ismap: bool
    data_in_japan: bool
    availability: bool
    lgwan: bool

    @property
    def met(self) -> bool:
        return self.ismap and self.data_in_japan and self.availability


def criteria(product: SaasProduct) -> Criteria:
    return Criteria(
        ismap=bool(product.ismap_id),
        data_in_japan=product.data_in_japan,
        availability=(product.availability_pct or 0) >= MIN_AVAILABILITY,
        lgwan=product.lgwan,
    )


def products(session: Session, principal: Principal) -> list[tuple[SaasProduct, list[str]]]:
    require(principal, "finops.saas.read")
    users: dict[int, list[str]] = {}
    for pid, ward in session.execute(
        select(SaasUsage.product_id, SaasUsage.ward).order_by(SaasUsage.ward)
    ):
        users.setdefault(pid, []).append(ward)
    return [
        (p, users.get(p.id, []))
        for p in session.scalars(select(SaasProduct).order_by(SaasProduct.name))
    ]


def add_product(session: Session, principal: Principal, **fields: object) -> SaasProduct:
    require(principal, "finops.saas.write")
    name = str(fields.get("name") or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("invalid product", [Problem("1 to 200 characters", "name")])
    if session.scalar(select(SaasProduct.id).where(SaasProduct.name == name)) is not None:
        raise Conflict(f"{name!r} is already listed", [Problem("choose another name", "name")])
    product = SaasProduct(**{**fields, "name": name})
    session.add(product)
    session.flush()
    audit.record(
        session, principal, "finops.saas.create", object_type="finops_saas", object_id=product.id
    )
    return product


def mark_used(
    session: Session,
    principal: Principal,
    product_id: int,
    ward: TenantCode,
    since: date | None = None,
) -> None:
    require(principal, "finops.saas.use", ward)
    if session.get(SaasProduct, product_id) is None:
        raise InvalidInput("unknown product", [Problem(f"no product {product_id}", "product_id")])
    if (
        session.scalar(
            select(SaasUsage).where(SaasUsage.product_id == product_id, SaasUsage.ward == ward)
        )
        is None
    ):
        session.add(SaasUsage(product_id=product_id, ward=ward, since=since))
        session.flush()
        audit.record(
            session,
            principal,
            "finops.saas.use",
            object_type="finops_saas",
            object_id=product_id,
            object_tenant=ward,
        )


def add_procurement(
    session: Session,
    principal: Principal,
    *,
    title: str,
    wards: list[TenantCode],
    procured_on: date,
    product_id: int | None = None,
    business_system: str = "",
    amount: float | None = None,
    note: str = "",
) -> JointProcurement:
    require(principal, "finops.saas.write")
    bad = [w for w in wards if not is_tenant(w)]
    if not title.strip() or len(title) > 200:
        raise InvalidInput("invalid joint procurement", [Problem("1 to 200 characters", "title")])
    if len(set(wards)) < 2 or bad:
        raise InvalidInput(
            "invalid joint procurement", [Problem("at least two known wards", "wards")]
        )
    row = JointProcurement(
        title=title,
        wards=wards,
        procured_on=procured_on,
        product_id=product_id,
        business_system=business_system,
        amount=amount,
        note=note,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "finops.procurement.create",
        object_type="finops_procurement",
        object_id=row.id,
    )
    return row


def procurements(session: Session, principal: Principal) -> list[JointProcurement]:
    require(principal, "finops.saas.read")
    return list(
        session.scalars(select(JointProcurement).order_by(JointProcurement.procured_on.desc()))
    )


def add_training(
    session: Session,
    principal: Principal,
    *,
    title: str,
    topic: str,
    held_on: date,
    participants: dict[str, int],
    description: str = "",
) -> Training:
    require(principal, "finops.saas.write")
    problems = []
    if not title.strip() or len(title) > 200:
        problems.append(Problem("1 to 200 characters", "title"))
    if topic not in ("finops", "bpr"):
        problems.append(Problem("topic is finops or bpr", "topic"))
    problems += [
        Problem(f"unknown ward {w!r} or a negative count", "participants")
        for w, n in participants.items()
        if not is_tenant(w) or n < 0
    ]
    if problems:
        raise InvalidInput("invalid training", problems)
    training = Training(title=title, topic=topic, held_on=held_on, description=description)
    session.add(training)
    session.flush()
    for ward, count in participants.items():
        if count > 0:
            session.add(TrainingAttendance(training_id=training.id, ward=ward, participants=count))
    session.flush()
    audit.record(
        session,
        principal,
        "finops.training.create",
        object_type="finops_training",
        object_id=training.id,
        detail={"participants": sum(participants.values())},
    )
    return training


def trainings(session: Session, principal: Principal) -> list[tuple[Training, int]]:
    require(principal, "finops.saas.read")
    totals = dict(
        session.execute(
            select(
                TrainingAttendance.training_id, func.sum(TrainingAttendance.participants)
            ).group_by(TrainingAttendance.training_id)
        ).all()
    )
    return [
        (t, int(totals.get(t.id, 0) or 0))
        for t in session.scalars(select(Training).order_by(Training.held_on.desc()))
    ]
