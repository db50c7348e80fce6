"""Daily rollups: the lake summed per day and per explorer dimension, beside each partition.

The explorer, the anomaly scan, forecasts and the KGI ask for cost per day by ward,
system, provider, service, region, charge category or sub-account — never per resource or
tag. Each partition therefore carries ``rollup.parquet`` (written with its data, replaced
with it) holding those sums; the explorer loads all rollups into memory once per lake
version and answers such queries from there, falling back to the rows for the rest
(resources, tags, drill-down).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from rengo.core.sql import literal
from rengo.core.storage import atomic_path

ROLLUP_FILE = "rollup.parquet"
KEYS = (
    "x_ChargeDate",
    "billing_month",
    "x_Ward",
    "x_SharedPool",
    "x_BusinessSystem",
    "ProviderName",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ChargeCategory",
    "SubAccountId",
    "SubAccountName",
    "BillingCurrency",
)
SUMS = ("x_EffectiveCostReporting", "x_BilledCostReporting", "BilledCost")
COLUMNS = frozenset({*KEYS, *SUMS, "x_ExchangeRate"})
"""Columns a query may use and still be answered from the rollup."""


def rollup_select(src: str, billing_month: str | None = None) -> str:
    """SELECT of the daily sums of ``src`` (lake rows); ``x_ExchangeRate`` is null where any
    summed row lacked a rate (so that "unpriced" stays visible), ``__rows`` counts rows."""
    month = f"'{billing_month}' AS billing_month" if billing_month else "billing_month"
    keys = [k if k != "billing_month" else month for k in KEYS]
    return (
        f"SELECT {', '.join(keys)}, "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        + ", ".join(f"sum({c}) AS {c}" for c in SUMS)
        + ", CASE WHEN count(x_ExchangeRate) = count(*) THEN 1.0 END AS x_ExchangeRate, "
        + f"count(*) AS __rows FROM {src} GROUP BY ALL"
    )


def write_rollup(con: duckdb.DuckDBPyConnection, data_file: Path, billing_month: str) -> Path:
    """Write the rollup of one partition's data file beside it; returns its path."""
    target = data_file.parent / ROLLUP_FILE
    src = f"read_parquet({literal(data_file)})"
    with atomic_path(target, sync_folder=False) as tmp:
        con.execute(
            f"COPY ({rollup_select(src, billing_month)} ORDER BY x_ChargeDate) "
            f"TO {literal(tmp)} (FORMAT parquet, COMPRESSION zstd)"
        )
    return target
