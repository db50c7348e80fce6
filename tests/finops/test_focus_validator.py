"""``rengo finops export`` output checked by the FinOps Foundation's focus-validator.

focus-validator 1.0.0 (the newest on PyPI) pins old numpy/pandas, so ``make install``
puts it in its own virtual environment, ``.venv-focus``. Its newest rule set is FOCUS
1.0 with the names of the 1.0 drafts for five columns (``Provider``, ``Publisher``,
``InvoiceIssuer``, ``ResourceID``, ``ChargeType`` beside ``ChargeCategory``): the test
gives it our export with those five names added back — nothing else changed — and
requires every check to pass, for CSV and Parquet.
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from rengo.core.storage import DataDir
from rengo.finops.allocation import Rule
from rengo.finops.export import export
from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import Lake
from rengo.finops.synthetic import generate
from tests.helpers import ROOT

VALIDATOR = ROOT / ".venv-focus" / "bin" / "focus-validator"
DRAFT_NAMES = {
    "ProviderName": "Provider",
    "PublisherName": "Publisher",
    "InvoiceIssuerName": "InvoiceIssuer",
    "ResourceId": "ResourceID",
}


def _site_packages() -> Path:
    return next((ROOT / ".venv-focus" / "lib").glob("python*/site-packages"))


def _as_draft_names(source: Path, target: Path) -> None:
    con = duckdb.connect()
    reader = (
        f"read_csv('{source}', all_varchar = true)"
        if source.suffix == ".csv"
        else f"read_parquet('{source}')"
    )
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
    select = ", ".join(f'"{c}" AS "{DRAFT_NAMES.get(c, c)}"' for c in columns)
    options = "HEADER true" if source.suffix == ".csv" else "FORMAT parquet"
    con.execute(
        f"COPY (SELECT {select}, ChargeCategory AS ChargeType FROM {reader}) TO '{target}' "
        f"({options})"
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    if not VALIDATOR.exists():
        pytest.skip("no .venv-focus/bin/focus-validator (`make focus-validator` installs it)")
    tmp = tmp_path_factory.mktemp("validator")
    tables, _plan = generate(
        end=date(2025, 9, 30), months=1, ward_codes=["131016"], systems=["koseki", "shugaku"]
    )
    files = []
    for provider, month, table in tables:
        path = tmp / f"{provider.split()[0]}-{month}.parquet"
        pq.write_table(table, path)
        files.append(path)
    lake = Lake.of(DataDir(tmp / "data").ensure())
    rules = [Rule(1, 10, "tag", "*", tag_key="ward", ward_from_value=True)]
    ingest_files(lake, files, Enrichment(rules, []))
    return lake


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_export_passes_every_check_of_the_focus_validator(
    lake: Lake, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"focus{suffix}"
    assert export(lake, out) > 100
    draft = tmp_path / f"draft{suffix}"
    _as_draft_names(out, draft)
    result = subprocess.run(
        [str(VALIDATOR), "--data-file", str(draft), "--validate-version", "1.0"],
        cwd=_site_packages(),  # it reads its currency list from a path relative to there
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "failed" not in report, report[-3000:]
