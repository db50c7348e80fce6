"""Deposits and purposes: what enters the zone, under which legal basis, and what an
analysis may use of it — each decided by the owning ward's privacy officer and audited.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, allows, require, visible_tenants
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.ebpm.zone import extracts
from rengo.ebpm.zone.disclosure import ColumnKind, ColumnRule
from rengo.ebpm.zone.models import ZoneDeposit, ZonePurpose
from rengo.ebpm.zone.settings import ZoneSettings
from rengo.ebpm.zone.vault import Vault

DOMAINS = ("disaster", "welfare", "child")
"""防災 (要支援者 × 避難所), 福祉 (介護認定 × 医療), 子育て (母子健康 × 教育)."""
NEVER_ANALYSED = (ColumnKind.DIRECT, ColumnKind.CODE, ColumnKind.LINK)
AUDIT_OBJECT = "zone_deposit"


@dataclass(frozen=True, slots=True)
class Zone:
    """The zone's place on disk and its key, from the runtime's settings."""

    folder: Path
    vault: Vault
    settings: ZoneSettings

    @classmethod
    def of(cls, runtime: Runtime) -> Zone:
        return cls.open(runtime.settings, runtime.data_dir)

    @classmethod
    def open(cls, settings: Settings, data_dir: DataDir) -> Zone:
        section = settings.section(ZoneSettings)
        root = data_dir.root
        vault = Vault.open(section.key_file or root.parent / "rengo-zone.key", root)
        return cls(data_dir.files("ebpm_zone"), vault, section)

    def path(self, kind: str, object_id: int) -> Path:
        return self.folder / f"{kind}-{object_id}.parquet.sealed"

    def seal_table(self, kind: str, object_id: int, table: pa.Table) -> str:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        return self.vault.seal(self.path(kind, object_id), buffer.getvalue())

    def open_table(self, kind: str, object_id: int) -> pa.Table:
        return pq.read_table(io.BytesIO(self.vault.open_sealed(self.path(kind, object_id))))


def rules_of(deposit: ZoneDeposit) -> dict[str, ColumnRule]:
    return extracts.parse_rules(deposit.columns, f"deposit {deposit.id}")


def deposit(
    session: Session,
    zone: Zone,
    principal: Principal,
    data: bytes,
    *,
    source: str,
    ward: TenantCode,
    department: str,
    domain: str,
    title: str,
    legal_basis: str,
    purpose: str,
    retention_until: date,
    columns: Mapping[str, Mapping[str, str]],
    key_column: str,
    today: date,
) -> ZoneDeposit:
    """Check the extract whole, seal it, and record it as awaiting approval."""
    require(principal, "ebpm.zone.deposit", ward)
    problems = []
    if domain not in DOMAINS:
        problems.append(
            Problem("one of {domains}", "field domain", {"domains": ", ".join(DOMAINS)})
        )
    if not legal_basis.strip():
        problems.append(Problem("the legal basis of the deposit is required", "field legal_basis"))
    if not purpose.strip():
        problems.append(Problem("the purpose of the deposit is required", "field purpose"))
    if retention_until <= today:
        problems.append(Problem("the retention must end after today", "field retention_until"))
    if len(data) > zone.settings.max_deposit_mb * 1024 * 1024:
        problems.append(Problem("the extract is larger than the zone accepts", source))
    if problems:
        raise InvalidInput("the deposit is not valid", problems)
    rules = extracts.parse_rules(columns, "field columns")
    extract = extracts.read(data, rules, key_column, source)
    row = ZoneDeposit(
        ward=ward,
        department=department,
        domain=domain,
        title=title,
        legal_basis=legal_basis,
        purpose=purpose,
        retention_until=retention_until,
        columns={
            n: {"kind": r.kind.value, "hierarchy": r.hierarchy.value} for n, r in rules.items()
        },
        key_column=key_column,
        row_count=extract.table.num_rows,
        sha256="",
        status="pending",
        created_by=principal.label,
        decision_note="",
    )
    session.add(row)
    session.flush()
    row.sha256 = zone.seal_table("deposit", row.id, extract.table)
    audit.record(
        session,
        principal,
        "ebpm.zone.deposit",
        object_type=AUDIT_OBJECT,
        object_id=row.id,
        object_tenant=ward,
        detail={"rows": row.row_count, "encoding": extract.encoding, "domain": domain},
    )
    return row


def get_deposit(session: Session, principal: Principal, deposit_id: int) -> ZoneDeposit:
    row = session.get(ZoneDeposit, deposit_id)
    if row is None or row.status == "deleted":
        raise NotFound("not found")
    require(principal, "ebpm.zone.read", row.ward, hide=True)
    return row


def list_deposits(session: Session, principal: Principal) -> list[ZoneDeposit]:
    tenants = visible_tenants(principal, "ebpm.zone.read")
    query = select(ZoneDeposit).where(ZoneDeposit.status != "deleted").order_by(ZoneDeposit.id)
    if tenants is not None:
        query = query.where(ZoneDeposit.ward.in_(tenants))
    return list(session.scalars(query))


def decide_deposit(
    session: Session,
    principal: Principal,
    deposit_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
) -> ZoneDeposit:
    row = get_deposit(session, principal, deposit_id)
    _decide(principal, row.ward, row.created_by, "deposit")
    if row.status != "pending":
        raise Conflict("the deposit was already decided", [Problem(row.status, "status")])
    row.status = "approved" if approve else "rejected"
    row.decided_by, row.decided_at, row.decision_note = principal.label, now, note
    audit.record(
        session,
        principal,
        f"ebpm.zone.deposit.{row.status}",
        object_type=AUDIT_OBJECT,
        object_id=row.id,
        object_tenant=row.ward,
        detail={"note": note},
    )
    return row


def _decide(principal: Principal, ward: TenantCode, requested_by: str, what: str) -> None:
    """The owning ward's own privacy officer decides, never the one who asked."""
    require(principal, "ebpm.zone.approve", ward, hide=True)
    if principal.tenant != ward:
        raise NotFound("not found")
    if principal.label == requested_by:
        raise Conflict(
            "a {what} is decided by someone other than who made it", values={"what": what}
        )


