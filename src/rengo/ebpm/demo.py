"""``rengo demo``: logic models in several wards (some approved, some drafts), five years of
resident survey results, training records with realistic gaps — so that measure 3's three
targets compute from records — and the HR roster of the same staff, so that one round of
training reminders goes out (``rengo.ebpm.reminders``, into the notify outbox). Everything
goes through the services (audited) as the wards' demo accounts; a second run finds the
demo's policies and adds nothing."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.clock import FakeClock, to_jst
from rengo.core.demo import DemoContext, step
from rengo.core.demo_accounts import demo_username
from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.wards import Ward, wards
from rengo.ebpm import (
    approvals,
    evaluations,
    indicators,
    policies,
    reminders,
    roster,
    snapshots,
    surveys,
    training,
)
from rengo.ebpm.models import Indicator, Policy
from rengo.ebpm.schemas import ActualCreate, EvaluationCreate, IndicatorPatch, PolicyCreate
from rengo.ebpm.zone import demo as _zone_demo  # noqa: F401 - registers the zone's demo
from rengo.targets.registry import fiscal_year_start

DEMO_WARDS = ("setagaya", "nerima", "adachi", "chiyoda", "shinagawa", "suginami")
DEPARTMENTS = ("政策経営部", "子ども家庭部", "保健福祉部", "危機管理部", "総務部", "区民部")
# Baseline and yearly change of the file-sourced key outcomes, by indicator name.
TRAJECTORIES = {"待機児童率": (4.0, -0.35), "要介護認定率": (19.8, -0.12), "健康寿命": (81.6, 0.15)}
# Made-up names for the demo roster (common surnames and given names, space-separated).
SURNAMES = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 松本 井上"
GIVEN_NAMES = "翔太 蓮 大輔 健一 直樹 拓也 陽介 誠 美咲 陽子 恵 由美 彩 千尋 葵 結衣 智子"
NO_MAILBOX = 0.02
"""Share of the roster without an e-mail address (staff without a mailbox of their own)."""
SURVEY_QUESTIONS = {"子育て環境の満足度": 48.0, "家庭の備蓄": 38.0}
APPROVED_STEPS = (
    (Role.POLICY, "submit"),
    (Role.DEPT_HEAD, "approve_dept"),
    (Role.BUDGET, "approve_budget"),
)


def _as(ward: Ward, role: Role) -> Principal:
    return Principal(ward.code, role, username=demo_username(ward.slug, role))


def _policy(
    session: Session,
    ward: Ward,
    template: str,
    title: str,
    department: str,
    fiscal_year: int,
    *,
    is_new: bool,
    budget: int,
) -> Policy:
    return policies.create_policy(
        session,
        _as(ward, Role.POLICY),
        PolicyCreate(
            title=title,
            department=department,
            fiscal_year=fiscal_year,
            is_new=is_new,
            budget_line=f"{title}事業費",
            budget_yen=budget,
            template=template,
        ),
        origin="demo",
    )


def _approve(session: Session, ward: Ward, policy: Policy, steps: int = 3) -> None:
    for role, action in APPROVED_STEPS[:steps]:
        approvals.transition(session, _as(ward, role), policy.id, action, "デモ")


def _set_baselines(session: Session, ward: Ward, policy: Policy, first_year: int) -> None:
    for indicator in session.scalars(select(Indicator).where(Indicator.policy_id == policy.id)):
        if not indicator.key_outcome:
            continue
        if indicator.source == "survey" and indicator.survey_question:
            baseline = SURVEY_QUESTIONS[indicator.survey_question]
        elif indicator.name in TRAJECTORIES:
            baseline = TRAJECTORIES[indicator.name][0]
        else:
            continue
        indicators.update_indicator(
            session,
            _as(ward, Role.POLICY),
            indicator.id,
            IndicatorPatch(baseline=baseline, baseline_date=date(first_year, 3, 31)).model_dump(
                exclude_unset=True
            ),
        )


def _record_actuals(
    session: Session, ward: Ward, policy: Policy, years: range, rng: random.Random
) -> None:
    for indicator in session.scalars(select(Indicator).where(Indicator.policy_id == policy.id)):
        if indicator.source != "file" or indicator.name not in TRAJECTORIES:
            continue
        base, step_ = TRAJECTORIES[indicator.name]
        for i, year in enumerate(years, start=1):
            value = round(base + step_ * i * rng.uniform(0.6, 1.4), 2)
            indicators.record_actual(
                session,
                _as(ward, Role.POLICY),
                indicator.id,
                ActualCreate(period_end=date(year + 1, 3, 31), value=value, note="デモ"),
            )


def _survey_csv(this_year: int, rng: random.Random) -> bytes:
    lines = ["年度,区,設問,回答,割合,回答者数,肯定的"]
    for slug in DEMO_WARDS:
        ward = next(w for w in wards() if w.slug == slug)
        for question, start in SURVEY_QUESTIONS.items():
            for k, year in enumerate(range(this_year - 5, this_year)):
                positive = round(start + k * rng.uniform(1.0, 2.8), 1)
                strong = round(positive * 0.45, 1)
                n = rng.randint(700, 1400)
                rest = round(100 - positive, 1)
                lines += [
                    f"{year},{ward.code},{question},満足,{strong},{n},はい",
                    f"{year},{ward.code},{question},やや満足,"
                    f"{round(positive - strong, 1)},{n},はい",
                    f"{year},{ward.code},{question},不満・やや不満,{rest},{n},いいえ",
                ]
    return ("\n".join(lines) + "\n").encode()


def _roster_line(ward: Ward, department: str, staff_id: str, rng: random.Random) -> str:
    """One member of staff as HR's roster lists them: a made-up name and an address under
    the reserved ``example.lg.jp`` (never a real one); a few have no mailbox."""
    name = f"{rng.choice(SURNAMES.split())} {rng.choice(GIVEN_NAMES.split())}"
    email = "" if rng.random() < NO_MAILBOX else f"staff{staff_id}@{ward.slug}.example.lg.jp"
    return f"{staff_id},{ward.code},{department},{name},{email}"


def _training(session: Session, ctx: DemoContext, rng: random.Random) -> tuple[int, int, int]:
    """Staff counts, completions and the roster of the same people (the ones with gaps
    included); the departments, completions and roster members imported."""
    today = to_jst(ctx.now).date()
    names = ctx.rng("ebpm-roster")  # its own generator: the completions stay as they were
    staff_lines = ["区,所属,職員数,基準日"]
    done_lines = ["職員番号,区,所属,研修コード,修了日"]
    roster_lines = ["職員番号,区,所属,氏名,メール"]
    for ward in wards():
        reach = rng.uniform(0.55, 0.97)  # realistic gaps: no ward has everyone trained yet
        for d, department in enumerate(DEPARTMENTS):
            staff = rng.randint(25, 90)
            staff_lines.append(f"{ward.code},{department},{staff},{today.year}-04-01")
            for s in range(staff):
                staff_id = f"{ward.code[-3:]}{d}{s:03d}"
                roster_lines.append(_roster_line(ward, department, staff_id, names))
                if rng.random() < reach:
                    day = date.fromordinal(today.toordinal() - rng.randint(5, 400))
                    done_lines.append(f"{staff_id},{ward.code},{department},DL-BASIC,{day}")
                if department == "政策経営部" and rng.random() < reach * 0.7:
                    day = date.fromordinal(today.toordinal() - rng.randint(5, 400))
                    done_lines.append(f"{staff_id},{ward.code},{department},DL-LOGIC,{day}")
    counts = training.import_staff_counts(
        session, SYSTEM, "\n".join(staff_lines).encode(), filename="demo-staff.csv"
    )
    result = training.import_completions(
        session, SYSTEM, "\n".join(done_lines).encode(), filename="demo-hr.csv"
    )
    members = roster.import_roster(
        session,
        SYSTEM,
        "\n".join(roster_lines).encode(),
        FakeClock(ctx.now),
        filename="demo-roster.csv",
    )
    return counts, result.created, members.created


def _remind(session: Session, ctx: DemoContext) -> reminders.ReminderRun:
    """One round of reminders, asked for by each ward's HR (as on the training page)."""
    sent = recently = no_email = 0
    for ward in wards():
        run = reminders.remind_now(session, _as(ward, Role.HR), ctx.settings, ctx.now)
        sent, recently = sent + run.sent, recently + run.recently_reminded
        no_email += run.without_email
    return reminders.ReminderRun(sent, recently, no_email)


