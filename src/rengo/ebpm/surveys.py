"""Resident survey results (住民意識調査): yearly uploads of answer shares per question and
ward, with sample sizes; the share of favourable answers and its margin of error feed
the KGI indicators that follow a survey question.

A file has one row per answer: year (年度), ward, question (設問), answer (回答),
share in percent (割合), sample size (回答者数) and whether the answer is favourable
(肯定的). Shares of a question must add up to 100 (±1.5 for rounding). All or nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from scipy.stats import norm
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import ProblemList
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.ebpm.indicators import sync_survey_actuals
from rengo.ebpm.models import Indicator, SurveyResult
from rengo.ebpm.settings import EbpmSettings
from rengo.ebpm.tables import Row, number, read_table, ward_of

COLUMNS = {
    "year": ("年度", "調査年度"),
    "ward": ("区", "区コード", "区名"),
    "question": ("設問",),
    "answer": ("回答", "選択肢"),
    "share": ("割合", "割合(%)", "share_pct"),
    "sample_size": ("回答者数", "n"),
    "favourable": ("肯定的", "positive"),
}
_YES = {"1", "yes", "true", "はい", "○", "肯定"}
_NO = {"0", "no", "false", "いいえ", "×", "", "否定"}
SUM_TOLERANCE = 1.5


def margin_of_error(share_pct: float, n: int, confidence: float) -> float:
    """Half-width of the normal-approximation interval of a share, in points."""
    p = share_pct / 100
    z = float(norm.ppf(0.5 + confidence / 2))
    return round(100 * z * math.sqrt(max(p * (1 - p), 0.0) / n), 2)


@dataclass(frozen=True, slots=True)
class SurveyImport:
    questions: int
    rows: int
    indicators_updated: int


def _ward(row: Row, principal: Principal, problems: ProblemList) -> str | None:
    ward = ward_of(row, principal, problems)
    if ward == JOINT:
        problems.add("a survey result belongs to a ward", row.where("ward"))
        return None
    return ward


def import_surveys(
    session: Session,
    principal: Principal,
    data: bytes,
    settings: Settings,
    *,
    filename: str = "survey.csv",
    client: str = "",
) -> SurveyImport:
    require(principal, "ebpm.surveys.import")
    rows = read_table(data, filename, COLUMNS, set(COLUMNS))
    problems = ProblemList()
    groups: dict[tuple[str, int, str], list[tuple[Row, float, int, bool]]] = defaultdict(list)
    for row in rows:
        ward = _ward(row, principal, problems)
        year = number(row, "year", problems, integer=True)
        share = number(row, "share", problems)
        n = number(row, "sample_size", problems, integer=True)
        favourable = row.cells["favourable"].lower()
        if favourable not in _YES | _NO:
            problems.add("{value!r} is not yes/no", row.where("favourable"), {"value": favourable})
        if not row.cells["question"]:
            problems.add("empty", row.where("question"))
        if share is not None and not 0 <= share <= 100:
            problems.add("a share between 0 and 100", row.where("share"))
        if n is not None and n < 1:
            problems.add("at least one respondent", row.where("sample_size"))
        if year is not None and not 1950 <= year <= 2100:
            problems.add("a year between 1950 and 2100", row.where("year"))
        if ward is not None and year is not None and share is not None and n is not None:
            groups[(ward, int(year), row.cells["question"])].append(
                (row, share, int(n), favourable in _YES)
            )
    for (_ward_code, _year, _question), answers in groups.items():
        total = sum(a[1] for a in answers)
        first = answers[0][0]
        if abs(total - 100) > SUM_TOLERANCE:
            problems.add(
                "shares of this question add up to {total}, not 100",
                f"{filename}:{first.line}-{answers[-1][0].line} (share)",
                {"total": round(total, 2)},
            )
        if len({a[2] for a in answers}) > 1:
            problems.add("one question, one sample size", first.where("sample_size"))
    problems.raise_if_any("the survey file has errors; nothing was imported")
    confidence = settings.section(EbpmSettings).survey_confidence
    touched: set[tuple[str, str]] = set()
    for (ward, year, question), answers in groups.items():
        positive = round(sum(a[1] for a in answers if a[3]), 2)
        n = answers[0][2]
        existing = session.scalar(
            select(SurveyResult).where(
                SurveyResult.tenant == ward,
                SurveyResult.year == year,
                SurveyResult.question == question,
            )
        )
        result = existing or SurveyResult(tenant=ward, year=year, question=question)
        result.shares = {a[0].cells["answer"]: a[1] for a in answers}
        result.positive_pct = positive
        result.sample_size = n
        result.margin_pct = margin_of_error(positive, n, confidence)
        result.source_file = filename[:200]
        session.add(result)
        touched.add((ward, question))
    session.flush()
    updated = 0
    for ward, question in touched:
        for indicator in session.scalars(
            select(Indicator).where(
                Indicator.tenant == ward,
                Indicator.source == "survey",
                Indicator.survey_question == question,
            )
        ):
            sync_survey_actuals(session, indicator)
            updated += 1
    audit.record(
        session,
        principal,
        "ebpm.survey.import",
        object_type="ebpm_survey",
        object_id=filename[:128],
        object_tenant=None if principal.is_joint else principal.tenant,
        detail={"questions": len(groups), "rows": len(rows), "indicators": updated},
        client=client,
    )
    return SurveyImport(len(groups), len(rows), updated)


def survey_results(
    session: Session, principal: Principal, ward: TenantCode | None = None
) -> list[SurveyResult]:
    tenants = narrow_to_visible(principal, "ebpm.surveys.read", ward or None)
    stmt = select(SurveyResult)
    if tenants is not None:
        stmt = stmt.where(SurveyResult.tenant.in_(tenants))
    return list(
        session.scalars(
            stmt.order_by(SurveyResult.question, SurveyResult.tenant, SurveyResult.year)
        )
    )
