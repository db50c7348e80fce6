"""A logic model out of rengo: the 政策評価調書 / budget-request attachment as PDF or HTML
(through ``rengo.core.reports``, the same pipeline as the CSIRT reports), and CSV or JSON.
Every export is audited."""

from __future__ import annotations

import io
import json
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from rengo.core import csv_safe
from rengo.core.clock import JST, to_jst
from rengo.core.db import utcnow
from rengo.core.permissions import Principal, require
from rengo.core.reports import Rendered, render
from rengo.core.wards import tenant_name
from rengo.ebpm.diagram import render_svg
from rengo.ebpm.policies import audit_policy, load_model, snapshot, visible_policy
from rengo.ebpm.vocabulary import DIRECTIONS, SOURCES, STAGES, STATUSES, STEPS

ExportFormat = Literal["pdf", "html", "csv", "json"]
DocumentKind = Literal["evaluation", "budget"]
DOCUMENT_TITLES = {"evaluation": "政策評価調書", "budget": "予算要求資料"}
"""What the PDF/HTML is attached to: the policy evaluation sheet or the budget request."""
CSV_COLUMNS = (
    ("stage", "段階"),
    ("element", "要素"),
    ("indicator", "指標"),
    ("definition", "定義"),
    ("unit", "単位"),
    ("direction", "改善の方向"),
    ("baseline", "基準値"),
    ("baseline_date", "基準日"),
    ("target", "目標値"),
    ("source", "データの出所"),
    ("latest", "直近の実績"),
    ("latest_period", "実績の時点"),
)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("rengo.ebpm", "report_templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.globals.update(
        STAGES=STAGES,
        SOURCES=SOURCES,
        DIRECTIONS=DIRECTIONS,
        STATUSES=STATUSES,
        STEPS=STEPS,
        jst=JST,
    )
    return env


def _rows(data: dict[str, Any]) -> list[list[str]]:
    elements = {e["id"]: e for e in data["elements"]}
    rows = []
    for element in data["elements"]:
        measured = [i for i in data["indicators"] if i["element_id"] == element["id"]]
        for indicator in measured or [None]:
            rows.append(_row(element, indicator))
    for indicator in data["indicators"]:
        if indicator["element_id"] not in elements:
            rows.append(_row(None, indicator))
    return rows


def _row(element: dict[str, Any] | None, i: dict[str, Any] | None) -> list[str]:
    stage = STAGES[element["stage"]].ja if element else ""
    if i is None:
        return [stage, element["text"] if element else "", *[""] * 10]
    latest = i["actuals"][-1] if i["actuals"] else None

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return [
        stage,
        element["text"] if element else "",
        i["name"],
        i["definition"],
        i["unit"],
        DIRECTIONS[i["direction"]].ja,
        text(i["baseline"]),
        text(i["baseline_date"]),
        text(i["target"]),
        SOURCES[i["source"]].ja + (f" ({i['metric_target']})" if i["metric_target"] else ""),
        text(latest["value"] if latest else None),
        text(latest["period_end"] if latest else None),
    ]


def export_policy(
    session: Session,
    principal: Principal,
    policy_id: int,
    fmt: ExportFormat,
    *,
    document: DocumentKind = "evaluation",
    client: str = "",
) -> Rendered:
    policy = visible_policy(session, principal, policy_id)
    require(principal, "ebpm.policies.export")
    model = load_model(session, policy)
    data = snapshot(model)
    stem = f"logic-model-{policy.tenant}-{policy.id}-v{policy.version}"
    if fmt in ("pdf", "html") and document == "budget":
        stem += "-budget"
    audit_policy(
        session, principal, "export", policy, client, {"format": fmt, "document": document}
    )
    if fmt == "json":
        content = json.dumps(data, ensure_ascii=False, indent=2).encode()
        return Rendered(f"{stem}.json", "application/json", content)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv_safe.writer(buffer, lineterminator="\r\n")
        writer.writerow([ja for _key, ja in CSV_COLUMNS])
        for row in _rows(data):
            writer.writerow(row)
        return Rendered(
            f"{stem}.csv", "text/csv; charset=utf-8", ("\ufeff" + buffer.getvalue()).encode()
        )
    context = {
        "model": model,
        "policy": policy,
        "ward": tenant_name(policy.tenant, "ja"),
        "svg": render_svg(model, "ja"),
        "document_title": DOCUMENT_TITLES[document],
        "generated_at": to_jst(utcnow()).strftime("%Y年%m月%d日 %H:%M"),
        "generated_by": principal.username or principal.label,
    }
    return render(_environment(), "policy.html", context, fmt, stem)
