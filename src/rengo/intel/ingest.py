"""The one way objects enter the hub: store, index indicators, queue a retro-hunt, audit;
and the one way they leave it (``withdraw``): delete, forget their indicators, audit.

TAXII POSTs, feed pulls, file imports, published submissions and advisories all come
through ``ingest`` so that every object is validated, TLP-checked and matched alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.permissions import Principal
from rengo.core.settings import Settings
from rengo.intel import indicators, store
from rengo.intel.models import IntelCollection, IntelObject
from rengo.intel.settings import IntelSettings
from rengo.intel.tlp import TLP, parse_level
from rengo.intel.warninglists import WarningLists


def ingest(
    session: Session,
    settings: Settings,
    principal: Principal,
    collection: IntelCollection,
    objects: Sequence[Any],
    *,
    now: datetime,
    source: str,
    default_tlp: TLP | None = None,
    owner: str | None = None,
    audience_all: bool = True,
    audience: str = "",
    client: str = "",
) -> store.AddResult:
    level = default_tlp or parse_level(settings.section(IntelSettings).feed_default_tlp)
    result = store.add_objects(
        session,
        collection,
        objects,
        now=now,
        default_tlp=level,
        owner=owner,
        audience_all=audience_all,
        audience=audience,
        source=source,
    )
    alerting = 0
    if result.added:
        warnings = WarningLists.load(session, settings)
        alerting = indicators.index_rows(session, result.added, warnings, now)
        if alerting:
            indicators.queue_hunt(
                session,
                since=now,
                days=settings.section(IntelSettings).retro_hunt_days,
                now=now,
                reason=f"{alerting} new indicator values from {source}",
            )
    audit.record(
        session,
        principal,
        "intel.objects.add",
        object_type="intel_collection",
        object_id=collection.alias,
        object_tenant=collection.owner,
        detail={
            "source": source,
            "added": len(result.added),
            "failed": len(result.failures),
            "indicator_values": alerting,
        },
        client=client,
        at=now,
    )
    return result


def withdraw(
    session: Session,
    principal: Principal,
    collection: IntelCollection,
    stix_id: str,
    f: store.ObjectFilter,
    *,
    client: str = "",
) -> bool:
    """Delete the versions of ``stix_id`` that ``f`` matches in ``collection`` (the caller
    checked the principal may); its indicator values go once no collection keeps the object.
    False when nothing matched."""
    touched = store.delete_object(session, collection, principal, stix_id, f)
    if not touched:
        return False
    still = session.scalar(select(IntelObject.pk).where(IntelObject.stix_id == stix_id).limit(1))
    if still is None:
        indicators.forget(session, touched)
    audit.record(
        session,
        principal,
        "intel.objects.delete",
        object_type="stix_object",
        object_id=stix_id,
        object_tenant=collection.owner,
        detail={"collection": collection.alias},
        client=client,
    )
    return True