@step("ebpm", 60, "EBPM: logic models in six wards, surveys, training, a roster and its reminders")
def ebpm_demo(ctx: DemoContext) -> None:
    rng = ctx.rng("ebpm")
    fiscal_year = fiscal_year_start(ctx.now).year
    with ctx.db.session() as session:
        if session.scalar(select(Policy.id).where(Policy.origin == "demo").limit(1)):
            ctx.report("ebpm: demo policies exist already")
            return
        made = approved = 0
        live: list[Indicator] = []
        for index, slug in enumerate(DEMO_WARDS):
            ward = next(w for w in wards() if w.slug == slug)
            draft: Policy | None = None
            # A continuing policy approved years ago: its key outcomes have five years of data.
            for template, title, department in (
                ("childcare", "保育所待機児童解消", "子ども家庭部"),
                ("elderly", "介護予防・通いの場", "保健福祉部"),
            ):
                p = _policy(
                    session,
                    ward,
                    template,
                    title,
                    department,
                    fiscal_year - 4,
                    is_new=False,
                    budget=rng.randint(50, 400) * 1_000_000,
                )
                _set_baselines(session, ward, p, fiscal_year - 4)
                _approve(session, ward, p)
                _record_actuals(session, ward, p, range(fiscal_year - 4, fiscal_year), rng)
                made, approved = made + 1, approved + 1
            # This year's new policies: some approved with a plan, some still in the flow.
            for k, (template, title, department) in enumerate(
                (
                    ("disaster", "地域防災力の強化", "危機管理部"),
                    ("childcare", "子育て世帯の相談支援", "子ども家庭部"),
                    ("elderly", "高齢者のデジタル活用支援", "保健福祉部"),
                )
            ):
                p = _policy(
                    session,
                    ward,
                    template,
                    title,
                    department,
                    fiscal_year,
                    is_new=True,
                    budget=rng.randint(5, 120) * 1_000_000,
                )
                made += 1
                stage = (index + k) % 4  # 0 draft, 1 submitted, 2 approved, 3 approved + plan
                if stage == 0:
                    draft = p
                if stage >= 1:
                    _approve(session, ward, p, steps=1 if stage == 1 else 3)
                if stage >= 2:
                    approved += 1
                if stage == 3:
                    evaluations.create_plan(
                        session,
                        _as(ward, Role.POLICY),
                        p.id,
                        EvaluationCreate(
                            design="did",
                            comparison_group="施策を実施していない近隣区",
                            timing=f"{fiscal_year + 2}年度末",
                        ),
                    )
            if slug == "setagaya" and draft is not None:  # a draft's indicator: a live target
                first = session.scalar(
                    select(Indicator).where(Indicator.policy_id == draft.id).limit(1)
                )
                if first is not None and draft.status == "draft":
                    indicators.update_indicator(
                        session,
                        _as(ward, Role.POLICY),
                        first.id,
                        {"source": "metric", "metric_target": "m3.kpi.staff_trained"},
                    )
                    live.append(first)
        result = surveys.import_surveys(
            session, SYSTEM, _survey_csv(fiscal_year, rng), ctx.settings, filename="demo-survey.csv"
        )
        departments, completions, members = _training(session, ctx, rng)
        reminded = _remind(session, ctx)
        # the live indicator's actual of this quarter, stored as the worker would
        snapshots.take(session, ctx.settings, ctx.data_dir, ctx.now, live)
    ctx.report(
        f"ebpm: {made} policies ({approved} approved), {result.questions} survey results, "
        f"{completions} training completions in {departments} departments, "
        f"{members} staff on the roster, {reminded.sent} reminded "
        f"({reminded.without_email} without an e-mail address)"
    )
