"""The after-action report and improvement plan (AAR/IP, HSEEP's shape) in Japanese, as
HTML or PDF through ``rengo.core.reports`` — the pipeline of the CSIRT reports, whose
page frame (``_base.html``) it shares."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.clock import to_jst
from rengo.core.permissions import Principal
from rengo.core.reports import Rendered, render
from rengo.core.wards import tenant_name
from rengo.drills.models import Decision, Draft, Participant
from rengo.drills.service import get_exercise, scenario_of
from rengo.drills.summary import summarise

STATUS_JA = {"met": "達成", "missed": "未達", "pending": "判定中"}
KIND_JA = {
    "detection": "検知",
    "campaign": "複数区相関",
    "incident": "インシデント起票",
    "containment": "封じ込め",
    "decision": "意思決定",
    "draft": "文書作成",
    "advisory": "注意喚起の発出",
    "notification": "区長・関係機関への報告",
}


def _jst(value: datetime | None) -> str:
    return to_jst(value).strftime("%Y年%m月%d日 %H:%M:%S") if value else "—"


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}分"


def _ward(code: str) -> str:
    try:
        return tenant_name(code, "ja")
    except KeyError:
        return code


@cache
def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("rengo.drills", "report_templates"),
                PackageLoader("rengo.csirt", "report_templates"),
            ]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.filters.update(jst=_jst, minutes=_minutes, ward=_ward)
    env.globals.update(status_ja=STATUS_JA, kind_ja=KIND_JA)
    return env


def after_action_report(
    session: Session,
    principal: Principal,
    public_id: str,
    fmt: str,
    *,
    now: datetime,
    client: str = "",
) -> Rendered:
    """The AAR/IP of one exercise (audited as an export)."""
    exercise = get_exercise(session, principal, public_id)
    summary = summarise(session, exercise)
    scenario = scenario_of(exercise)
    participants = {
        p.id: p
        for p in session.scalars(select(Participant).where(Participant.exercise_id == exercise.id))
    }
    decisions = list(
        session.scalars(
            select(Decision).where(Decision.exercise_id == exercise.id).order_by(Decision.at)
        )
    )
    drafts = list(
        session.scalars(select(Draft).where(Draft.exercise_id == exercise.id).order_by(Draft.at))
    )
    context = {
        "exercise": exercise,
        "scenario": scenario,
        "summary": summary,
        "went_well": [r for r in summary.rows if r.status == "met"],
        "gaps": [r for r in summary.rows if r.status != "met"],
        "participants": participants,
        "decisions": decisions,
        "drafts": drafts,
        "classification": "取扱注意",
        "generated_at": _jst(now),
        "generated_by": principal.label,
    }
    audit.record(
        session,
        principal,
        "drills.report.export",
        object_type="drills_exercise",
        object_id=public_id,
        detail={"format": fmt},
        client=client,
        at=now,
    )
    return render(_environment(), "aar.html", context, fmt, f"exercise-report-{public_id}")
