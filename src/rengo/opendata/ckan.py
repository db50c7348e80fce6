"""The catalogue in CKAN's shapes: package, resource, organisation and group dicts, and the
``fq`` filter language (Solr syntax as CKAN clients and ckanext-harvest send it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from rengo.core.errors import InvalidInput, Problem
from rengo.core.wards import MunicipalCodeError, parse_tenant, tenant_name, ward_by_code, wards
from rengo.opendata.catalogue import CATEGORIES, LICENSE_URLS, LICENSES
from rengo.opendata.models import Dataset, Resource
from rengo.opendata.quality import Quality
from rengo.opendata.standards import standard_types

CKAN_VERSION = "2.10.4"
"""The API version rengo answers like (``status_show``)."""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def organization_dict(code: str, package_count: int | None = None) -> dict[str, Any]:
    ward = ward_by_code(code)
    out: dict[str, Any] = {
        "id": ward.code,
        "name": ward.slug,
        "title": ward.name_ja,
        "display_name": ward.name_ja,
        "description": f"{ward.name_ja}({ward.name('en')})のオープンデータ",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "image_url": "",
        "approval_status": "approved",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def organization_code(value: str) -> str:
    """A ward from an organisation id (code) or name (romaji slug) or Japanese name."""
    try:
        code = parse_tenant(value)
    except MunicipalCodeError as error:
        raise InvalidInput("unknown organization", [Problem(str(error), "owner_org")]) from None
    if code not in {w.code for w in wards()}:
        raise InvalidInput("unknown organization", [Problem(value, "owner_org")])
    return code


def group_dict(key: str, package_count: int | None = None) -> dict[str, Any]:
    term = CATEGORIES[key]
    out: dict[str, Any] = {
        "id": key,
        "name": key,
        "title": term.ja,
        "display_name": term.ja,
        "description": term.en,
        "type": "group",
        "is_organization": False,
        "state": "active",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def resource_dict(resource: Resource, base_url: str) -> dict[str, Any]:
    url = resource.url or f"{base_url}/opendata/resource/{resource.id}.csv"
    return {
        "id": resource.id,
        "package_id": resource.dataset_id,
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "url": url,
        "url_type": "" if resource.url else "upload",
        "mimetype": "text/csv" if resource.format == "CSV" else None,
        "position": resource.position,
        "state": "active",
        "created": _iso(resource.created_at),
        "last_modified": _iso(resource.modified_at),
        "datastore_active": not resource.url,
        "rows": resource.row_count,
        "source_encoding": resource.source_encoding,
    }


def package_dict(
    dataset: Dataset, resources: list[Resource], base_url: str, quality: Quality | None = None
) -> dict[str, Any]:
    license_ = LICENSES.get(dataset.license_id)
    stype = standard_types().get(dataset.standard_type)
    extras = {
        "frequency": dataset.frequency,
        "spatial": dataset.spatial,
        "temporal_start": dataset.temporal_start,
        "temporal_end": dataset.temporal_end,
        "standard_type": dataset.standard_type,
        "standard_type_title": stype.title_ja if stype else "",
        "title_kana": dataset.title_kana,
    }
    out: dict[str, Any] = {
        "id": dataset.id,
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": "active" if dataset.state == "active" else "deleted",
        "private": False,
        "version": str(dataset.version),
        "license_id": dataset.license_id,
        "license_title": license_.ja if license_ else dataset.license_id,
        "license_url": LICENSE_URLS.get(dataset.license_id, ""),
        "isopen": dataset.license_id in LICENSES,
        "owner_org": dataset.tenant,
        "organization": organization_dict(dataset.tenant),
        "author": tenant_name(dataset.tenant, "ja"),
        "maintainer": dataset.contact,
        "maintainer_email": "",
        "url": f"{base_url}/opendata/dataset/{dataset.name}",
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.modified_at),
        "tags": [{"name": t, "display_name": t} for t in dataset.tags or ()],
        "num_tags": len(dataset.tags or ()),
        "groups": [group_dict(dataset.category)] if dataset.category in CATEGORIES else [],
        "resources": [resource_dict(r, base_url) for r in resources],
        "num_resources": len(resources),
        "extras": [{"key": k, "value": v} for k, v in extras.items() if v],
    }
    if quality is not None:
        out["quality_score"] = quality.score
        out["quality"] = quality.parts
    return out


def fields_from_package(data: dict[str, Any]) -> dict[str, Any]:
    """A CKAN package dict as ``DatasetFields`` values (unknown keys are ignored)."""
    keys = ("name", "title", "notes", "license_id", "tags")
    values: dict[str, Any] = {k: data[k] for k in keys if k in data}
    groups = data.get("groups") or []
    if groups:
        first = groups[0]
        values["category"] = first.get("name", "") if isinstance(first, dict) else str(first)
    for extra in data.get("extras") or []:
        key = extra.get("key")
        if key in (
            "frequency",
            "spatial",
            "temporal_start",
            "temporal_end",
            "standard_type",
            "title_kana",
        ):
            values[key] = extra.get("value", "")
    if "title" not in values and "name" in values:
        values["title"] = values["name"]
    return values


_TERM = re.compile(r'([A-Za-z_]+):(\[[^\]]*\]|"[^"]*"|\S+)')
_RANGE = re.compile(r"^\[\s*(\S+)\s+TO\s+(\S+)\s*\]$")
FQ_FIELDS = {
    "organization",
    "owner_org",
    "groups",
    "license_id",
    "res_format",
    "tags",
    "name",
    "id",
    "standard_type",
}


def parse_fq(fq: str) -> tuple[dict[str, list[str]], datetime | None]:
    """``organization:chiyoda res_format:CSV metadata_modified:[2024-01-01T00:00:00Z TO *]``
    → (filters, modified since). Terms are ANDed; ``+`` and ``AND`` are accepted."""
    filters: dict[str, list[str]] = {}
    since: datetime | None = None
    for field, raw in _TERM.findall(fq or ""):
        value = raw.strip('"')
        if field == "metadata_modified":
            match = _RANGE.match(raw)
            if not match:
                raise InvalidInput("fq: metadata_modified takes [FROM TO *]", [Problem(raw, "fq")])
            since = None if match[1] == "*" else _parse_time(match[1])
            continue
        name = "organization" if field == "owner_org" else field.lstrip("+")
        if name not in FQ_FIELDS:
            raise InvalidInput(
                "fq: cannot filter by {field}", [Problem(raw, "fq")], values={"field": field}
            )
        if name == "organization":
            value = organization_code(value)
        filters.setdefault(name, []).append(value)
    return filters, since


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("fq: not an ISO time", [Problem(text, "fq metadata_modified")]) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
