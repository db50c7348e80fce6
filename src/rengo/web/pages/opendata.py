"""The citizens' portal "Data for Citizen Tokyo": search, the 23 wards, dataset pages with a
table preview, downloads (normalised CSV, JSON, GeoJSON) and API examples. No login."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from rengo.core.errors import NotFound
from rengo.core.permissions import allows, require
from rengo.core.wards import ward_by_code, wards
from rengo.opendata import dcat, quality, records, search, service
from rengo.opendata.catalogue import CATEGORIES, FREQUENCIES, LICENSES
from rengo.opendata.models import Dataset, Resource
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_types
from rengo.web.deps import CallerDep, PrincipalDep, RuntimeDep, SessionDep, UserDep
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m3", N_("Open data portal"), "/opendata", "opendata.read", order=10),
    NavItem("m3", N_("Open data quality"), "/opendata/quality", "opendata.quality.read", order=11),
    NavItem("m3", N_("Disaster map"), "/opendata/disaster", "opendata.read", order=12),
]
DIMENSION_LABELS = {
    "findability": N_("Findability"),
    "licence": N_("Open licence"),
    "machine_readability": N_("Machine readability"),
    "freshness": N_("Freshness"),
    "conformance": N_("Standard conformance"),
}
CHANGE_ACTIONS = {
    "create": N_("First published"),
    "update": N_("Metadata changed"),
    "resource": N_("Resource changed"),
    "version": N_("New version of a file"),
    "withdraw": N_("Withdrawn"),
    "restore": N_("Published again"),
}
FIELD_LABELS = {
    "title": N_("Title"),
    "title_kana": N_("Reading (kana)"),
    "notes": N_("Description"),
    "license_id": N_("Licence"),
    "category": N_("Category"),
    "tags": N_("Tags"),
    "frequency": N_("Update frequency"),
    "spatial": N_("Spatial coverage"),
    "temporal_start": N_("Covers from"),
    "temporal_end": N_("Covers until"),
    "contact": N_("Contact"),
    "standard_type": N_("Standard dataset type"),
    "name": N_("URL name"),
    "state": N_("Publication"),
    "resource": N_("Resource"),
    "resource.name": N_("Resource name"),
    "resource.description": N_("Resource description"),
    "resource.file": N_("File"),
    "resource.rows": N_("Rows"),
}
PER_PAGE = 20
PREVIEW_ROWS = 20
MEDIA = {
    "csv": ("text/csv; charset=utf-8", records.as_csv),
    "json": ("application/json", records.as_json),
    "geojson": ("application/geo+json", records.as_geojson),
}


@router.get("/opendata", response_class=HTMLResponse)
def home(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    ward: Annotated[str, Query(max_length=8)] = "",
    category: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    require(caller.principal, "opendata.read")
    filters = {}
    if ward:
        filters["organization"] = [ward]
    if category:
        filters["groups"] = [category]
    result = search.search(
        session,
        search.Query(
            q=q,
            filters=filters,
            rows=PER_PAGE,
            start=(page - 1) * PER_PAGE,
            facet_fields=("organization", "groups", "res_format"),
        ),
    )
    context = {
        "q": q,
        "ward": ward,
        "category": category,
        "page": page,
        "pages": max(1, -(-result.count // PER_PAGE)),
        "result": result,
        "wards": wards(),
        "ward_counts": dict(result.facets["organization"]),
        "categories": CATEGORIES,
        "category_counts": dict(result.facets["groups"]),
    }
    return render(request, caller, "opendata/home.html", context)


@router.get("/opendata/quality", response_class=HTMLResponse)
def quality_dashboard(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    """Ward by ward: datasets published and their average quality, per dimension."""
    require(principal, "opendata.quality.read")
    rows = quality.by_ward(session, runtime.clock.now())
    context = {"rows": rows, "dimensions": DIMENSION_LABELS}
    return render(request, caller, "opendata/quality.html", context)


@router.get("/opendata/dataset/{name}", response_class=HTMLResponse)
def dataset_page(
    name: str, request: Request, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    dataset = service.find(session, caller.principal, name)
    resources = service.resources_of(session, dataset)
    preview = None
    for resource in resources:
        if not resource.url:
            preview = (resource, records.search(runtime.data_dir, resource.id, limit=PREVIEW_ROWS))
            break
    context = {
        "d": dataset,
        "resources": resources,
        "preview": preview,
        "ward": ward_by_code(dataset.tenant),
        "category": CATEGORIES.get(dataset.category),
        "license": LICENSES.get(dataset.license_id),
        "frequency": FREQUENCIES.get(dataset.frequency),
        "stype": standard_types().get(dataset.standard_type),
        "base": str(request.base_url).rstrip("/"),
        "quality": quality.assess(dataset, resources, runtime.clock.now()),
        "mapped": next((r for r in resources if r.has_coordinates), None),
        "tiles": runtime.settings.section(OpendataSettings).tile_url,
        "dimensions": DIMENSION_LABELS,
        "history": service.history(session, caller.principal, dataset.id),
        "can_edit": allows(caller.principal, "opendata.publish", dataset.tenant),
        "actions": CHANGE_ACTIONS,
        "fields": FIELD_LABELS,
    }
    return render(request, caller, "opendata/dataset.html", context)


@router.get("/opendata/resource/{resource_id}.{fmt}")
def download(
    resource_id: str,
    fmt: Literal["csv", "json", "geojson"],
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The resource's records, normalised (UTF-8 CSV, JSON, or GeoJSON where it has points)."""
    resource = service.find_resource(session, principal, resource_id)
    if resource.url or (fmt == "geojson" and not resource.has_coordinates):
        raise NotFound("resource {id} has no {fmt}", values={"id": resource_id, "fmt": fmt})
    media, convert = MEDIA[fmt]
    body = convert(records.load(runtime.data_dir, resource.id))
    filename = f"{resource.id}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Access-Control-Allow-Origin": "*",
    }
    return Response(body, media_type=media, headers=headers)


