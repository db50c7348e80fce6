"""The lake as the rest of rengo uses it: ingest and rebuild with the rules and rates from the
database, recorded and audited; an explorer per data directory; rates and rules kept.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem, ProblemList
from rengo.core.permissions import Principal, require
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.tenancy import populations
from rengo.core.types import TenantCode
from rengo.core.wards import is_tenant, ward_codes
from rengo.finops.allocation import METHODS, Pool, Rule
from rengo.finops.currency import Rate
from rengo.finops.explorer import Explorer
from rengo.finops.ingest import Enrichment, IngestReport, ingest_files, rebuild
from rengo.finops.lake import Lake
from rengo.finops.models import AllocationRule, ExchangeRate, Ingest, SharedPool
from rengo.finops.settings import FinopsSettings


def load_rules(session: Session) -> list[Rule]:
    rows = session.scalars(select(AllocationRule).where(AllocationRule.active.is_(True)))
    return [
        Rule(
            id=r.id,
            priority=r.priority,
            field=r.field,
            pattern=r.pattern,
            tag_key=r.tag_key,
            ward=r.ward,
            ward_from_value=r.ward_from_value,
            business_system=r.business_system,
            system_from_value=r.system_from_value,
            shared_pool=r.shared_pool,
        )
        for r in rows
    ]


def load_pools(session: Session) -> list[Pool]:
    return [
        Pool(p.name, p.method, tuple(p.wards or ()))
        for p in session.scalars(select(SharedPool).order_by(SharedPool.name))
    ]


def load_rates(session: Session) -> list[Rate]:
    return [
        Rate(r.day, r.base, r.quote, r.rate, r.source)
        for r in session.scalars(select(ExchangeRate).order_by(ExchangeRate.day))
    ]


def enrichment(session: Session, settings: Settings) -> Enrichment:
    return Enrichment(
        load_rules(session), load_rates(session), settings.section(FinopsSettings).currency
    )


def ingest(
    session: Session,
    principal: Principal,
    data_dir: DataDir,
    settings: Settings,
    paths: list[Path],
    *,
    fmt: str | None = None,
    client: str = "",
    on_file: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Ingest files into the lake, keep the provider-implied rates, record and audit it."""
    require(principal, "finops.ingest")
    report = ingest_files(
        Lake.of(data_dir), paths, enrichment(session, settings), fmt=fmt, on_file=on_file
    )
    store_rates(session, report.implied_rates, overwrite=False)
    session.add(
        Ingest(
            id=report.ingest_id,
            actor=principal.label,
            format=report.format,
            files=[f.file for f in report.files],
            rows=report.rows,
            quarantined=report.quarantined,
            partitions=[asdict(p) for p in report.partitions],
            deviations=[
                {"file": f.file, **d.as_dict()} for f in report.files for d in f.deviations
            ],
            totals={
                "native": {f.file: f.native_totals for f in report.files},
                "lake": report.lake_totals,
                "quarantined": report.quarantined_totals,
            },
        )
    )
    audit.record(
        session,
        principal,
        "finops.ingest",
        object_type="finops_ingest",
        object_id=report.ingest_id,
        client=client,
        detail={
            "files": [f.file for f in report.files],
            "rows": report.rows,
            "partitions": len(report.partitions),
            "quarantined": report.quarantined,
        },
    )
    forget_explorer(data_dir)
    return report


def rebuild_lake(
    session: Session, principal: Principal, data_dir: DataDir, settings: Settings
) -> int:
    """Re-apply allocation rules and exchange rates to the whole lake."""
    require(principal, "finops.rules.manage")
    count = rebuild(Lake.of(data_dir), enrichment(session, settings))
    audit.record(
        session, principal, "finops.rebuild", object_type="finops_lake", detail={"files": count}
    )
    forget_explorer(data_dir)
    return count


def store_rates(session: Session, rates: list[Rate], *, overwrite: bool = True) -> int:
    existing = {(r.day, r.base, r.quote): r for r in session.scalars(select(ExchangeRate))}
    stored = 0
    for rate in rates:
        row = existing.get((rate.day, rate.base, rate.quote))
        if row is None:
            row = ExchangeRate(
                day=rate.day, base=rate.base, quote=rate.quote, rate=rate.rate, source=rate.source
            )
            session.add(row)
            existing[(rate.day, rate.base, rate.quote)] = row
            stored += 1
        elif overwrite:
            row.rate, row.source = rate.rate, rate.source
            stored += 1
    session.flush()
    return stored


