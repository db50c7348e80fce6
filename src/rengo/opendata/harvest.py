"""Harvest a ward's existing CKAN portal the way ckanext-harvest's CKAN harvester does: page
``package_search`` with ``sort=id asc``, ``rows`` and ``start``, from the last remote
``metadata_modified`` seen (``fq=metadata_modified:[… TO *]``); incremental and idempotent.

Each remote dataset becomes (or updates) a local dataset of the ward whose resources link to
the remote files. Datasets gone from the remote portal (or made private) are withdrawn. A
dataset whose metadata cannot be accepted (e.g. a licence that is not open) is refused with
the reason; the others are harvested regardless.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem, RengoError
from rengo.core.permissions import Principal
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.core.wards import ward_by_code
from rengo.opendata import service
from rengo.opendata.ckan import fields_from_package
from rengo.opendata.models import Dataset, Resource

PAGE = 100
LICENCES = {
    "cc-by": "CC-BY-4.0",
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by-4": "CC-BY-4.0",
    "cc-zero": "CC0-1.0",
    "cc0-1.0": "CC0-1.0",
    "odc-pddl": "CC0-1.0",
}


@dataclass(slots=True)
class HarvestReport:
    source: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    """(remote name, reason)."""
    unchanged: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.withdrawn)} withdrawn, {len(self.refused)} refused, "
            f"{self.unchanged} unchanged"
        )


class _Remote:
    def __init__(self, url: str, client: httpx.Client) -> None:
        self.base = url.rstrip("/")
        self.client = client

    def search(self, **params: Any) -> dict[str, Any]:
        url = f"{self.base}/api/3/action/package_search"
        try:
            response = self.client.get(url, params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise InvalidInput(
                "the CKAN portal did not answer", [Problem(str(error), url)]
            ) from None
        if not body.get("success"):
            raise InvalidInput(
                "the CKAN portal refused the search",
                [Problem(str(body.get("error")), f"{url} start={params.get('start')}")],
            )
        result: dict[str, Any] = body["result"]
        return result

    def pages(self, rows: int, **params: Any) -> Iterator[list[dict[str, Any]]]:
        start = 0
        while True:
            result = self.search(sort="id asc", rows=rows, start=start, **params)
            found = result.get("results") or []
            if not found:
                return
            yield found
            start += len(found)
            if start >= int(result.get("count", 0)):
                return


def _local_name(slug: str, remote: str) -> str:
    name = re.sub(r"[^a-z0-9_-]", "-", f"{slug}-{remote}".lower())
    return name[:100]


def _values(package: dict[str, Any], slug: str) -> dict[str, Any]:
    values = fields_from_package(package)
    values["name"] = _local_name(slug, str(package.get("name") or package["id"]))
    licence = str(package.get("license_id") or "")
    values["license_id"] = LICENCES.get(licence.lower(), licence)
    return values


def _links(package: dict[str, Any]) -> list[service.Link]:
    return [
        service.Link(str(r["url"]), str(r.get("name") or ""), str(r.get("format") or ""))
        for r in package.get("resources") or []
        if str(r.get("url", "")).startswith(("http://", "https://"))
    ]


def _since(session: Session, source: str) -> str:
    latest = session.scalar(
        select(func.max(Dataset.harvest_modified)).where(Dataset.harvest_source == source)
    )
    return str(latest or "")


def apply_package(
    session: Session,
    principal: Principal,
    package: dict[str, Any],
    ctx: tuple[str, str, Settings, DataDir],
    report: HarvestReport,
) -> None:
    """Add, update, withdraw or skip one remote dataset given as a CKAN package dict (the
    DCAT harvester converts to that form); a refusal is reported, not raised."""
    source, ward, settings, data_dir = ctx
    guid = str(package["id"])
    remote_name = str(package.get("name") or guid)
    local = session.scalar(
        select(Dataset).where(Dataset.harvest_source == source, Dataset.harvest_guid == guid)
    )
    modified = str(package.get("metadata_modified") or "")
    if package.get("private") or package.get("state", "active") != "active":
        if local is not None and local.state == "active":
            service.set_state(session, principal, local.id, "withdrawn", client="harvest")
            report.withdrawn.append(local.name)
        return
    if local is not None and local.harvest_modified == modified and local.state == "active":
        report.unchanged += 1
        return
    values = _values(package, ward_by_code(ward).slug)
    try:
        with session.begin_nested():
            if local is None:
                fields = service.parse_fields(values)
                created = service.publish(
                    session,
                    principal,
                    fields,
                    settings,
                    data_dir,
                    ward=ward,
                    links=_links(package),
                    origin="harvest",
                    client="harvest",
                )
                created.harvest_source, created.harvest_guid = source, guid
                created.harvest_modified = modified
                report.added.append(created.name)
                return
            if local.state != "active":
                service.set_state(session, principal, local.id, "active", client="harvest")
            service.update(session, principal, local.id, values, client="harvest")
            known = set(
                session.scalars(select(Resource.url).where(Resource.dataset_id == local.id))
            )
            for link in _links(package):
                if link.url not in known:
                    service.add_resource(
                        session,
                        principal,
                        local.id,
                        data_dir,
                        settings,
                        link=link,
                        client="harvest",
                    )
            local.harvest_modified = modified
            report.changed.append(local.name)
    except RengoError as error:
        reasons = "; ".join(str(p) for p in error.problems) or error.message
        report.refused.append((remote_name, reasons))


def withdraw_missing(
    session: Session,
    principal: Principal,
    source: str,
    present: set[str],
    report: HarvestReport,
) -> None:
    """Withdraw the source's active datasets whose remote id is no longer listed."""
    active = session.execute(
        select(Dataset.id, Dataset.name, Dataset.harvest_guid).where(
            Dataset.harvest_source == source, Dataset.state == "active"
        )
    ).all()
    for dataset_id, name, guid in active:
        if guid not in present:
            service.set_state(session, principal, dataset_id, "withdrawn", client="harvest")
            report.withdrawn.append(name)


def harvest(
    session: Session,
    principal: Principal,
    url: str,
    ward: TenantCode,
    settings: Settings,
    data_dir: DataDir,
    *,
    client: httpx.Client | None = None,
    rows: int = PAGE,
) -> HarvestReport:
    """Harvest ``url`` (a CKAN site) into ``ward``; commits after every page."""
    source = url.rstrip("/")
    report = HarvestReport(source)
    own = client or httpx.Client(timeout=30, follow_redirects=True)
    try:
        remote = _Remote(source, own)
        since = _since(session, source)
        stamp = since.removesuffix("Z")
        params = {"fq": f"metadata_modified:[{stamp}Z TO *]"} if since else {}
        ctx = (source, ward, settings, data_dir)
        for page in remote.pages(rows, **params):
            for package in page:
                apply_package(session, principal, package, ctx, report)
            session.commit()
        present = {str(p["id"]) for page in remote.pages(1000, fl="id") for p in page}
        withdraw_missing(session, principal, source, present, report)
        session.commit()
    finally:
        if client is None:
            own.close()
    return report
