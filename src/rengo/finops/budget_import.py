"""Import of the wards' information-system budgets and settlements (予算・決算).

The file is what a ward's finance system exports, one line per budget or settlement item,
as CSV (UTF-8 or cp932) or Excel (.xlsx), with these columns (Japanese or English headers,
in any order; docs/finops.md shows an example):

==============  =====================  ===================================================
key             header                 value
==============  =====================  ===================================================
ward            団体コード / 区名      the ward's code (131016) or name (千代田区);
                                       ``joint`` for the joint centre's own budget
fiscal_year     年度                   2026, 令和8年度, R8
stage           予算決算区分           予算 (budget) | 決算 (settlement)
scope           対象                   現行システム (current, before migration) |
                                       標準準拠システム (standard, after migration) |
                                       セキュリティ対策 (security: the ward's own SOC/CSIRT
                                       and security measures)
business_system 業務                   one of the 20 standard business systems; 共通 or
                                       empty: common to them (allocated, see
                                       ``rengo.finops.operating_cost``)
category        経費区分               ライセンス | 保守 | 運用委託 | 回線 |
                                       アプリケーション利用料 | クラウド利用料 | その他
amount          金額                   yen, a whole number ≥ 0 (commas allowed)
note            摘要                   optional
==============  =====================  ===================================================

All or nothing: every problem is reported with its file, line and column, and nothing is
stored unless the whole file is good. An import replaces the earlier lines of each
(ward, fiscal year, stage) it contains, so a corrected file is simply imported again.
The lines are committed before the import is acknowledged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core import audit
from rengo.core.errors import ProblemList
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.tables import Row, number, read_table, ward_of
from rengo.finops.models import BudgetImport, BudgetLine

Stage = Literal["budget", "settlement"]
Scope = Literal["current", "standard", "security"]
Category = Literal["licence", "maintenance", "operation", "network", "vendor", "cloud", "other"]

COLUMNS = {
    "ward": ("団体コード", "区名", "区", "区コード"),
    "fiscal_year": ("年度", "会計年度"),
    "stage": ("予算決算区分", "予算・決算", "区分"),
    "scope": ("対象", "対象システム"),
    "business_system": ("業務", "業務名", "標準化対象業務"),
    "category": ("経費区分", "費目"),
    "amount": ("金額", "金額(円)", "金額(円)"),
    "note": ("摘要", "備考"),
}
REQUIRED = {"ward", "fiscal_year", "stage", "scope", "category", "amount"}
STAGES: dict[str, Stage] = {
    "予算": "budget",
    "当初予算": "budget",
    "決算": "settlement",
    "budget": "budget",
    "settlement": "settlement",
}
SCOPES: dict[str, Scope] = {
    "現行システム": "current",
    "現行": "current",
    "標準準拠システム": "standard",
    "標準準拠": "standard",
    "セキュリティ対策": "security",
    "セキュリティ": "security",
    "current": "current",
    "standard": "standard",
    "security": "security",
}
CATEGORIES: dict[str, Category] = {
    "ライセンス": "licence",
    "ライセンス料": "licence",
    "保守": "maintenance",
    "保守料": "maintenance",
    "運用委託": "operation",
    "運用": "operation",
    "回線": "network",
    "回線料": "network",
    "ネットワーク": "network",
    "アプリケーション利用料": "vendor",
    "ベンダー利用料": "vendor",
    "クラウド利用料": "cloud",
    "その他": "other",
    **{
        c: c for c in ("licence", "maintenance", "operation", "network", "vendor", "cloud", "other")
    },
}
COMMON = ("", "共通", "common")
MAX_AMOUNT = 10**13
_REIWA = re.compile(r"^(?:令和|R)\s*(\d{1,2})\s*(?:年度)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BudgetImportResult:
    import_id: int
    rows: int
    replaced: int
    scopes: list[tuple[str, int, str]]
    """(ward, fiscal year, stage) the file held."""


def fiscal_year(text: str) -> int | None:
    """2026, 2026年度, 令和8年度 or R8 → 2026; ``None`` when it is none of these."""
    raw = text.strip().removesuffix("年度")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    match = _REIWA.match(text.strip())
    return 2018 + int(match.group(1)) if match else None


def _system(row: Row, problems: ProblemList) -> str | None:
    raw = row.cells.get("business_system", "")
    if raw in COMMON:
        return ""
    for term in BUSINESS_SYSTEMS.values():
        if raw in (term.key, term.ja, term.en):
            return term.key
    problems.add(
        "{value!r} is not one of the 20 standard business systems (or 共通)",
        row.where("business_system"),
        {"value": raw},
    )
    return None


def _choice(row: Row, key: str, options: dict[str, str], problems: ProblemList) -> str | None:
    value = options.get(row.cells[key]) or options.get(row.cells[key].lower())
    if value is None:
        shown = ", ".join(k for k in options if not k.isascii())
        problems.add(
            "{value!r} is not one of {options}",
            row.where(key),
            {"value": row.cells[key], "options": shown},
        )
    return value


def parse(data: bytes, filename: str, principal: Principal) -> list[BudgetLine]:
    """Every line of the file, or ``InvalidInput`` naming each problem's line and column."""
    rows = read_table(data, filename, COLUMNS, REQUIRED)
    problems = ProblemList()
    lines: list[BudgetLine] = []
    for row in rows:
        ward = ward_of(row, principal, problems)
        year = fiscal_year(row.cells["fiscal_year"])
        if year is None:
            problems.add(
                "{value!r} is not a fiscal year (2026, 令和8年度, R8)",
                row.where("fiscal_year"),
                {"value": row.cells["fiscal_year"]},
            )
        stage = _choice(row, "stage", dict(STAGES), problems)
        scope = _choice(row, "scope", dict(SCOPES), problems)
        category = _choice(row, "category", dict(CATEGORIES), problems)
        system = _system(row, problems)
        amount = number(row, "amount", problems, integer=True)
        if amount is not None and not 0 <= amount <= MAX_AMOUNT:
            problems.add("an amount in yen from 0 to 10 trillion", row.where("amount"))
            amount = None
        if scope == "security" and system:
            problems.add(
                "security lines belong to no business system", row.where("business_system")
            )
            system = None
        if None in (ward, year, stage, scope, category, system, amount):
            continue
        lines.append(
            BudgetLine(
                line=row.line,
                ward=ward,
                fiscal_year=year,
                stage=stage,
                scope=scope,
                business_system=system,
                category=category,
                amount=amount,
                note=row.cells.get("note", "")[:200],
            )
        )
    problems.raise_if_any("the budget file was not imported")
    return lines


