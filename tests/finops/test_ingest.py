"""Golden totals on the public samples, deviations reported, restatement, quarantine."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from rengo.core.errors import InvalidInput
from rengo.core.storage import DataDir
from rengo.finops.allocation import Rule
from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import Lake, connection


def _lake(tmp_path: Path) -> Lake:
    return Lake.of(DataDir(tmp_path / "data").ensure())


def _sums(lake: Lake, by: str) -> dict[str, Decimal]:
    with connection() as con:
        rows = con.execute(
            f"SELECT {by}, sum(BilledCost) FROM {lake.relation_sql()} GROUP BY 1"
        ).fetchall()
    return {str(k): Decimal(str(round(v, 8))) for k, v in rows}


def _native(path: Path, key: str, cost: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            value = row[cost]
            if value not in ("", "NULL"):
                out[row[key]] += Decimal(value)
    return out


def _cents(values: dict[str, Decimal]) -> dict[str, Decimal]:
    return {k: v.quantize(Decimal("0.01")) for k, v in values.items()}


def test_focus_sample_totals_per_provider_service_and_account(
    shared_data: Path, tmp_path: Path
) -> None:
    sample = shared_data / "focus" / "focus_sample_1.0.csv"
    lake = _lake(tmp_path)
    report = ingest_files(lake, [sample], Enrichment([], []))
    assert report.rows == 1000 and report.quarantined == 0
    for column in ("ProviderName", "ServiceName", "SubAccountId"):
        assert _cents(_sums(lake, column)) == _cents(_native(sample, column, "BilledCost"))


def test_focus_sample_deviations_are_reported(shared_data: Path, tmp_path: Path) -> None:
    report = ingest_files(
        _lake(tmp_path), [shared_data / "focus" / "focus_sample_1.0.csv"], Enrichment([], [])
    )
    found = {(d.code, d.column): d for d in report.deviations}
    assert found[("null_literal", "Tags")].count > 0
    assert found[("timestamp_format", "ChargePeriodStart")].count == 1000
    assert ("custom_unprefixed", "Id") in found
    assert found[("value_case", "ChargeFrequency")].first_row is not None
    assert report.files[0].focus_version == "1.0"


@pytest.mark.parametrize(
    ("name", "fmt", "account", "cost"),
    [
        ("aws-cur-sample.csv", "aws-cur", "lineItem/UsageAccountId", "lineItem/UnblendedCost"),
        ("azure-ea-sample.csv", "azure", "SubscriptionId", "CostInBillingCurrency"),
        ("oci-cost-sample.csv", "oci", "product/compartmentId", "cost/myCost"),
    ],
)
def test_native_conversion_preserves_totals(
    shared_data: Path, tmp_path: Path, name: str, fmt: str, account: str, cost: str
) -> None:
    path = shared_data / "focus" / "native" / name
    lake = _lake(tmp_path)
    report = ingest_files(lake, [path], Enrichment([], []), fmt=fmt)
    assert report.files[0].format == fmt
    native = _native(path, account, cost)
    assert _cents(_sums(lake, "SubAccountId")) == _cents(native)
    total = sum(native.values())
    assert Decimal(str(sum(report.lake_totals.values()))).quantize(
        Decimal("0.0001")
    ) == total.quantize(Decimal("0.0001"))
    assert report.rows == sum(1 for _ in path.open(encoding="utf-8-sig")) - 1


def test_format_is_detected(shared_data: Path, tmp_path: Path) -> None:
    report = ingest_files(
        _lake(tmp_path),
        [shared_data / "focus" / "native" / "oci-cost-sample.csv"],
        Enrichment([], []),
    )
    assert report.files[0].format == "oci"


def _focus_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    header = (
        "BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPerio"
        "dEnd,ChargePeriodStart,ChargePeriodEnd,ProviderName,ServiceName,ChargeCategory,Tags\n"
    )
    body = "".join(
        f"{cost},{cost},acct-1,JPY,2025-04-01T00:00:00Z,2025-05-01T00:00:00Z,{day}T00:00:00Z,{day}"
        f'T00:00:00Z,AWS,EC2,Usage,"{{""ward"": ""{ward}""}}"\n'
        for cost, day, ward in rows
    )
    path.write_text(header + body)
    return path


def test_restated_month_replaces_never_double_counts(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    first = _focus_file(
        tmp_path / "april.csv", [("100", "2025-04-01", "千代田区"), ("200", "2025-04-02", "中央区")]
    )
    ingest_files(lake, [first], Enrichment([], []))
    ingest_files(lake, [first], Enrichment([], []))
    assert _sums(lake, "BillingAccountId") == {"acct-1": Decimal("300.0")}
    restated = _focus_file(tmp_path / "april-v2.csv", [("150", "2025-04-01", "千代田区")])
    ingest_files(lake, [restated], Enrichment([], []))
    assert _sums(lake, "BillingAccountId") == {"acct-1": Decimal("150.0")}


def test_unreadable_rows_are_quarantined_with_the_reason(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    path = _focus_file(
        tmp_path / "bad.csv", [("100", "2025-04-01", "x"), ("12abc", "2025-04-02", "y")]
    )
    report = ingest_files(lake, [path], Enrichment([], []))
    assert report.rows == 1 and report.quarantined == 1
    quarantined = next(d for d in report.deviations if d.code == "quarantined")
    assert quarantined.first_row == 2
    with connection() as con:
        (problem,) = con.execute(
            f"SELECT __problem FROM read_parquet('{lake.quarantine}/*-rows.parquet')"
        ).fetchone()
    assert "BilledCost: not a number: 12abc" in problem


def test_a_file_without_cost_columns_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "nothing.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInput) as error:
        ingest_files(_lake(tmp_path), [path], Enrichment([], []))
    assert "nothing.csv" in str(error.value)


def test_sakura_bill_details_convert_with_totals(tmp_path: Path) -> None:
    import json

    doc = {
        "Bills": [
            {
                "ID": 9001,
                "Amount": 12100,
                "Date": "2025-05-31T00:00:00+09:00",
                "MemberID": "abc12345",
            }
        ],
        "BillDetails": [
            {
                "ContractID": 1,
                "Amount": 5280,
                "Description": "web-01",
                "ServiceClassPath": "cloud/server/plan/2core-4gb",
                "Zone": "is1b",
                "Usage": 2678400,
                "FormattedUsage": "744時間",
                "ContractEndAt": None,
            },
            {
                "ContractID": 2,
                "Amount": 6820,
                "Description": "db-01 disk",
                "ServiceClassPath": "cloud/disk/ssd/100g",
                "Zone": "tk1a",
                "Usage": 2678400,
                "FormattedUsage": "744時間",
                "ContractEndAt": None,
            },
        ],
    }
    path = tmp_path / "sakura-2025-05.json"
    path.write_text(json.dumps(doc))
    lake = _lake(tmp_path)
    report = ingest_files(lake, [path], Enrichment([], []))
    assert report.files[0].format == "sakura"
    assert report.lake_totals == {"JPY": 12100.0}
    assert [p.billing_month for p in report.partitions] == ["2025-05"]
    assert set(_sums(lake, "ServiceCategory")) == {"Compute", "Storage"}


def test_gcp_export_with_credits(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "billing_account_id": "0123-4567",
            "service": {"id": "6F81", "description": "Compute Engine"},
            "sku": {"id": "CP-1", "description": "N2 Instance Core"},
            "usage_start_time": "2025-06-01T00:00:00Z",
            "usage_end_time": "2025-06-01T01:00:00Z",
            "project": {"id": "p-chiyoda", "name": "chiyoda"},
            "labels": [{"key": "ward", "value": "131016"}],
            "location": {"region": "asia-northeast1", "zone": "asia-northeast1-a"},
            "cost": 1000.0,
            "currency": "JPY",
            "usage": {"amount": 1.0, "unit": "seconds"},
            "cost_type": "regular",
            "credits": [{"name": "SUD", "amount": -200.0}],
            "invoice": {"month": "202506"},
        },
    ]
    path = tmp_path / "gcp.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    lake = _lake(tmp_path)
    report = ingest_files(lake, [path], Enrichment([], []), fmt="gcp")
    assert report.lake_totals == {"JPY": 1000.0}
    with connection() as con:
        effective, tags = con.execute(
            f"SELECT EffectiveCost, Tags FROM {lake.relation_sql()}"
        ).fetchone()
    assert effective == 800.0 and '"ward":"131016"' in tags.replace(" ", "")


def test_explorer_over_an_empty_lake(tmp_path: Path) -> None:
    from datetime import date

    ex = Explorer(_lake(tmp_path), [], {})
    assert ex.costs(CostQuery(date(2025, 1, 1), date(2025, 1, 31), ["ward"])) == []


def test_rows_without_a_billing_period_are_quarantined_not_lost(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    path = tmp_path / "no-period.csv"
    path.write_text(
        "BilledCost,BillingCurrency,BillingAccountId,ProviderName,BillingPeriodStart,ChargePeriodStart\n"
        "100,JPY,acct-1,AWS,2025-04-01T00:00:00Z,2025-04-02T00:00:00Z\n"
        "250,JPY,acct-1,AWS,NULL,2025-04-03T00:00:00Z\n"
    )
    report = ingest_files(lake, [path], Enrichment([], []))
    assert (report.rows, report.quarantined) == (1, 1)
    assert report.quarantined_totals == {"JPY": 250.0}
    assert _sums(lake, "billing_month") == {"2025-04": Decimal("100.0")}
    with connection() as con:
        (problem,) = con.execute(
            f"SELECT __problem FROM read_parquet('{lake.quarantine}/*-rows.parquet')"
        ).fetchone()
    assert problem == "BillingPeriodStart: missing"


@pytest.mark.parametrize("materialise_over", [8, 0], ids=["per-partition", "materialised"])
def test_every_row_lands_in_its_month_and_account_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, materialise_over: int
) -> None:
    # Months are Japan time: 15:00Z on the last day of a month already is the next month.
    monkeypatch.setattr("rengo.finops.ingest.MATERIALISE_OVER", materialise_over)
    rows = [
        ("1", "AWS", "a1", "2025-03-31T15:00:00Z"),
        ("2", "AWS", "a1", "2025-04-01T00:00:00Z"),
        ("4", "AWS", "a1", "2025-04-30T14:59:59Z"),
        ("8", "AWS", "a1", "2025-04-30T15:00:00Z"),
        ("16", "aws", "a2", "2024-12-31T15:00:00Z"),
        ("32", "AWS", "a2", "2025-01-01T00:00:00Z"),
        ("64", "Microsoft", "NULL", "2025-11-30T15:00:00Z"),
    ]
    path = tmp_path / "months.csv"
    path.write_text(
        "BilledCost,BillingCurrency,BillingAccountId,ProviderName,BillingPeriodStart,ChargePeriodStart\n"
        + "".join(f"{c},JPY,{a},{p},{start},{start}\n" for c, p, a, start in rows)
    )
    lake = _lake(tmp_path)
    report = ingest_files(lake, [path], Enrichment([], []))

    def key(provider: str, account: str) -> str:
        return f"{provider}-{hashlib.md5(account.encode(), usedforsecurity=False).hexdigest()[:10]}"

    expected = {
        ("2025-04", key("aws", "a1")): 7.0,
        ("2025-05", key("aws", "a1")): 8.0,
        ("2025-01", key("aws", "a2")): 48.0,
        ("2025-12", key("microsoft", "")): 64.0,
    }
    reported: dict[tuple[str, str], float] = defaultdict(float)
    for part in report.partitions:  # one line per provider spelling within a partition
        reported[part.billing_month, part.account_key] += part.billed_cost
    assert reported == expected
    assert set(lake.partitions()) == set(expected)
    with connection() as con:
        stored = con.execute(
            f"SELECT billing_month, account_key, sum(BilledCost) FROM {lake.relation_sql()} "
            "GROUP BY ALL"
        ).fetchall()
    assert {(m, a): total for m, a, total in stored} == expected


@pytest.mark.parametrize("stream_rows", [200_000, 1], ids=["materialised", "streamed"])
def test_repairs_apply_exactly_where_the_count_found_deviations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream_rows: int
) -> None:
    # Parquet keeps empty strings; columns without any deviation are read as they are.
    # Streamed, the flags and the null literals are counted side by side on two cursors.
    monkeypatch.setattr("rengo.finops.ingest.STREAM_ROWS", stream_rows)
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "mixed.parquet"
    start = "2025-04-01T00:00:00Z"
    pq.write_table(
        pa.table(
            {
                "BilledCost": [1.0, 2.0, 3.0],
                "BillingCurrency": ["JPY"] * 3,
                "BillingAccountId": ["a1"] * 3,
                "ProviderName": ["AWS"] * 3,
                "BillingPeriodStart": [start] * 3,
                "ChargePeriodStart": [start] * 3,
                "ServiceName": ["EC2", "NULL", ""],
                "RegionId": ["ap-northeast-1"] * 3,
                "ChargeCategory": ["Usage", "usage", "Refund"],
                "ChargeFrequency": ["Usage-Based"] * 3,
            }
        ),
        path,
    )
    lake = _lake(tmp_path)
    report = ingest_files(lake, [path], Enrichment([], []))
    found = {(d.code, d.column): (d.count, d.first_row) for d in report.deviations}
    assert found[("null_literal", "ServiceName")] == (1, 2)
    assert found[("value_case", "ChargeCategory")] == (1, 2)
    assert found[("unknown_value", "ChargeCategory")] == (1, 3)
    assert not {c for c, col in found if col in ("RegionId", "ChargeFrequency")}
    with connection() as con:
        stored = con.execute(
            "SELECT x_SourceRow, ServiceName, ChargeCategory, RegionId, ChargeFrequency "
            f"FROM {lake.relation_sql()} ORDER BY 1"
        ).fetchall()
    assert stored == [
        (1, "EC2", "Usage", "ap-northeast-1", "Usage-Based"),
        (2, None, "Usage", "ap-northeast-1", "Usage-Based"),
        (3, None, "Refund", "ap-northeast-1", "Usage-Based"),
    ]


WARDS = ("131016", "131024", "131032")


def _partitioned_parquet(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    accounts = ["a1", "a1", "a1", "a2", "a2", "a3"] * 50
    months = ["2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z"]
    pq.write_table(
        pa.table(
            {
                "BilledCost": [float(i % 97) + 0.25 for i in range(len(accounts))],
                "BillingCurrency": ["JPY"] * len(accounts),
                "BillingAccountId": accounts,
                "ProviderName": ["AWS"] * len(accounts),
                "BillingPeriodStart": [months[(i // 6) % 2] for i in range(len(accounts))],
                "ChargePeriodStart": [months[(i // 6) % 2] for i in range(len(accounts))],
                "Tags": [f'{{"ward": "{WARDS[i % 3]}"}}' for i in range(len(accounts))],
            }
        ),
        path,
    )
    return path


@pytest.mark.parametrize("threads", [1, 2], ids=["serial", "parallel"])
def test_partitions_are_synced_before_they_replace_the_old_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    import os

    from rengo.finops import ingest
    from rengo.finops import lake as lake_module

    # A streamed (not materialised) Parquet source, read by the cursors that write the
    # partitions side by side; the same rows land whether written serially or not.
    monkeypatch.setattr(ingest, "STREAM_ROWS", 1)
    monkeypatch.setattr(ingest, "connection", lambda: lake_module.connection(threads))
    # By inode: a file synced under its temporary name and then renamed into place
    # (core.storage.atomic_path) is the same file.
    synced: set[int] = set()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.add(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    unsynced: list[str] = []
    real_replace = Lake.replace_partitions

    def replace(self: Lake, staging: Path) -> list[tuple[str, str]]:
        for path in staging.rglob("*"):
            if path.stat().st_ino not in synced and path.parent != staging:
                unsynced.append(str(path.relative_to(staging)))
        return real_replace(self, staging)

    monkeypatch.setattr(Lake, "replace_partitions", replace)
    lake = _lake(tmp_path)
    rule = Rule(1, 1, "tag", "*", tag_key="ward", ward_from_value=True)
    source = _partitioned_parquet(tmp_path / "month.parquet")
    report = ingest_files(lake, [source], Enrichment([rule], []), ingest_id="same")
    assert unsynced == []
    assert len(report.partitions) == 6 and report.rows == 300
    assert sorted(lake.partitions()) == sorted(
        (p.billing_month, p.account_key) for p in report.partitions
    )
    with connection() as con:
        stored = con.execute(
            f"SELECT billing_month, BillingAccountId, x_Ward, count(*), sum(BilledCost), "
            f"min(x_SourceRow), max(x_SourceRow) FROM {lake.relation_sql()} GROUP BY ALL ORDER BY "
            "ALL"
        ).fetchall()
        expected = con.execute(
            "SELECT strftime(CAST(BillingPeriodStart AS TIMESTAMPTZ) + INTERVAL 9 HOUR, '%Y-%m'), "
            "BillingAccountId, "
            "json_extract_string(Tags, '$.ward'), "
            "count(*), sum(BilledCost), min(file_row_number) + 1, max(file_row_number) + 1 "
            f"FROM read_parquet('{source}', file_row_number = true) GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    assert stored == expected
