"""Publish, change, withdraw and read datasets; every change is versioned and audited.

Publishing is all or nothing: every upload is validated first, and only when none has a
problem are records stored and rows written, in one transaction with the audit event. A
published dataset is an asset of its ward's register, classified 機密性1 (public); an asset
classified above that cannot be published.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.assets.schemas import AssetCreate
from rengo.assets.service import create_asset
from rengo.core import audit
from rengo.core.db import utcnow
from rengo.core.errors import InvalidInput, NotFound, Problem, problems_from_validation
from rengo.core.permissions import SYSTEM, Principal, allows, require
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.core.wards import is_tenant, tenant_name, ward_by_code
from rengo.opendata import records
from rengo.opendata.catalogue import CATEGORIES, CATEGORY_OF_TYPE
from rengo.opendata.models import Dataset, DatasetChange, Resource
from rengo.opendata.reading import read_upload
from rengo.opendata.schemas import EDITABLE, DatasetFields
from rengo.opendata.search import formats_key
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_types
from rengo.opendata.text import bigrams, fold
from rengo.opendata.validate import normalise, validate_loaded

PUBLIC_LEVEL = 1
"""機密性1: information that may be made public (MIC guideline)."""


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes
    name: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    name: str
    format: str = ""
    description: str = ""


def parse_fields(values: dict[str, Any]) -> DatasetFields:
    try:
        return DatasetFields.model_validate(values)
    except ValidationError as error:
        raise InvalidInput("invalid dataset", problems_from_validation(error)) from None


def _tenant(principal: Principal, ward: TenantCode | None) -> str:
    tenant = ward or principal.tenant
    if not is_tenant(tenant) or tenant == "joint":
        raise InvalidInput(
            "a dataset is published by one of the 23 wards",
            [Problem("{ward!r} is not a ward code", "field ward", values={"ward": tenant})],
        )
    require(principal, "opendata.publish", tenant)
    return tenant


def check_publishable(asset: Asset) -> None:
    """Refuse, with the reason, an asset that may not be made public."""
    reason = ""
    if asset.kind != "dataset":
        reason = "asset {id} is a {kind}, not a dataset"
    elif asset.confidentiality is None:
        reason = "asset {id} is not classified yet; only 機密性1 (public) data can be published"
    elif asset.confidentiality > PUBLIC_LEVEL:
        reason = (
            "asset {id} is classified 機密性{level}; only 機密性1 (public) data can be published"
        )
    elif asset.personal_data:
        reason = "asset {id} holds personal data and cannot be published"
    if reason:
        values = {"id": asset.id, "kind": asset.kind, "level": asset.confidentiality}
        raise InvalidInput(
            "this asset cannot be published",
            [Problem(reason, "field asset_id", values=values)],
        )


def _asset(session: Session, principal: Principal, tenant: TenantCode, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None or asset.tenant != tenant:
        raise NotFound(
            "asset {id} not found in ward {ward}", values={"id": asset_id, "ward": tenant}
        )
    check_publishable(asset)
    return asset


def _register_asset(
    session: Session, tenant: TenantCode, fields: DatasetFields, settings: Settings
) -> Asset:
    # The register is written by the portal itself: an open-data officer may not edit the
    # register, but what the ward publishes is by definition one of its public assets.
    data = AssetCreate(
        ward=tenant,
        kind="dataset",
        name=fields.title[:200],
        description=fields.notes[:2000],
        department="オープンデータ",
        location="data_centre",
        confidentiality=PUBLIC_LEVEL,
        integrity=1,
        availability=1,
    )
    return create_asset(session, SYSTEM, data, settings, origin="opendata")


def index_fields(dataset: Dataset) -> None:
    """Fill the search columns from the dataset's text (see ``text.fold``)."""
    stype = standard_types().get(dataset.standard_type)
    category = CATEGORIES.get(dataset.category)
    parts = [
        dataset.title,
        dataset.title_kana,
        dataset.notes,
        " ".join(dataset.tags or ()),
        tenant_name(dataset.tenant, "ja"),
        category.ja if category else "",
        stype.title_ja if stype else "",
    ]
    dataset.search_text = fold(" ".join(p for p in parts if p))
    dataset.search_title = fold(f"{dataset.title} {dataset.title_kana}")
    dataset.search_bigrams = bigrams(dataset.search_text)


