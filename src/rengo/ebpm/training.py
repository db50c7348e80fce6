"""Data-literacy training: courses, completions (from the HR system's CSV or recorded in
rengo by HR staff) and staff counts per ward and department, the completion rate's
denominator.

The HR file has one row per completion: staff number (職員番号), ward, department (所属),
course code (研修コード), completion date (修了日); UTF-8 or cp932; all or nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem, ProblemList
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, is_tenant
from rengo.ebpm.models import Completion, Course, StaffCount
from rengo.ebpm.tables import Row, number, read_table, ward_of

STANDARD_COURSES = (
    # code, Japanese, English, level, mode, required, audience
    (
        "DL-BASIC",
        "データ活用基礎(データの読み方・グラフ・個人情報の取扱い)",
        "Data literacy basics (reading data, charts, personal information)",
        "basic",
        "elearning",
        True,
        "all",
    ),
    (
        "DL-STAT",
        "統計分析の基礎(政策担当)",
        "Statistics for policy staff",
        "advanced",
        "session",
        False,
        "policy",
    ),
    (
        "DL-LOGIC",
        "ロジックモデルと効果検証(政策担当)",
        "Logic models and evaluation",
        "advanced",
        "session",
        False,
        "policy",
    ),
)
COMPLETION_COLUMNS = {
    "staff_id": ("職員番号", "職員ID"),
    "ward": ("区", "区コード", "区名"),
    "department": ("所属", "部署"),
    "course": ("研修コード", "コース", "course_code"),
    "completed_on": ("修了日", "受講日"),
}
STAFF_COLUMNS = {
    "ward": ("区", "区コード", "区名"),
    "department": ("所属", "部署"),
    "staff": ("職員数",),
    "as_of": ("基準日",),
}


def ensure_courses(session: Session) -> dict[str, Course]:
    """The standard courses exist (idempotent); every course by code."""
    courses = {c.code: c for c in session.scalars(select(Course))}
    for code, ja, en, level, mode, required, audience in STANDARD_COURSES:
        if code not in courses:
            course = Course(
                code=code,
                title_ja=ja,
                title_en=en,
                level=level,
                mode=mode,
                required=required,
                audience=audience,
            )
            session.add(course)
            courses[code] = course
    session.flush()
    return courses


def _day(row: Row, key: str, problems: ProblemList) -> date | None:
    raw = row.cells[key].replace("/", "-").split(" ")[0]
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.add("{value!r} is not a date (YYYY-MM-DD)", row.where(key), {"value": raw})
        return None


def _ward(row: Row, principal: Principal, problems: ProblemList) -> str | None:
    ward = ward_of(row, principal, problems)
    if ward == JOINT:
        problems.add("staff belong to a ward", row.where("ward"))
        return None
    return ward


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


def import_completions(
    session: Session,
    principal: Principal,
    data: bytes,
    *,
    filename: str = "training.csv",
    client: str = "",
) -> ImportResult:
    require(principal, "ebpm.training.write")
    courses = ensure_courses(session)
    rows = read_table(data, filename, COMPLETION_COLUMNS, set(COMPLETION_COLUMNS) - {"department"})
    problems = ProblemList()
    parsed: dict[tuple[str, str, int], tuple[str, date]] = {}
    for row in rows:
        ward = _ward(row, principal, problems)
        course = courses.get(row.cells["course"].upper())
        if course is None:
            problems.add(
                "unknown course {code!r} (known: {known})",
                row.where("course"),
                {"code": row.cells["course"], "known": ", ".join(sorted(courses))},
            )
        staff = row.cells["staff_id"]
        if not staff or len(staff) > 64:
            problems.add("a staff number of 1–64 characters", row.where("staff_id"))
        when = _day(row, "completed_on", problems)
        if ward and course and staff and when:
            parsed[(ward, staff, course.id)] = (row.cells.get("department", "")[:128], when)
    problems.raise_if_any("the training file has errors; nothing was imported")
    created = updated = 0
    wards = {ward for ward, _staff, _course in parsed}
    existing = {
        (c.tenant, c.staff_id, c.course_id): c
        for c in session.scalars(select(Completion).where(Completion.tenant.in_(wards)))
    }  # one query instead of one per row: HR files hold thousands of rows
    fresh = []
    for key, (department, when) in parsed.items():
        found = existing.get(key)
        if found is None:
            ward, staff, course_id = key
            fresh.append(
                {
                    "tenant": ward,
                    "staff_id": staff,
                    "department": department,
                    "course_id": course_id,
                    "completed_on": when,
                    "source": "import",
                }
            )
        else:
            found.department, found.completed_on = department or found.department, when
            updated += 1
    if fresh:  # one multi-row INSERT: an HR file holds tens of thousands of completions
        session.execute(insert(Completion), fresh)
    created = len(fresh)
    session.flush()
    audit.record(
        session,
        principal,
        "ebpm.training.import",
        object_type="ebpm_completions",
        object_id=filename[:128],
        object_tenant=None if principal.is_joint else principal.tenant,
        detail={"created": created, "updated": updated},
        client=client,
    )
    return ImportResult(created, updated)


def record_completion(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode,
    staff_id: str,
    department: str,
    course_code: str,
    completed_on: date,
    client: str = "",
) -> Completion:
    if not is_tenant(ward) or ward == JOINT:
        raise InvalidInput("unknown ward", [Problem("give the code of a ward", "field ward")])
    require(principal, "ebpm.training.write", ward)
    courses = ensure_courses(session)
    course = courses.get(course_code)
    if course is None:
        raise InvalidInput("unknown course", [Problem("not a course code", "field course")])
    completion = session.scalar(
        select(Completion).where(
            Completion.tenant == ward,
            Completion.staff_id == staff_id,
            Completion.course_id == course.id,
        )
    )
    if completion is None:
        completion = Completion(tenant=ward, staff_id=staff_id, course_id=course.id)
        session.add(completion)
    completion.department, completion.completed_on = department, completed_on
    completion.source = "manual"
    session.flush()
    audit.record(
        session,
        principal,
        "ebpm.training.record",
        object_type="ebpm_completion",
        object_id=completion.id,
        object_tenant=ward,
        detail={"course": course_code},
        client=client,
    )
    return completion


def import_staff_counts(
    session: Session,
    principal: Principal,
    data: bytes,
    *,
    filename: str = "staff.csv",
    client: str = "",
) -> int:
    """Staff per ward and department (replacing earlier counts of those departments)."""
    require(principal, "ebpm.training.write")
    rows = read_table(data, filename, STAFF_COLUMNS, set(STAFF_COLUMNS))
    problems = ProblemList()
    parsed: dict[tuple[str, str], tuple[int, date]] = {}
    for row in rows:
        ward = _ward(row, principal, problems)
        staff = number(row, "staff", problems, integer=True)
        when = _day(row, "as_of", problems)
        if staff is not None and staff < 0:
            problems.add("not negative", row.where("staff"))
        if not row.cells["department"]:
            problems.add("empty", row.where("department"))
        if ward and staff is not None and when and row.cells["department"]:
            parsed[(ward, row.cells["department"][:128])] = (int(staff), when)
    problems.raise_if_any("the staff file has errors; nothing was imported")
    for (ward, department), (staff, when) in parsed.items():
        set_staff_count(session, ward, department, staff, when)
    audit.record(
        session,
        principal,
        "ebpm.staff.import",
        object_type="ebpm_staff_counts",
        object_id=filename[:128],
        object_tenant=None if principal.is_joint else principal.tenant,
        detail={"departments": len(parsed)},
        client=client,
    )
    return len(parsed)


def set_staff_count(
    session: Session, ward: TenantCode, department: str, staff: int, as_of: date
) -> None:
    row = session.scalar(
        select(StaffCount).where(StaffCount.tenant == ward, StaffCount.department == department)
    )
    if row is None:
        row = StaffCount(tenant=ward, department=department, staff=staff, as_of=as_of)
        session.add(row)
    row.staff, row.as_of = staff, as_of
    session.flush()


@dataclass(frozen=True, slots=True)
class Rate:
    ward: TenantCode
    department: str
    staff: int
    completed: int

    @property
    def pct(self) -> float | None:
        return round(100 * min(self.completed, self.staff) / self.staff, 1) if self.staff else None


def completion_rates(
    session: Session, course_code: str, tenants: frozenset[TenantCode] | None = None
) -> list[Rate]:
    """Staff and completions of ``course_code`` per ward and department."""
    course = session.scalar(select(Course).where(Course.code == course_code))
    staff_stmt = select(StaffCount.tenant, StaffCount.department, StaffCount.staff)
    done_stmt = (
        select(Completion.tenant, Completion.department, func.count(Completion.id))
        .where(Completion.course_id == (course.id if course else -1))
        .group_by(Completion.tenant, Completion.department)
    )
    if tenants is not None:
        staff_stmt = staff_stmt.where(StaffCount.tenant.in_(tenants))
        done_stmt = done_stmt.where(Completion.tenant.in_(tenants))
    done: dict[tuple[str, str], int] = defaultdict(int)
    for ward, department, count in session.execute(done_stmt):
        done[(ward, department)] += int(count)
    return [
        Rate(ward, department, staff, done.get((ward, department), 0))
        for ward, department, staff in session.execute(
            staff_stmt.order_by(StaffCount.tenant, StaffCount.department)
        )
    ]


def visible_rates(
    session: Session, principal: Principal, course_code: str, ward: TenantCode | None = None
) -> list[Rate]:
    tenants = narrow_to_visible(principal, "ebpm.training.read", ward or None)
    return completion_rates(session, course_code, tenants)


def courses(session: Session) -> list[Course]:
    ensure_courses(session)
    return list(session.scalars(select(Course).order_by(Course.level, Course.code)))
