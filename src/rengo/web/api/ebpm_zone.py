"""JSON API of the data-linkage zone: deposits, purposes, linkages, clerical review,
releases. Records never appear here except as the analyst's pseudonymised view and
approved, de-identified releases."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from rengo.core import csv_safe
from rengo.core.errors import InvalidInput, Problem
from rengo.core.types import TenantCode
from rengo.ebpm.zone import analysis, deposits
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.disclosure import ColumnKind, ColumnRule, Hierarchy
from rengo.ebpm.zone.models import ZoneLinkage, ZonePurpose, ZoneRelease, ZoneReview
from rengo.ebpm.zone.tables import Dimension, TableRequest
from rengo.web.deps import ActingDep, IdPath, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/ebpm", tags=["ebpm: linkage zone"])
Domain = Literal["disaster", "welfare", "child"]


class Decision(BaseModel):
    approve: bool
    note: str = Field("", max_length=2000)


class PurposeIn(BaseModel):
    ward: TenantCode = Field(pattern=r"^(\d{6}|joint)$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    legal_basis: str = Field(min_length=1, max_length=2000)
    columns: dict[int, list[str]] = Field(
        description="Deposit id → the columns the analysis needs (never identifiers)."
    )


class LinkageIn(BaseModel):
    purpose_id: int = Field(ge=1)
    left_deposit_id: int = Field(ge=1)
    right_deposit_id: int = Field(ge=1)


class DimensionIn(BaseModel):
    column: str = Field(min_length=1, max_length=120)
    level: int = Field(
        0, ge=0, description="Level of the column's hierarchy (e.g. an address at 2: the ward)."
    )


class TableIn(BaseModel):
    dimensions: list[DimensionIn] = Field(min_length=1, max_length=4)
    epsilon: float | None = Field(
        None,
        gt=0,
        description="Differentially private counts with this ε (capped by "
        "ebpm_zone.max_epsilon); omitted: exact counts, suppression only.",
    )


class ReleaseIn(BaseModel):
    linkage_id: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    rules: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Overrides of the columns' classification: {column: {kind, hierarchy}}.",
    )
    table: TableIn | None = Field(
        None,
        description="Release a table of counts by these columns instead of rows: small "
        "cells suppressed (ebpm_zone.small_cell) with secondary suppression.",
    )


class ReviewIn(BaseModel):
    decision: Literal["match", "non_match"]


def _fields(row: object, names: str) -> dict[str, Any]:
    """The columns of a zone row named in ``names`` (space-separated), as the API returns them."""
    return {name: getattr(row, name) for name in names.split()}


def _purpose(row: ZonePurpose) -> dict[str, Any]:
    return _fields(
        row, "id ward title description legal_basis columns approvals status requested_by"
    )


def _linkage(row: ZoneLinkage) -> dict[str, Any]:
    return _fields(row, "id ward purpose_id") | {
        "deposits": [row.left_deposit_id, row.right_deposit_id],
        **_fields(row, "threshold review_floor links review"),
        "seconds": round(row.seconds, 2),
        "created_by": row.created_by,
    }


def _release(row: ZoneRelease) -> dict[str, Any]:
    return _fields(
        row,
        "id ward purpose_id linkage_id title rows report status requested_by decided_by "
        "decision_note",
    )


def _review(row: ZoneReview) -> dict[str, Any]:
    return _fields(row, "id left_record right_record") | {
        "probability": round(row.probability, 4),
        "decision": row.decision,
    }


@router.post("/deposits", status_code=201, summary="Deposit an extract (checked whole; sealed)")
async def create_deposit(
    runtime: RuntimeDep,
    session: SessionDep,
    principal: UserDep,
    file: Annotated[UploadFile, File(description="CSV in UTF-8, Shift_JIS or UTF-16")],
    ward: Annotated[TenantCode, Form(pattern=r"^\d{6}$")],
    department: Annotated[str, Form(min_length=1, max_length=120)],
    domain: Annotated[Domain, Form()],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    legal_basis: Annotated[str, Form(min_length=1, max_length=2000)],
    purpose: Annotated[str, Form(min_length=1, max_length=2000)],
    retention_until: Annotated[date, Form()],
    columns: Annotated[str, Form(description='JSON: {"column": {"kind", "hierarchy"}}')],
    key_column: Annotated[str, Form(min_length=1, max_length=120)],
) -> dict[str, Any]:
    try:
        declared = orjson.loads(columns)
    except orjson.JSONDecodeError:
        raise InvalidInput(
            "columns must be JSON", [Problem("a JSON object", "field columns")]
        ) from None
    if not isinstance(declared, dict):
        raise InvalidInput("columns must be a JSON object", [Problem("{…}", "field columns")])
    data = await file.read()
    row = deposits.deposit(
        session,
        Zone.of(runtime),
        principal,
        data,
        source=file.filename or "extract.csv",
        ward=ward,
        department=department,
        domain=domain,
        title=title,
        legal_basis=legal_basis,
        purpose=purpose,
        retention_until=retention_until,
        columns=declared,
        key_column=key_column,
        today=runtime.clock.now().date(),
    )
    return deposits.summary(row)


@router.get("/deposits", summary="Deposits of the wards one may see (metadata only)")
def list_deposits(session: SessionDep, principal: UserDep) -> list[dict[str, Any]]:
    return [deposits.summary(row) for row in deposits.list_deposits(session, principal)]


@router.get("/deposits/{deposit_id}", summary="One deposit (metadata only)")
def read_deposit(deposit_id: IdPath, session: SessionDep, principal: UserDep) -> dict[str, Any]:
    return deposits.summary(deposits.get_deposit(session, principal, deposit_id))


@router.post("/deposits/{deposit_id}/decision", summary="The privacy officer's decision")
def decide_deposit(deposit_id: IdPath, body: Decision, by: ActingDep) -> dict[str, Any]:
    row = deposits.decide_deposit(
        by.session, by.principal, deposit_id, approve=body.approve, note=body.note, now=by.now
    )
    return deposits.summary(row)


@router.post("/purposes", status_code=201, summary="Request a purpose: deposits and columns")
def create_purpose(body: PurposeIn, session: SessionDep, principal: UserDep) -> dict[str, Any]:
    row = deposits.request_purpose(
        session,
        principal,
        ward=body.ward,
        title=body.title,
        description=body.description,
        legal_basis=body.legal_basis,
        columns=body.columns,
    )
    return _purpose(row)


@router.get("/purposes/{purpose_id}", summary="One purpose and its approvals")
def read_purpose(purpose_id: IdPath, session: SessionDep, principal: UserDep) -> dict[str, Any]:
    return _purpose(deposits.get_purpose(session, principal, purpose_id))


@router.post("/purposes/{purpose_id}/decision", summary="An owning ward's decision on a purpose")
def decide_purpose(purpose_id: IdPath, body: Decision, by: ActingDep) -> dict[str, Any]:
    row = deposits.decide_purpose(
        by.session, by.principal, purpose_id, approve=body.approve, now=by.now
    )
    return _purpose(row)


@router.post("/linkages", status_code=201, summary="Link two deposits under a purpose (Splink)")
def create_linkage(
    body: LinkageIn, runtime: RuntimeDep, session: SessionDep, principal: UserDep
) -> dict[str, Any]:
    row = analysis.run(
        session,
        Zone.of(runtime),
        principal,
        purpose_id=body.purpose_id,
        left_id=body.left_deposit_id,
        right_id=body.right_deposit_id,
    )
    return _linkage(row)


@router.get("/linkages", summary="Linkage runs of the wards one may see")
def list_linkages(session: SessionDep, principal: UserDep) -> list[dict[str, Any]]:
    return [_linkage(row) for row in analysis.list_linkages(session, principal)]


@router.get("/linkages/{linkage_id}", summary="One linkage run and its estimated model")
def read_linkage(linkage_id: IdPath, session: SessionDep, principal: UserDep) -> dict[str, Any]:
    row = analysis.get_linkage(session, principal, linkage_id)
    return {**_linkage(row), "model": row.model}


@router.get(
    "/linkages/{linkage_id}/records",
    summary="The analyst's view: person key and the purpose's columns (audited)",
)
def linkage_records(
    linkage_id: IdPath,
    runtime: RuntimeDep,
    session: SessionDep,
    principal: UserDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    rows, total = analysis.records(
        session, Zone.of(runtime), principal, linkage_id, offset=offset, limit=limit
    )
    return {"total": total, "offset": offset, "records": rows}


@router.get("/linkages/{linkage_id}/review", summary="Pairs in the uncertain band")
def linkage_review(
    linkage_id: IdPath, session: SessionDep, principal: UserDep
) -> list[dict[str, Any]]:
    return [_review(r) for r in analysis.review_pairs(session, principal, linkage_id)]


@router.post("/reviews/{review_id}", summary="A clerical decision on an uncertain pair")
def decide_review(review_id: IdPath, body: ReviewIn, by: ActingDep) -> dict[str, Any]:
    row = analysis.decide_pair(
        by.session, by.principal, review_id, decision=body.decision, now=by.now
    )
    return _review(row)


@router.post("/releases", status_code=201, summary="Request a release (the five standards applied)")
def create_release(
    body: ReleaseIn, runtime: RuntimeDep, session: SessionDep, principal: UserDep
) -> dict[str, Any]:
    overrides = {}
    for name, spec in body.rules.items():
        try:
            overrides[name] = ColumnRule(
                ColumnKind(spec.get("kind", "")), Hierarchy(spec.get("hierarchy", "category"))
            )
        except ValueError:
            raise InvalidInput(
                "rules: kind and hierarchy must be known values", [Problem(name, "field rules")]
            ) from None
    table = (
        TableRequest(
            [Dimension(d.column, d.level) for d in body.table.dimensions], body.table.epsilon
        )
        if body.table
        else None
    )
    row = analysis.request_release(
        session,
        Zone.of(runtime),
        principal,
        body.linkage_id,
        title=body.title,
        overrides=overrides,
        table=table,
    )
    return _release(row)


@router.get("/releases", summary="Releases one may see")
def list_releases(session: SessionDep, principal: UserDep) -> list[dict[str, Any]]:
    return [_release(row) for row in analysis.list_releases(session, principal)]


@router.get("/releases/{release_id}", summary="A release and its report")
def read_release(release_id: IdPath, session: SessionDep, principal: UserDep) -> dict[str, Any]:
    return _release(analysis.get_release(session, principal, release_id))


@router.post("/releases/{release_id}/decision", summary="The privacy officer's decision")
def decide_release(release_id: IdPath, body: Decision, by: ActingDep) -> dict[str, Any]:
    row = analysis.decide_release(
        by.session, by.principal, release_id, approve=body.approve, note=body.note, now=by.now
    )
    return _release(row)


@router.get(
    "/releases/{release_id}/data.csv",
    summary="An approved release's de-identified data as CSV (audited)",
    response_class=Response,
)
def release_data(
    release_id: IdPath, runtime: RuntimeDep, session: SessionDep, principal: UserDep
) -> Response:
    release, table = analysis.released_table(session, Zone.of(runtime), principal, release_id)
    out = io.StringIO()
    writer = csv_safe.writer(out)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else v for v in row.values()])
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="release-{release.id}.csv"'},
    )
