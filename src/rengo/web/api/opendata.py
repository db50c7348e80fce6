"""The open-data API beyond CKAN's: the standard types' Table Schemas, the validator for
officers (the same report as ``rengo opendata validate``), and a dataset's history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, UploadFile

from rengo.core.errors import NotFound
from rengo.core.permissions import require
from rengo.core.types import TenantCode
from rengo.opendata import service
from rengo.opendata.reading import read_upload
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_type, standard_types
from rengo.opendata.validate import validate_loaded
from rengo.web.deps import PrincipalDep, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/opendata", tags=["opendata"])
TypeKey = Literal[
    "aed", "childcare", "cultural_property", "public_facility", "shelter", "tourist_facility"
]
MAX_UPLOAD = 200 * 1024 * 1024


@router.get("/types", summary="The standard dataset types (自治体標準オープンデータセット)")
def types(principal: PrincipalDep) -> list[dict[str, Any]]:
    require(principal, "opendata.read")
    return [
        {"key": t.key, "title_ja": t.title_ja, "title_en": t.title_en, "required": t.required}
        for t in standard_types().values()
    ]


@router.get("/types/{type_key}", summary="One standard type as a Frictionless Table Schema")
def table_schema(type_key: TypeKey, principal: PrincipalDep) -> dict[str, Any]:
    require(principal, "opendata.read")
    return standard_type(type_key).schema


@router.post("/validate", summary="Validate a file against a standard type (nothing is stored)")
def validate(
    file: UploadFile,
    type_key: Annotated[TypeKey, Form(description="Standard type key")],
    principal: UserDep,
    runtime: RuntimeDep,
    ward: Annotated[TenantCode | None, Form(description="Ward code the rows must carry")] = None,
) -> dict[str, object]:
    require(principal, "opendata.publish")
    data = file.file.read(MAX_UPLOAD + 1)
    loaded = read_upload(Path(file.filename or "upload.csv"), data)
    settings = runtime.settings.section(OpendataSettings)
    return validate_loaded(loaded, standard_type(type_key), settings, ward).as_dict()


@router.get("/datasets/{dataset_ref}/history", summary="Versions of a dataset and what changed")
def history(dataset_ref: str, principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    changes = service.history(session, principal, dataset_ref)
    if not changes:
        raise NotFound("dataset {ref} not found", values={"ref": dataset_ref})
    return [
        {
            "version": c.version,
            "at": c.at.isoformat(),
            "actor": c.actor,
            "action": c.action,
            "changes": c.changes,
        }
        for c in changes
    ]