def _snapshot(dataset: Dataset) -> dict[str, Any]:
    return {name: getattr(dataset, name) for name in EDITABLE}


def _record(
    session: Session,
    principal: Principal,
    dataset: Dataset,
    action: str,
    changes: dict[str, Any],
    client: str,
) -> None:
    session.add(
        DatasetChange(
            dataset_id=dataset.id,
            version=dataset.version,
            at=dataset.modified_at,
            actor=principal.label,
            action=action,
            changes=changes,
        )
    )
    audit.record(
        session,
        principal,
        f"opendata.dataset.{action}",
        object_type="opendata_dataset",
        object_id=dataset.id,
        object_tenant=dataset.tenant,
        detail={"name": dataset.name, "fields": sorted(changes)},
        client=client,
        at=dataset.modified_at,
    )


def _build_resource(
    upload: Upload, dataset: Dataset, position: int, od: OpendataSettings
) -> tuple[Resource, Any]:
    loaded = read_upload(Path(upload.filename), upload.data)
    stype = standard_types().get(dataset.standard_type)
    problems = list(loaded.bad_rows)
    errors = len(problems)
    if stype is not None:
        report = validate_loaded(loaded, stype, od, dataset.tenant)
        problems, errors = report.problems, report.error_count
    if errors:
        raise InvalidInput(
            "{file} has {count} problems; nothing was published",
            problems,
            values={"file": upload.filename, "count": errors},
        )
    table = normalise(loaded, stype)
    now = dataset.modified_at
    resource = Resource(
        id=str(uuid.uuid4()),
        dataset_id=dataset.id,
        position=position,
        name=upload.name or Path(upload.filename).stem,
        description=upload.description,
        format="CSV",
        source_filename=upload.filename,
        source_encoding=loaded.encoding,
        row_count=table.num_rows,
        columns=table.column_names,
        has_coordinates=int(records.has_coordinates(table)),
        schema_errors=0 if stype is not None else None,
        created_at=now,
        modified_at=now,
    )
    return resource, table


def _link_resource(link: Link, dataset: Dataset, position: int) -> Resource:
    if not link.url.startswith(("http://", "https://")):
        raise InvalidInput(
            "a resource link is an http(s) URL",
            [Problem("not an http(s) URL: {url}", "field url", values={"url": link.url})],
        )
    return Resource(
        id=str(uuid.uuid4()),
        dataset_id=dataset.id,
        position=position,
        name=link.name or link.url,
        description=link.description,
        format=(link.format or Path(link.url).suffix.lstrip(".") or "HTML").upper()[:16],
        url=link.url,
        columns=[],
        created_at=dataset.modified_at,
        modified_at=dataset.modified_at,
    )


