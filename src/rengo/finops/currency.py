"""Exchange rates per day, and the conversion of billed amounts into the reporting currency.

A row billed in the reporting currency (JPY) has rate 1. A row billed in another
currency uses the rate of its charge day or, failing that, the latest earlier day; the
rate, its day and its source are written on the row. Rows billed in JPY but priced in
USD (FOCUS ``PricingCurrency``) reveal the provider's own rate: those daily rates are
kept too, marked with the provider as their source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

RATES_TABLE = "__rates"


@dataclass(frozen=True, slots=True)
class Rate:
    day: date
    base: str
    quote: str
    rate: float
    source: str


def register_rates(con: duckdb.DuckDBPyConnection, rates: list[Rate], quote: str) -> None:
    """Make the rates into ``quote`` available to SQL as ``__rates(day, base, rate, source)``."""
    usable = [r for r in rates if r.quote == quote and r.rate > 0]
    table = pa.table(
        {
            "day": pa.array([r.day for r in usable], pa.date32()),
            "base": pa.array([r.base for r in usable], pa.string()),
            "rate": pa.array([r.rate for r in usable], pa.float64()),
            "source": pa.array([r.source for r in usable], pa.string()),
        }
    )
    con.register(f"{RATES_TABLE}_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {RATES_TABLE} AS SELECT * FROM {RATES_TABLE}_arrow")  # noqa: S608 - relations and columns named by code, values quoted by core.sql


DAY_SQL = "CAST(ChargePeriodStart + INTERVAL 9 HOUR AS DATE)"


def rate_days(con: duckdb.DuckDBPyConnection, src: str, reporting: str) -> None:
    """Look up the rate into ``reporting`` once per (currency, charge day) of ``src``, into
    the small table ``__rated`` that ``reporting_select`` joins back to the rows."""
    con.execute(
        f"""CREATE OR REPLACE TABLE __rated AS
  SELECT days.__cur, days.__d,
    CASE WHEN days.__cur = $cur THEN 1.0 ELSE r.rate END AS __rate,
    CASE WHEN days.__cur = $cur THEN NULL ELSE r.day END AS __rate_day,
    CASE WHEN days.__cur = $cur THEN NULL ELSE r.source END AS __rate_source
  FROM (SELECT DISTINCT BillingCurrency AS __cur, {DAY_SQL} AS __d FROM {src}) days
  ASOF LEFT JOIN {RATES_TABLE} r ON days.__cur = r.base AND days.__d >= r.day""",  # noqa: S608 - src: a relation the ingest names
        {"cur": reporting},
    )


def reporting_select(src: str, columns_sql: str, join: tuple[str, str] | None = None) -> str:
    """``columns_sql`` over ``src`` joined (as of the charge day) to its rate in ``__rated``
    (made by ``rate_days`` over these rows or more).

    ``columns_sql`` may use ``__rate``, ``__rate_day`` and ``__rate_source``; the rates
    join back to the rows by hash; ``join`` = (relation, condition on ``s``) adds the
    allocation ``a``.
    """
    extra = f" LEFT JOIN {join[0]} AS a ON {join[1]}" if join else ""
    return f"""
SELECT {columns_sql}
FROM (SELECT *, {DAY_SQL} AS __day FROM {src}) s
  LEFT JOIN __rated ON s.BillingCurrency IS NOT DISTINCT FROM __rated.__cur
  AND s.__day = __rated.__d{extra}"""  # noqa: S608 - relations and columns named by code, values quoted by core.sql


def implied_rates(con: duckdb.DuckDBPyConnection, table: str, provider_label: str) -> list[Rate]:
    """Daily rates PricingCurrency -> BillingCurrency implied by the (readable) rows of
    ``table`` that carry both amounts."""
    rows = con.execute(
        f"""
        SELECT CAST(ChargePeriodStart + INTERVAL 9 HOUR AS DATE) AS day, PricingCurrency,
               BillingCurrency, ProviderName, median(EffectiveCost / PricingCurrencyEffectiveCost)
        FROM {table}
        WHERE PricingCurrency IS NOT NULL AND PricingCurrency <> BillingCurrency
          AND PricingCurrencyEffectiveCost IS NOT NULL AND abs(PricingCurrencyEffectiveCost) > 1e-9
        GROUP BY ALL ORDER BY day
        """  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    ).fetchall()
    return [
        Rate(day, base, quote, float(rate), f"{provider_label}: {provider}")
        for day, base, quote, provider, rate in rows
        if rate is not None and rate > 0
    ]
