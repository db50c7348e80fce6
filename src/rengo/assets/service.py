"""Create, change, read and search assets; every change is kept and audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Integer, Select, func, select, text
from sqlalchemy.orm import Session

from rengo.assets.models import Asset, AssetChange
from rengo.assets.schemas import EDITABLE_FIELDS, AssetCreate, AssetFields
from rengo.core import audit
from rengo.core.db import utcnow
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem, problems_from_validation
from rengo.core.permissions import Principal, narrow_to_visible, require, visible_tenants
from rengo.core.settings import Settings
from rengo.core.types import Page, TenantCode
from rengo.core.wards import JOINT, is_tenant

COUNT_CAP = 10_000
"""Counting beyond this costs more than it tells a person paging through results."""


def check_levels(values: dict[str, Any], settings: Settings) -> list[Problem]:
    allowed = {
        "confidentiality": settings.assets.confidentiality_levels,
        "integrity": settings.assets.integrity_levels,
        "availability": settings.assets.availability_levels,
    }
    problems = []
    for axis, levels in allowed.items():
        value = values.get(axis)
        if value is not None and value not in levels:
            problems.append(
                Problem(
                    "{value} is not a level of {axis} ({levels})",
                    f"field {axis}",
                    values={"value": value, "axis": axis, "levels": levels},
                )
            )
    return problems


def search_text_for(asset: Asset) -> str:
    parts = [asset.name, asset.department, asset.owner, asset.custodian, *(asset.hostnames or ())]
    return " ".join(p for p in parts if p).lower()


def _snapshot(asset: Asset) -> dict[str, Any]:
    return {name: _jsonable(getattr(asset, name)) for name in EDITABLE_FIELDS}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _target_tenant(principal: Principal, requested: str | None) -> TenantCode:
    tenant = requested or principal.tenant
    if not is_tenant(tenant):
        raise InvalidInput(
            "unknown ward",
            [Problem("{tenant!r} is not a tenant", "field ward", values={"tenant": tenant})],
        )
    if tenant == JOINT and requested is None and principal.is_joint:
        raise InvalidInput(
            "the joint centre must say which ward an asset belongs to",
            [Problem("give a ward code", "field ward")],
        )
    return tenant


def create_asset(
    session: Session,
    principal: Principal,
    data: AssetCreate,
    settings: Settings,
    *,
    origin: str = "manual",
    client: str = "",
    at: datetime | None = None,
) -> Asset:
    tenant = _target_tenant(principal, data.ward)
    require(principal, "assets.write", tenant)
    values = data.model_dump(exclude={"ward"})
    problems = check_levels(values, settings)
    if problems:
        raise InvalidInput("invalid classification", problems)
    now = at or utcnow()
    asset = Asset(tenant=tenant, origin=origin, created_at=now, updated_at=now, **values)
    asset.search_text = search_text_for(asset)
    session.add(asset)
    session.flush()
    _record_change(session, principal, asset, "create", _snapshot(asset), client, now)
    return asset


def update_asset(
    session: Session,
    principal: Principal,
    asset_id: int,
    changes: dict[str, Any],
    settings: Settings,
    *,
    expected_version: int | None = None,
    client: str = "",
    action: str = "update",
) -> Asset:
    asset = _visible(session, principal, asset_id, "assets.read")
    require(principal, "assets.write", asset.tenant)
    if expected_version is not None and expected_version != asset.version:
        raise Conflict(
            "asset {asset_id} is at version {version}, not {expected_version}: someone changed it meanwhile; reload and try again",
            values={
                "asset_id": asset_id,
                "version": asset.version,
                "expected_version": expected_version,
            },
        )
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "unknown fields", [Problem("not an editable field", f"field {n}") for n in unknown]
        )
    merged = {**_snapshot(asset), **changes}
    try:
        validated = AssetFields.model_validate(merged).model_dump()
    except ValidationError as error:
        raise InvalidInput("invalid asset", problems_from_validation(error)) from None
    problems = check_levels(validated, settings)
    if problems:
        raise InvalidInput("invalid classification", problems)
    diff: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(asset, name), validated[name]
        if old != new:
            diff[name] = [_jsonable(old), _jsonable(new)]
            setattr(asset, name, new)
    if not diff:
        return asset
    asset.version += 1
    asset.updated_at = utcnow()
    asset.search_text = search_text_for(asset)
    _record_change(session, principal, asset, action, diff, client, asset.updated_at)
    return asset


def _record_change(
    session: Session,
    principal: Principal,
    asset: Asset,
    action: str,
    changes: dict[str, Any],
    client: str,
    at: datetime,
) -> None:
    session.add(
        AssetChange(
            asset_id=asset.id,
            tenant=asset.tenant,
            version=asset.version,
            at=at,
            actor=principal.label,
            action=action,
            changes=changes,
        )
    )
    audit.record(
        session,
        principal,
        f"asset.{action}",
        object_type="asset",
        object_id=asset.id,
        object_tenant=asset.tenant,
        detail={"fields": sorted(changes)} if action != "create" else {"name": asset.name},
        client=client,
        at=at,
    )


def _visible(session: Session, principal: Principal, asset_id: int, action: str) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound("asset {asset_id} not found", values={"asset_id": asset_id})
    require(principal, action, asset.tenant, hide=True)
    return asset


def get_asset(session: Session, principal: Principal, asset_id: int, *, client: str = "") -> Asset:
    asset = _visible(session, principal, asset_id, "assets.read")
    audit.record(
        session,
        principal,
        "asset.read",
        object_type="asset",
        object_id=asset.id,
        object_tenant=asset.tenant,
        client=client,
    )
    return asset


def history(
    session: Session, principal: Principal, asset_id: int, *, client: str | None = None
) -> list[AssetChange]:
    """Every change of an asset; audited when ``client`` is given (the asset page audits
    its own read of the asset already: one entry per request)."""
    asset = _visible(session, principal, asset_id, "assets.read")
    if client is not None:
        audit.record(
            session,
            principal,
            "asset.history.read",
            object_type="asset",
            object_id=asset.id,
            object_tenant=asset.tenant,
            client=client,
        )
    return list(
        session.scalars(
            select(AssetChange)
            .where(AssetChange.asset_id == asset.id)
            .order_by(AssetChange.version.desc(), AssetChange.id.desc())
        )
    )


SORTS = {
    "name": (Asset.name, Asset.id),
    "-updated": (Asset.updated_at.desc(), Asset.id.desc()),
    "ward": (Asset.tenant, Asset.name, Asset.id),
    "id": (Asset.id,),
}


@dataclass(slots=True)
class AssetFilter:
    ward: str | None = None
    kind: str | None = None
    location: str | None = None
    segment: str | None = None
    business_system: str | None = None
    confidentiality: int | None = None
    personal_data: bool | None = None
    classified: bool | None = None
    retired: bool | None = None
    q: str | None = None
    sort: str = "name"
    page: int = 1
    per_page: int = 50
    extra: dict[str, Any] = field(default_factory=dict)


def _text_match(needle: str, dialect: str, one_ward: bool) -> Any:
    """Substring match on ``search_text``, through the trigram index where it pays.

    Within one ward the tenant index already narrows to a few thousand rows, which a plain
    LIKE scans faster than the trigram index can list matches in all 23 wards.
    """
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    plain = Asset.search_text.like(f"%{escaped}%", escape="\\")
    if dialect != "sqlite" or one_ward or len(needle) < 3:
        return plain  # PostgreSQL's pg_trgm index serves LIKE directly
    fts = text("SELECT rowid FROM assets_search WHERE assets_search MATCH :phrase")
    return Asset.id.in_(fts.bindparams(phrase=_phrase(needle)).columns(rowid=Integer))


def _phrase(needle: str) -> str:
    """A quoted FTS5 phrase: over trigrams it is exactly a substring match and, unlike LIKE
    on the FTS table, it does not re-read every candidate row to verify it."""
    return '"' + needle.replace('"', '""') + '"'


def _count_from_index(session: Session, principal: Principal, f: AssetFilter) -> int | None:
    """The count straight from the trigram index when text is the only criterion.

    That is the joint centre's common "find it in any ward" search; the index knows the
    number of matches without touching the assets table.
    """
    needle = (f.q or "").replace("\x00", "").strip().lower()
    others = (
        f.ward,
        f.kind,
        f.location,
        f.segment,
        f.business_system,
        f.confidentiality,
        f.personal_data,
        f.classified,
        f.retired,
    )
    if (
        session.get_bind().dialect.name != "sqlite"
        or len(needle) < 3
        or any(v is not None and v != "" for v in others)
        or visible_tenants(principal, "assets.read") is not None
    ):
        return None
    capped = text(
        "SELECT count(*) FROM (SELECT rowid FROM assets_search"
        " WHERE assets_search MATCH :phrase LIMIT :cap)"
    )
    return int(session.scalar(capped, {"phrase": _phrase(needle), "cap": COUNT_CAP + 1}) or 0)


def _filtered(principal: Principal, f: AssetFilter, dialect: str = "sqlite") -> Select[Any]:
    tenants = narrow_to_visible(principal, "assets.read", f.ward or None)
    stmt = select(Asset)
    if tenants is not None:
        stmt = stmt.where(Asset.tenant.in_(tenants))
    for column, value in (
        (Asset.kind, f.kind),
        (Asset.location, f.location),
        (Asset.segment, f.segment),
        (Asset.business_system, f.business_system),
        (Asset.confidentiality, f.confidentiality),
        (Asset.personal_data, f.personal_data),
        (Asset.classified, f.classified),
    ):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    if f.retired is True:
        stmt = stmt.where(Asset.retired_on.is_not(None))
    elif f.retired is False:
        stmt = stmt.where(Asset.retired_on.is_(None))
    needle = (f.q or "").replace("\x00", "").strip()  # no database stores NUL in text
    if needle:
        one_ward = tenants is not None and len(tenants) == 1
        stmt = stmt.where(_text_match(needle.lower(), dialect, one_ward))
    return stmt


def search_assets(session: Session, principal: Principal, f: AssetFilter) -> Page[Asset]:
    if f.sort not in SORTS:
        raise InvalidInput(
            "unknown sort",
            [Problem("one of {sorts}", "field sort", values={"sorts": ", ".join(SORTS)})],
        )
    per_page = max(1, min(f.per_page, 500))
    page = max(1, f.page)
    stmt = _filtered(principal, f, session.get_bind().dialect.name)
    total = _count_from_index(session, principal, f)
    if total is None:
        capped = stmt.with_only_columns(Asset.id).limit(COUNT_CAP + 1).subquery()
        total = session.scalar(select(func.count()).select_from(capped)) or 0
    items = session.scalars(
        stmt.order_by(*SORTS[f.sort]).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(list(items), min(total, COUNT_CAP), page, per_page, total > COUNT_CAP)


def iter_assets(session: Session, principal: Principal, f: AssetFilter, batch: int = 1000) -> Any:
    """Every matching asset (for exports), in id order, without loading all at once."""
    stmt = _filtered(principal, f, session.get_bind().dialect.name).order_by(Asset.id)
    last = 0
    while True:
        rows = session.scalars(stmt.where(Asset.id > last).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


@dataclass(frozen=True, slots=True)
class Footprint:
    """What identifies a ward on the network: the anonymiser and the SOC use it."""

    ip_ranges: frozenset[str]
    hostnames: frozenset[str]
    mail_domains: frozenset[str]


def ward_footprint(session: Session, tenant: TenantCode) -> Footprint:
    ips: set[str] = set()
    hosts: set[str] = set()
    domains: set[str] = set()
    rows = session.execute(
        select(Asset.ip_ranges, Asset.hostnames, Asset.mail_domains).where(Asset.tenant == tenant)
    )
    for ip_ranges, hostnames, mail_domains in rows:
        ips.update(ip_ranges or ())
        hosts.update(hostnames or ())
        domains.update(mail_domains or ())
    return Footprint(frozenset(ips), frozenset(hosts), frozenset(domains))


def segment_ranges(session: Session, tenant: TenantCode | None = None) -> dict[str, set[str]]:
    """CIDR ranges per network segment of the three-layer model (for separation rules)."""
    stmt = select(Asset.tenant, Asset.segment, Asset.ip_ranges).where(Asset.segment.is_not(None))
    if tenant is not None:
        stmt = stmt.where(Asset.tenant == tenant)
    out: dict[str, set[str]] = {}
    for _tenant, segment, ip_ranges in session.execute(stmt):
        if segment is not None:  # the query asks for segmented assets only
            out.setdefault(segment, set()).update(ip_ranges or ())
    return out