def publish(
    session: Session,
    principal: Principal,
    fields: DatasetFields,
    settings: Settings,
    data_dir: DataDir,
    *,
    ward: TenantCode | None = None,
    uploads: list[Upload] | None = None,
    links: list[Link] | None = None,
    asset_id: int | None = None,
    origin: str = "upload",
    at: datetime | None = None,
    client: str = "",
    harvested: tuple[str, str, str] = ("", "", ""),
) -> Dataset:
    """Validate every upload, then create the dataset, its resources and its asset.
    ``harvested``: (source, remote id, remote metadata_modified) of a harvested dataset."""
    tenant = _tenant(principal, ward)
    od = settings.section(OpendataSettings)
    if fields.name and session.scalar(select(Dataset.pk).where(Dataset.name == fields.name)):
        raise InvalidInput(
            "that name is already used",
            [Problem("{name!r} exists", "field name", values={"name": fields.name})],
        )
    asset = _asset(session, principal, tenant, asset_id) if asset_id else None
    now = at or utcnow()
    dataset = Dataset(
        id=str(uuid.uuid4()),
        tenant=tenant,
        origin=origin,
        version=1,
        state="active",
        created_at=now,
        modified_at=now,
        harvest_source=harvested[0],
        harvest_guid=harvested[1],
        harvest_modified=harvested[2],
        **fields.model_dump(),
    )
    dataset.license_id = dataset.license_id or od.default_license
    dataset.category = dataset.category or CATEGORY_OF_TYPE.get(dataset.standard_type, "")
    dataset.name = dataset.name or f"{ward_by_code(tenant).slug}-{dataset.id[:8]}"
    built = [_build_resource(u, dataset, i, od) for i, u in enumerate(uploads or [])]
    offset = len(built)
    linked = [_link_resource(link, dataset, offset + i) for i, link in enumerate(links or [])]
    dataset.asset_id = (asset or _register_asset(session, tenant, fields, settings)).id
    index_fields(dataset)
    dataset.res_formats = formats_key([r.format for r, _ in built] + [r.format for r in linked])
    session.add(dataset)
    session.flush()
    for resource, table in built:
        records.store(data_dir, resource.id, table)
        session.add(resource)
    session.add_all(linked)
    _record(session, principal, dataset, "create", {"title": dataset.title}, client)
    return dataset


def find(session: Session, principal: Principal, ref: str) -> Dataset:
    """A dataset by id or name; withdrawn ones only for who may publish for its ward."""
    require(principal, "opendata.read")
    dataset = session.scalar(select(Dataset).where((Dataset.id == ref) | (Dataset.name == ref)))
    if dataset is None or (
        dataset.state != "active" and not allows(principal, "opendata.publish", dataset.tenant)
    ):
        raise NotFound("dataset {ref} not found", values={"ref": ref})
    return dataset


def resources_of(session: Session, dataset: Dataset) -> list[Resource]:
    query = select(Resource).where(Resource.dataset_id == dataset.id).order_by(Resource.position)
    return list(session.scalars(query))


def find_resource(session: Session, principal: Principal, resource_id: str) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise NotFound("resource {id} not found", values={"id": resource_id})
    dataset = session.scalar(select(Dataset).where(Dataset.id == resource.dataset_id))
    find(session, principal, dataset.id if dataset else "")
    return resource


def update(
    session: Session,
    principal: Principal,
    ref: str,
    changes: dict[str, Any],
    *,
    client: str = "",
    action: str = "update",
) -> Dataset:
    """Change the given metadata fields (others stay); a new version when anything changed."""
    dataset = find(session, principal, ref)
    require(principal, "opendata.publish", dataset.tenant, hide=True)
    known = {k: v for k, v in changes.items() if k in EDITABLE}
    fields = parse_fields({**_snapshot(dataset), **known})
    if fields.name != dataset.name and session.scalar(
        select(Dataset.pk).where(Dataset.name == fields.name)
    ):
        raise InvalidInput("that name is already used", [Problem(fields.name, "field name")])
    diff: dict[str, Any] = {}
    for name, new in fields.model_dump().items():
        old = getattr(dataset, name)
        if old != new:
            diff[name] = [old, new]
            setattr(dataset, name, new)
    if not diff:
        return dataset
    dataset.version += 1
    dataset.modified_at = utcnow()
    index_fields(dataset)
    _record(session, principal, dataset, action, diff, client)
    return dataset


