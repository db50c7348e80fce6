"""The audit log for administrators: search and export (a ward's admin sees their ward)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rengo.core import audit
from rengo.core.permissions import require, visible_tenants
from rengo.core.types import TenantCode
from rengo.web.deps import SessionDep, Timestamp, UserDep, client_address

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    actor_tenant: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    object_tenant: TenantCode | None
    detail: dict[str, Any]
    client: str
    row_hash: str


class ChainOut(BaseModel):
    checked: int
    intact: bool
    first_bad_id: int | None
    reason: str | None = Field(None, description="What does not fit; null when intact.")


def _query(
    principal: Any,
    session: Any,
    action: str | None,
    actor: str | None,
    object_type: str | None,
    object_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> list[audit.AuditEvent]:
    return audit.query(
        session,
        tenants=visible_tenants(principal, "audit.read"),
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )


@router.get("", response_model=list[AuditEventOut], summary="Search the audit log, newest first")
def list_events(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    action: Annotated[str | None, Query(description="Prefix, e.g. 'asset.'")] = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[AuditEventOut]:
    rows = _query(
        principal, session, action, actor, object_type, object_id, since, until, limit, offset
    )
    audit.record_read(
        session,
        principal,
        "audit.read",
        object_type="audit_log",
        rows=len(rows),
        client=client_address(request),
    )
    return [AuditEventOut.model_validate(e) for e in rows]


@router.get(
    "/export.csv",
    summary="Export the audit log as CSV (UTF-8 with BOM)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_events(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    action: str | None = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
) -> StreamingResponse:
    rows = _query(principal, session, action, None, None, None, since, until, 1_000_000, 0)
    audit.record(
        session,
        principal,
        "audit.export",
        object_type="audit_log",
        detail={"rows": len(rows)},
        client=client_address(request),
    )
    return StreamingResponse(
        audit.export_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/verify", response_model=ChainOut, summary="Check the hash chain of the whole log")
def verify(principal: UserDep, session: SessionDep) -> ChainOut:
    require(principal, "audit.verify")
    report = audit.verify_chain(session)
    return ChainOut(
        checked=report.checked,
        intact=report.intact,
        first_bad_id=report.first_bad_id,
        reason=report.reason,
    )
