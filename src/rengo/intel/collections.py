"""The hub's TAXII collections and who may read or write each.

- ``shared``: what the wards shared (anonymised) and the joint centre's own intelligence;
  every ward reads; the joint centre writes (wards share through submissions).
- ``feeds``: national, police and vendor feeds aggregated by the joint centre.
- ``advisories``: the joint centre's alerts with countermeasures.
- ``ward-<code>``: one per ward, private to it: what the ward keeps for itself (any TLP)
  and the originals of its submissions. A STIX bundle posted here becomes a submission.

Collection ids are UUIDv5 of the alias, so that they are the same on every installation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rengo.core.errors import NotFound
from rengo.core.permissions import Principal, allows
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, tenant_codes, wards

NAMESPACE = uuid.UUID("5d1c7f0e-3b5e-4f3a-9a57-1e0c2f6b7a10")
ALL = "*"


def collection_id(alias: str) -> str:
    return str(uuid.uuid5(NAMESPACE, alias))


SHARED = collection_id("shared")
FEEDS = collection_id("feeds")
ADVISORIES = collection_id("advisories")


def ward_collection_id(ward: TenantCode) -> str:
    return collection_id(f"ward-{ward}")


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    alias: str
    kind: str
    title: str
    description: str
    readers: tuple[str, ...]
    writers: tuple[str, ...]
    public: bool
    owner: str

    @property
    def id(self) -> str:
        return collection_id(self.alias)


def default_collections() -> list[CollectionSpec]:
    specs = [
        CollectionSpec(
            "shared",
            "shared",
            "共有脅威情報 / Shared intelligence",
            "Anonymised intelligence the wards shared, and the joint centre's own.",
            (ALL,),
            (JOINT,),
            True,
            JOINT,
        ),
        CollectionSpec(
            "feeds",
            "feeds",
            "国・警察・ベンダーのフィード / National and vendor feeds",
            "NISC, JPCERT/CC, police and vendor feeds aggregated by the joint centre.",
            (ALL,),
            (JOINT,),
            True,
            JOINT,
        ),
        CollectionSpec(
            "advisories",
            "advisories",
            "注意喚起と対策 / Advisories and countermeasures",
            "Alerts of the joint centre with concrete countermeasures (report + course-of-action).",
            (ALL,),
            (JOINT,),
            True,
            JOINT,
        ),
    ]
    for ward in wards():
        specs.append(
            CollectionSpec(
                f"ward-{ward.code}",
                "ward",
                f"{ward.name_ja} 区内 / {ward.name_romaji} (private)",
                f"Private to {ward.name_romaji}: its own intelligence and its submissions' "
                "originals. A bundle posted here becomes a submission awaiting approval.",
                (ward.code,),
                (ward.code,),
                False,
                ward.code,
            )
        )
    return specs


def ensure_collections(bind: Any) -> int:
    """Create missing default collections (migration and start-up); return how many."""
    from rengo.intel.models import IntelCollection

    existing = {row[0] for row in bind.execute(select(IntelCollection.id))}
    rows = [
        {
            "id": spec.id,
            "alias": spec.alias,
            "kind": spec.kind,
            "title": spec.title,
            "description": spec.description,
            "readers": list(spec.readers),
            "writers": list(spec.writers),
            "public": spec.public,
            "owner": spec.owner,
            "writes": 0,
            "last_date_added": None,
        }
        for spec in default_collections()
        if spec.id not in existing
    ]
    if rows:
        bind.execute(insert(IntelCollection), rows)
    return len(rows)


def _tenants(entries: list[str]) -> list[str]:
    return list(tenant_codes()) if ALL in entries else list(entries)


def can_read(principal: Principal, collection: Any) -> bool:
    if allows(principal, "intel.read", _tenants(collection.readers)):
        return True
    return bool(collection.public) and allows(principal, "intel.public.read")


def can_write(principal: Principal, collection: Any) -> bool:
    # Explicit writers only: the joint centre does not write into a ward's own collection.
    writers = _tenants(collection.writers)
    return principal.tenant in writers and allows(principal, "intel.write", writers)


def visible_collections(session: Session, principal: Principal) -> list[Any]:
    from rengo.intel.models import IntelCollection

    rows = session.scalars(select(IntelCollection).order_by(IntelCollection.alias))
    return [c for c in rows if can_read(principal, c) or can_write(principal, c)]


def get_collection(session: Session, principal: Principal, ident: str) -> Any:
    """The collection with this id (or alias) if the principal may see it; else NotFound."""
    from rengo.intel.models import IntelCollection

    collection = session.get(IntelCollection, ident) or session.scalar(
        select(IntelCollection).where(IntelCollection.alias == ident)
    )
    if collection is None or not (
        can_read(principal, collection) or can_write(principal, collection)
    ):
        raise NotFound(f"no collection {ident!r}")
    return collection