def add_resource(
    session: Session,
    principal: Principal,
    ref: str,
    data_dir: DataDir,
    settings: Settings,
    *,
    upload: Upload | None = None,
    link: Link | None = None,
    client: str = "",
) -> Resource:
    dataset = find(session, principal, ref)
    require(principal, "opendata.publish", dataset.tenant, hide=True)
    position = len(resources_of(session, dataset))
    dataset.version += 1
    dataset.modified_at = utcnow()
    if upload is not None:
        resource, table = _build_resource(
            upload, dataset, position, settings.section(OpendataSettings)
        )
        records.store(data_dir, resource.id, table)
    elif link is not None:
        resource = _link_resource(link, dataset, position)
    else:
        raise InvalidInput("give a file or a URL", [Problem("give a file or a URL", "resource")])
    dataset.res_formats = formats_key([*json.loads(dataset.res_formats), resource.format])
    session.add(resource)
    _record(session, principal, dataset, "resource", {"resource": resource.name}, client)
    return resource


def set_state(
    session: Session, principal: Principal, ref: str, state: str, *, client: str = ""
) -> Dataset:
    """Withdraw a dataset (it leaves search and the API; its history stays) or restore it."""
    dataset = find(session, principal, ref)
    require(principal, "opendata.publish", dataset.tenant, hide=True)
    if dataset.state != state:
        diff = {"state": [dataset.state, state]}
        dataset.state = state
        dataset.version += 1
        dataset.modified_at = utcnow()
        _record(
            session,
            principal,
            dataset,
            "withdraw" if state == "withdrawn" else "restore",
            diff,
            client,
        )
    return dataset


def history(session: Session, principal: Principal, ref: str) -> list[DatasetChange]:
    dataset = find(session, principal, ref)
    query = select(DatasetChange).where(DatasetChange.dataset_id == dataset.id)
    return list(session.scalars(query.order_by(DatasetChange.version, DatasetChange.id)))


def _own_resource(session: Session, dataset: Dataset, resource_id: str) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None or resource.dataset_id != dataset.id:
        raise NotFound("resource {id} not found", values={"id": resource_id})
    return resource


def update_resource(
    session: Session,
    principal: Principal,
    ref: str,
    resource_id: str,
    name: str,
    description: str,
    *,
    client: str = "",
) -> Resource:
    """Rename a resource or change its description (a new version of the dataset)."""
    dataset = find(session, principal, ref)
    require(principal, "opendata.publish", dataset.tenant, hide=True)
    resource = _own_resource(session, dataset, resource_id)
    name = name.strip()[:300]
    if not name:
        raise InvalidInput("a resource needs a name", [Problem("empty", "field name")])
    diff: dict[str, Any] = {}
    for field, new in (("name", name), ("description", description.strip()[:5000])):
        if getattr(resource, field) != new:
            diff[f"resource.{field}"] = [getattr(resource, field), new]
            setattr(resource, field, new)
    if diff:
        dataset.version += 1
        dataset.modified_at = resource.modified_at = utcnow()
        _record(session, principal, dataset, "resource", diff, client)
    return resource


def replace_resource(
    session: Session,
    principal: Principal,
    ref: str,
    resource_id: str,
    upload: Upload,
    data_dir: DataDir,
    settings: Settings,
    *,
    client: str = "",
) -> Resource:
    """A new version of a stored resource's file: validated against the dataset's standard
    type first; any problem keeps the old version whole (nothing is written)."""
    dataset = find(session, principal, ref)
    require(principal, "opendata.publish", dataset.tenant, hide=True)
    resource = _own_resource(session, dataset, resource_id)
    if resource.url:
        raise InvalidInput(
            "this resource links to another site; change the link instead",
            [Problem("{url}", "field file", values={"url": resource.url})],
        )
    built, table = _build_resource(
        upload, dataset, resource.position, settings.section(OpendataSettings)
    )
    diff: dict[str, list[Any]] = {"resource.file": [resource.source_filename, upload.filename]}
    diff["resource.rows"] = [resource.row_count, built.row_count]
    for field in ("source_filename", "source_encoding", "row_count", "columns"):
        setattr(resource, field, getattr(built, field))
    resource.has_coordinates, resource.schema_errors = built.has_coordinates, built.schema_errors
    dataset.version += 1
    dataset.modified_at = resource.modified_at = utcnow()
    records.store(data_dir, resource.id, table)
    _record(session, principal, dataset, "version", diff, client)
    return resource
