"""The information asset register over JSON: list, search, create, read, update, history, CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from rengo.assets import csvio, service
from rengo.assets.schemas import AssetChangeOut, AssetCreate, AssetOut, AssetPatch
from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import require
from rengo.core.types import TenantCode
from rengo.web.api.paging import NumberedPage
from rengo.web.api.uploads import import_upload
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import Language, current_language

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])


class AssetPage(NumberedPage[AssetOut]):
    total: int = Field(description="Matching assets (at most 10,000 are counted)")


class ImportOut(BaseModel):
    created: int
    updated: int


def asset_filter(
    ward: Annotated[
        TenantCode | None, Query(description="Ward code; the joint centre may give any")
    ] = None,
    kind: str | None = None,
    location: str | None = None,
    segment: str | None = None,
    business_system: str | None = None,
    confidentiality: Annotated[int | None, Query(ge=1, le=9)] = None,
    personal_data: bool | None = None,
    classified: Annotated[bool | None, Query(description="Only (not) fully classified")] = None,
    retired: bool | None = None,
    q: Annotated[
        str | None, Query(description="Text in name, department, owner, host names")
    ] = None,
    sort: service.AssetSort = "name",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> service.AssetFilter:
    return service.AssetFilter(
        ward=ward,
        kind=kind,
        location=location,
        segment=segment,
        business_system=business_system,
        confidentiality=confidentiality,
        personal_data=personal_data,
        classified=classified,
        retired=retired,
        q=q,
        sort=sort,
        page=page,
        per_page=per_page,
    )


FilterDep = Annotated[service.AssetFilter, Depends(asset_filter)]


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get("", response_model=AssetPage, summary="Search the register")
def list_assets(principal: UserDep, session: SessionDep, f: FilterDep) -> AssetPage:
    page = service.search_assets(session, principal, f)
    return AssetPage.of(page, AssetOut.model_validate)


@router.get(
    "/export.csv",
    summary="Export matching assets as CSV (UTF-8 with BOM, opens in Excel)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_assets(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    f: FilterDep,
    lang: Annotated[Language | None, Query(description="Language of headers and labels")] = None,
) -> StreamingResponse:
    rows = list(service.iter_assets(session, principal, f))
    audit.record(
        session,
        principal,
        "asset.export",
        object_type="asset_list",
        object_tenant=f.ward,
        detail={"rows": len(rows)},
        client=client_address(request),
    )
    language = lang if lang in ("ja", "en") else current_language()
    return StreamingResponse(
        csvio.export_rows(rows, language),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="assets.csv"'},
    )


@router.post("/import", response_model=ImportOut, summary="Import a CSV file (all rows or none)")
async def import_assets(
    request: Request, principal: UserDep, runtime: RuntimeDep, file: UploadFile
) -> ImportOut:
    client = client_address(request)
    result = await import_upload(
        runtime,
        file,
        "upload.csv",
        lambda session, data, name: csvio.import_csv(
            session, principal, data, runtime.settings, filename=name, client=client
        ),
    )
    return ImportOut(created=result.created, updated=result.updated)


@router.post("", response_model=AssetOut, status_code=201, summary="Register an asset")
def create(
    body: AssetCreate,
    request: Request,
    response: Response,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AssetOut:
    asset = service.create_asset(
        session, principal, body, runtime.settings, origin="api", client=client_address(request)
    )
    response.headers["Location"] = f"/api/v1/assets/{asset.id}"
    response.headers["ETag"] = _etag(asset.version)
    return AssetOut.model_validate(asset)


@router.get("/{asset_id}", response_model=AssetOut, summary="One asset (the read is audited)")
def read(
    asset_id: IdPath, request: Request, response: Response, principal: UserDep, session: SessionDep
) -> AssetOut:
    asset = service.get_asset(session, principal, asset_id, client=client_address(request))
    response.headers["ETag"] = _etag(asset.version)
    return AssetOut.model_validate(asset)


@router.patch(
    "/{asset_id}",
    response_model=AssetOut,
    summary="Change some fields (send If-Match with the ETag you read to avoid lost updates)",
)
def patch(
    asset_id: IdPath,
    body: AssetPatch,
    request: Request,
    response: Response,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    if_match: Annotated[str | None, Header()] = None,
) -> AssetOut:
    expected = None
    if if_match:
        try:
            expected = int(if_match.strip().strip('"').removeprefix("W/").strip('"'))
        except ValueError:
            raise InvalidInput(
                "bad If-Match", [Problem('an ETag like "3"', "header If-Match")]
            ) from None
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    asset = service.update_asset(
        session,
        principal,
        asset_id,
        changes,
        runtime.settings,
        expected_version=expected,
        client=client_address(request),
    )
    response.headers["ETag"] = _etag(asset.version)
    return AssetOut.model_validate(asset)


@router.get(
    "/{asset_id}/history", response_model=list[AssetChangeOut], summary="Every change, newest first"
)
def asset_history(
    asset_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> list[AssetChangeOut]:
    require(principal, "assets.read")
    changes = service.history(session, principal, asset_id, client=client_address(request))
    return [AssetChangeOut.model_validate(c) for c in changes]