def expire(session: Session, zone: Zone, principal: Principal, today: date) -> list[int]:
    """Delete every deposit whose retention has ended: its sealed file and its use."""
    expired = session.scalars(
        select(ZoneDeposit).where(
            ZoneDeposit.retention_until < today, ZoneDeposit.status != "deleted"
        )
    ).all()
    for row in expired:
        zone.path("deposit", row.id).unlink(missing_ok=True)
        row.status = "deleted"
        audit.record(
            session,
            principal,
            "ebpm.zone.deposit.expired",
            object_type=AUDIT_OBJECT,
            object_id=row.id,
            object_tenant=row.ward,
            detail={"retention_until": row.retention_until.isoformat()},
        )
    return [row.id for row in expired]


# -- purposes -----------------------------------------------------------------------


def request_purpose(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode,
    title: str,
    description: str,
    legal_basis: str,
    columns: Mapping[int, list[str]],
) -> ZonePurpose:
    """Ask to use these columns of these deposits; identifiers can never be asked for."""
    require(principal, "ebpm.zone.purpose", ward)
    problems = []
    for deposit_id, names in columns.items():
        used = session.get(ZoneDeposit, deposit_id)
        if used is None or used.status != "approved":
            problems.append(Problem("not an approved deposit", f"field columns.{deposit_id}"))
            continue
        rules = rules_of(used)
        for name in names:
            if name not in rules:
                problems.append(Problem("no such column", f"field columns.{deposit_id}.{name}"))
            elif rules[name].kind in NEVER_ANALYSED:
                problems.append(
                    Problem(
                        "identifiers and codes never leave the deposit; the zone gives a "
                        "pseudonymous person key instead",
                        f"field columns.{deposit_id}.{name}",
                    )
                )
    if not columns:
        problems.append(Problem("at least one deposit", "field columns"))
    if problems:
        raise InvalidInput("the purpose is not valid", problems)
    row = ZonePurpose(
        ward=ward,
        title=title,
        description=description,
        legal_basis=legal_basis,
        deposit_ids=sorted(columns),
        columns={str(k): list(v) for k, v in columns.items()},
        approvals={},
        status="pending",
        requested_by=principal.label,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "ebpm.zone.purpose.request",
        object_type="zone_purpose",
        object_id=row.id,
        object_tenant=ward,
        detail={"columns": row.columns},
    )
    return row


def owners(session: Session, purpose: ZonePurpose) -> set[TenantCode]:
    """Every ward whose deposit the purpose uses: each must approve it."""
    wards = session.scalars(
        select(ZoneDeposit.ward).where(ZoneDeposit.id.in_(purpose.deposit_ids))
    ).all()
    return set(wards)


def get_purpose(session: Session, principal: Principal, purpose_id: int) -> ZonePurpose:
    row = session.get(ZonePurpose, purpose_id)
    if row is None:
        raise NotFound("not found")
    wards = {row.ward} | owners(session, row)
    if not any(
        allows(principal, action, wards) for action in ("ebpm.zone.read", "ebpm.zone.purpose")
    ):
        raise NotFound("not found")
    return row


def decide_purpose(
    session: Session, principal: Principal, purpose_id: int, *, approve: bool, now: datetime
) -> ZonePurpose:
    """One owning ward's decision; the purpose is approved once every owner approved."""
    row = get_purpose(session, principal, purpose_id)
    wards = owners(session, row)
    if principal.tenant not in wards:
        raise NotFound("not found")
    _decide(principal, principal.tenant, row.requested_by, "purpose")
    if row.status != "pending":
        raise Conflict("the purpose was already decided", [Problem(row.status, "status")])
    if approve:
        row.approvals = {**row.approvals, principal.tenant: principal.label}
        if set(row.approvals) >= wards:
            row.status = "approved"
            row.decided_by, row.decided_at = principal.label, now
    else:
        row.status = "rejected"
        row.decided_by, row.decided_at = principal.label, now
    audit.record(
        session,
        principal,
        "ebpm.zone.purpose.approve" if approve else "ebpm.zone.purpose.reject",
        object_type="zone_purpose",
        object_id=row.id,
        object_tenant=principal.tenant,
        detail={"status": row.status, "owners": sorted(wards)},
    )
    return row


def summary(row: ZoneDeposit) -> dict[str, Any]:
    """What may be shown of a deposit: metadata only."""
    return {
        "id": row.id,
        "ward": row.ward,
        "department": row.department,
        "domain": row.domain,
        "title": row.title,
        "legal_basis": row.legal_basis,
        "purpose": row.purpose,
        "retention_until": row.retention_until.isoformat(),
        "columns": row.columns,
        "rows": row.row_count,
        "status": row.status,
        "created_by": row.created_by,
        "decided_by": row.decided_by,
    }
