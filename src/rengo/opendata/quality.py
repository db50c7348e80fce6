"""A dataset's metadata quality, in the spirit of data.europa.eu's MQA and udata's score:
five dimensions, each 0-1, averaged to a score out of 100.

- findability: a description of some length, tags, a category, a reading (kana);
- licence: an open licence;
- machine readability: a resource rengo validated and serves as CSV/JSON (1), another
  machine-readable format (0.5), only documents such as PDF (0);
- freshness: last change within the stated update frequency (then decaying to 0 at twice it);
- schema conformance: a standard type whose every stored resource passed validation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.types import TenantCode
from rengo.opendata.catalogue import FREQUENCY_DAYS, OPEN_LICENSES
from rengo.opendata.models import Dataset, Resource

MACHINE_READABLE = frozenset({"CSV", "JSON", "GEOJSON", "XLSX", "XML", "RDF", "TTL", "API"})
DIMENSIONS = ("findability", "licence", "machine_readability", "freshness", "conformance")


@dataclass(frozen=True, slots=True)
class Quality:
    score: int
    """0-100."""
    parts: dict[str, float]
    """Each dimension, 0-1."""


def _freshness(dataset: Dataset, now: datetime) -> float:
    days = FREQUENCY_DAYS.get(dataset.frequency)
    if days is None:
        return 1.0
    age = (now - dataset.modified_at).total_seconds() / 86400
    if age <= days:
        return 1.0
    return round(max(0.0, 1 - (age - days) / days), 2)


def assess(dataset: Dataset, resources: list[Resource], now: datetime) -> Quality:
    findable = [
        len(dataset.notes) >= 20,
        bool(dataset.tags),
        bool(dataset.category),
        bool(dataset.title_kana),
    ]
    stored = [r for r in resources if not r.url]
    if stored:
        readable = 1.0
    elif any(r.format.upper() in MACHINE_READABLE for r in resources):
        readable = 0.5
    else:
        readable = 0.0
    if not dataset.standard_type:
        conformance = 0.0
    elif stored and all(r.schema_errors == 0 for r in stored):
        conformance = 1.0
    else:
        conformance = 0.5
    parts = {
        "findability": sum(findable) / len(findable),
        "licence": 1.0 if dataset.license_id in OPEN_LICENSES else 0.0,
        "machine_readability": readable,
        "freshness": _freshness(dataset, now),
        "conformance": conformance,
    }
    return Quality(round(100 * mean(parts.values())), parts)


@dataclass(frozen=True, slots=True)
class WardQuality:
    tenant: TenantCode
    datasets: int
    score: int
    parts: dict[str, float]


def by_ward(session: Session, now: datetime) -> list[WardQuality]:
    """Every ward's average quality over its published datasets (wards without any left out)."""
    resources: dict[str, list[Resource]] = defaultdict(list)
    query = select(Resource).join(Dataset, Dataset.id == Resource.dataset_id)
    for resource in session.scalars(query.where(Dataset.state == "active")):
        resources[resource.dataset_id].append(resource)
    per_ward: dict[str, list[Quality]] = defaultdict(list)
    for dataset in session.scalars(select(Dataset).where(Dataset.state == "active")):
        per_ward[dataset.tenant].append(assess(dataset, resources[dataset.id], now))
    out = []
    for tenant, found in sorted(per_ward.items()):
        parts = {d: round(mean(q.parts[d] for q in found), 2) for d in DIMENSIONS}
        out.append(WardQuality(tenant, len(found), round(mean(q.score for q in found)), parts))
    return out