CATALOG_PAGE = 100


@router.get("/catalog.{fmt}")
def catalog(
    fmt: Literal["ttl", "rdf", "jsonld"],
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The catalogue as DCAT-AP 3.0 (Turtle, RDF/XML, JSON-LD), 100 datasets a page (Hydra)."""
    require(principal, "opendata.read")
    total = session.scalar(select(func.count()).where(Dataset.state == "active")) or 0
    query = (
        select(Dataset)
        .where(Dataset.state == "active")
        .order_by(Dataset.modified_at.desc(), Dataset.id)
        .offset((page - 1) * CATALOG_PAGE)
        .limit(CATALOG_PAGE)
    )
    datasets = list(session.scalars(query))
    by_dataset: dict[str, list[Resource]] = {d.id: [] for d in datasets}
    if datasets:
        found = select(Resource).where(Resource.dataset_id.in_(by_dataset))
        for resource in session.scalars(found.order_by(Resource.position)):
            by_dataset[resource.dataset_id].append(resource)
    base = str(request.base_url).rstrip("/")
    graph = dcat.catalogue(
        base,
        [(d, by_dataset[d.id]) for d in datasets],
        page=page,
        per_page=CATALOG_PAGE,
        total=int(total),
        path=f"{base}/catalog.{fmt}",
    )
    body = graph.serialize(format=dcat.FORMATS[fmt])
    headers = {"Access-Control-Allow-Origin": "*"}
    return Response(body, media_type=dcat.MEDIA[fmt], headers=headers)


DISASTER_TYPES = ("shelter", "aed")


@router.get("/opendata/disaster", response_class=HTMLResponse)
def disaster(request: Request, caller: CallerDep, runtime: RuntimeDep) -> HTMLResponse:
    """Every ward's shelters and AED locations on one map."""
    require(caller.principal, "opendata.read")
    tiles = runtime.settings.section(OpendataSettings).tile_url
    return render(request, caller, "opendata/disaster.html", {"tiles": tiles})


@router.get("/opendata/disaster.geojson")
def disaster_points(principal: PrincipalDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Shelters and AEDs of every ward as one GeoJSON; each point's ``kind`` says which."""
    require(principal, "opendata.read")
    query = (
        select(Resource, Dataset.standard_type, Dataset.tenant)
        .join(Dataset, Dataset.id == Resource.dataset_id)
        .where(
            Dataset.state == "active",
            Dataset.standard_type.in_(DISASTER_TYPES),
            Resource.has_coordinates == 1,
        )
    )
    features = []
    for resource, kind, tenant in session.execute(query):
        table = records.load(runtime.data_dir, resource.id)
        for row in table.select(["名称", records.LAT, records.LNG]).to_pylist():
            if row[records.LAT] is None or row[records.LNG] is None:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [row[records.LNG], row[records.LAT]],
                    },
                    "properties": {"名称": row["名称"], "kind": kind, "ward": tenant},
                }
            )
    body = {"type": "FeatureCollection", "features": features}
    return Response(
        json.dumps(body, ensure_ascii=False),
        media_type="application/geo+json",
        headers={"Access-Control-Allow-Origin": "*"},
    )