def parse_rates_csv(text: str, filename: str = "rates.csv") -> list[Rate]:
    """``day,base,quote,rate[,source]`` rows; every bad row is named (file:line)."""
    problems = ProblemList()
    rates = []
    reader = csv.DictReader(io.StringIO(text))
    missing = {"day", "base", "quote", "rate"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(
            "not a rates file", [Problem(f"missing columns {sorted(missing)}", f"{filename}:1")]
        )
    for line, row in enumerate(reader, 2):
        try:
            value = float(row["rate"])
            if value <= 0:
                raise ValueError("a rate is positive")
            rates.append(
                Rate(
                    date.fromisoformat(row["day"].strip()),
                    row["base"].strip().upper(),
                    row["quote"].strip().upper(),
                    value,
                    (row.get("source") or filename).strip(),
                )
            )
        except (ValueError, AttributeError) as error:
            problems.add(str(error), f"{filename}:{line}")
    problems.raise_if_any("invalid exchange rates")
    return rates


def add_rule(
    session: Session, principal: Principal, rule: Rule, description: str = ""
) -> AllocationRule:
    require(principal, "finops.rules.manage")
    problems = rule.check()
    if rule.ward and rule.ward not in ward_codes():
        problems.append(Problem(f"unknown ward {rule.ward!r}", "ward"))
    if (
        rule.shared_pool
        and session.scalar(select(SharedPool.id).where(SharedPool.name == rule.shared_pool)) is None
    ):
        problems.append(Problem(f"no shared pool named {rule.shared_pool!r}", "shared_pool"))
    if problems:
        raise InvalidInput("invalid allocation rule", problems)
    row = AllocationRule(
        priority=rule.priority,
        field=rule.field,
        tag_key=rule.tag_key,
        pattern=rule.pattern,
        ward=rule.ward,
        ward_from_value=rule.ward_from_value,
        business_system=rule.business_system,
        system_from_value=rule.system_from_value,
        shared_pool=rule.shared_pool,
        description=description,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, principal, "finops.rule.create", object_type="finops_rule", object_id=row.id
    )
    return row


def add_pool(
    session: Session,
    principal: Principal,
    name: str,
    method: str,
    wards: list[TenantCode],
    description: str = "",
) -> SharedPool:
    require(principal, "finops.rules.manage")
    problems = []
    name = name.strip()
    if not name or len(name) > 64:
        problems.append(Problem("1 to 64 characters", "name"))
    elif session.scalar(select(SharedPool.id).where(SharedPool.name == name)) is not None:
        raise Conflict(
            f"a shared pool named {name!r} exists", [Problem("choose another name", "name")]
        )
    if method not in METHODS:
        problems.append(Problem(f"one of {', '.join(METHODS)}", "method"))
    problems += [Problem(f"unknown ward {w!r}", "wards") for w in wards if not is_tenant(w)]
    if problems:
        raise InvalidInput("invalid shared pool", problems)
    row = SharedPool(name=name, method=method, wards=wards, description=description)
    session.add(row)
    session.flush()
    audit.record(
        session, principal, "finops.pool.create", object_type="finops_pool", object_id=row.id
    )
    return row


def rules(session: Session, principal: Principal) -> list[AllocationRule]:
    require(principal, "finops.rules.manage")
    return list(
        session.scalars(select(AllocationRule).order_by(AllocationRule.priority, AllocationRule.id))
    )


def pools(session: Session, principal: Principal) -> list[SharedPool]:
    require(principal, "finops.rules.manage")
    return list(session.scalars(select(SharedPool).order_by(SharedPool.name)))


def delete_rule(session: Session, principal: Principal, rule_id: int, client: str = "") -> None:
    """Remove a rule; the lake keeps its old allocation until ``rebuild_lake``."""
    require(principal, "finops.rules.manage")
    row = session.get(AllocationRule, rule_id)
    if row is None:
        raise NotFound(f"allocation rule {rule_id} not found")
    audit.record(
        session,
        principal,
        "finops.rule.delete",
        object_type="finops_rule",
        object_id=rule_id,
        detail={"field": row.field, "pattern": row.pattern},
        client=client,
    )
    session.delete(row)
    session.flush()


def delete_pool(session: Session, principal: Principal, pool_id: int, client: str = "") -> None:
    """Remove a shared pool; refused while a rule still sends rows to it."""
    require(principal, "finops.rules.manage")
    row = session.get(SharedPool, pool_id)
    if row is None:
        raise NotFound(f"shared pool {pool_id} not found")
    users = session.scalars(
        select(AllocationRule.id).where(AllocationRule.shared_pool == row.name)
    ).all()
    if users:
        raise Conflict(
            f"shared pool {row.name!r} is used by rule(s) {', '.join(map(str, users))}",
            [Problem("delete those rules first", "pool")],
        )
    audit.record(
        session,
        principal,
        "finops.pool.delete",
        object_type="finops_pool",
        object_id=pool_id,
        detail={"name": row.name},
        client=client,
    )
    session.delete(row)
    session.flush()


_explorers: dict[Path, Explorer] = {}
_explorers_lock = threading.Lock()


def explorer(session: Session, data_dir: DataDir) -> Explorer:
    """The explorer for a data directory (its pools and populations refreshed per call)."""
    lake = Lake.of(data_dir)
    with _explorers_lock:
        found = _explorers.get(lake.root)
        if found is None:
            found = Explorer(lake, [], {})
            _explorers[lake.root] = found
    pools, pops = load_pools(session), populations(session)
    if pools != found.pools or pops != found.populations:
        found.pools, found.populations = pools, pops
        found._weights = None
    return found


def forget_explorer(data_dir: DataDir) -> None:
    with _explorers_lock:
        found = _explorers.pop(Lake.of(data_dir).root, None)
    if found is not None:
        found.close()
