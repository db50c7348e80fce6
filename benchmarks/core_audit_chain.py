"""Audit log: appends and verification of the keyed (HMAC-SHA-256) chain (issue 10).

    .venv/bin/python benchmarks/core_audit_chain.py --entries 20000 --backend sqlite

Appends ``--entries`` entries in transactions of ``--per-transaction`` (as a request
appends one or two), then verifies the whole chain and its head. Prints entries per
second for both, and the cost of the keyed digest against plain SHA-256 on the same rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from rengo.core import audit
from rengo.core.audit_key import key_file_of
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.tenancy import sync_tenants
from rengo.migrations import upgrade

WHO = Principal("131016", Role.WARD_IT, username="bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--per-transaction", type=int, default=2)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/rengo_bench"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rengo-audit-bench-"))
    url = f"sqlite:///{root / 'rengo.db'}" if args.backend == "sqlite" else args.pg_url
    upgrade(url)
    runtime = Runtime.from_settings(Settings(data_dir=root / "data", database_url=url))
    with runtime.db.session() as session:
        sync_tenants(session)
    started = time.perf_counter()
    for start in range(0, args.entries, args.per_transaction):
        with runtime.db.session() as session:
            for i in range(start, min(start + args.per_transaction, args.entries)):
                audit.record(
                    session, WHO, "asset.read", object_type="asset", object_id=i, detail={"i": i}
                )
    append = time.perf_counter() - started
    with runtime.db.session() as session:
        started = time.perf_counter()
        report = audit.verify_chain(session)
        verify = time.perf_counter() - started
        key = key_file_of(session).load()
        events = session.scalars(select(audit.AuditEvent).limit(5000)).all()
        started = time.perf_counter()
        for event in events:
            audit._row_digest(event, key)
        keyed = time.perf_counter() - started
        started = time.perf_counter()
        for event in events:
            audit._row_digest(event, None)
        plain = time.perf_counter() - started
    assert report.intact, report
    print(f"{args.backend}: {args.entries:,} entries, {args.per_transaction} per transaction")
    print(f"append: {args.entries / append:,.0f} entries/s ({append:.1f} s)")
    print(f"verify: {report.checked / verify:,.0f} entries/s ({verify:.2f} s), intact")
    print(f"digest of 5,000 rows: HMAC {keyed * 1000:.0f} ms, plain SHA-256 {plain * 1000:.0f} ms")
    runtime.close()


if __name__ == "__main__":
    main()