def import_budget(
    session: Session,
    principal: Principal,
    data: bytes,
    *,
    filename: str = "budget.csv",
    client: str = "",
) -> BudgetImportResult:
    """Parse the whole file, then replace the (ward, year, stage) it holds in one transaction."""
    lines = parse(data, filename, principal)
    scopes = sorted({(x.ward, x.fiscal_year, x.stage) for x in lines})
    for ward in sorted({w for w, _y, _s in scopes}):
        require(principal, "finops.plan.write", ward)
    replaced = 0
    for ward, year, stage in scopes:
        old = delete(BudgetLine).where(
            BudgetLine.ward == ward, BudgetLine.fiscal_year == year, BudgetLine.stage == stage
        )
        replaced += session.execute(old).rowcount or 0  # type: ignore[attr-defined]
    record = BudgetImport(
        actor=principal.label,
        filename=filename[:256],
        sha256=hashlib.sha256(data).hexdigest(),
        rows=len(lines),
        replaced=replaced,
    )
    session.add(record)
    session.flush()
    fields = ("line", "ward", "fiscal_year", "stage", "scope", "business_system", "category")
    session.execute(
        insert(BudgetLine),
        [
            {"import_id": record.id, "amount": x.amount, "note": x.note}
            | {f: getattr(x, f) for f in fields}
            for x in lines
        ],
    )
    audit.record(
        session,
        principal,
        "finops.budget.import",
        object_type="finops_budget_import",
        object_id=record.id,
        detail={"file": filename, "rows": len(lines), "replaced": replaced, "scopes": scopes},
        client=client,
    )
    return BudgetImportResult(record.id, len(lines), replaced, scopes)


def budget_lines(
    session: Session, principal: Principal, fiscal_year: int | None = None
) -> list[BudgetLine]:
    """The imported lines the principal may see (a ward its own; the joint centre all)."""
    wards = narrow_to_visible(principal, "finops.costs.read", None)
    stmt = select(BudgetLine).order_by(
        BudgetLine.ward, BudgetLine.fiscal_year, BudgetLine.stage, BudgetLine.line
    )
    if fiscal_year is not None:
        stmt = stmt.where(BudgetLine.fiscal_year == fiscal_year)
    if wards is not None:
        stmt = stmt.where(BudgetLine.ward.in_(wards))
    return list(session.scalars(stmt))
