"""The staff roster from the HR system: who works in which ward and department, and at
which e-mail address a training reminder reaches them.

One row per member of staff: 職員番号, 区, 所属, 氏名 (optional), メール (optional);
UTF-8 or cp932, or Excel; all or nothing. A second import updates the people it names.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.clock import Clock
from rengo.core.errors import ProblemList
from rengo.core.permissions import Principal, require
from rengo.core.tables import read_table
from rengo.ebpm.models import StaffMember
from rengo.ebpm.training import ImportResult, staff_ward

ROSTER_COLUMNS = {
    "staff_id": ("職員番号", "職員ID"),
    "ward": ("区", "区コード", "区名"),
    "department": ("所属", "部署"),
    "name": ("氏名", "名前"),
    "email": ("メール", "メールアドレス", "e-mail", "mail"),
}


def _email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and " " not in text and len(text) <= 256)


def import_roster(
    session: Session,
    principal: Principal,
    data: bytes,
    clock: Clock,
    *,
    filename: str = "roster.csv",
    client: str = "",
) -> ImportResult:
    require(principal, "ebpm.training.write")
    rows = read_table(data, filename, ROSTER_COLUMNS, {"staff_id", "ward"})
    problems = ProblemList()
    parsed: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        ward = staff_ward(row, principal, problems)
        staff = row.cells["staff_id"]
        if not staff or len(staff) > 64:
            problems.add("a staff number of 1–64 characters", row.where("staff_id"))
        email = row.cells.get("email", "")
        if email and not _email(email):
            problems.add("{value!r} is not an e-mail address", row.where("email"), {"value": email})
        if ward and staff and len(staff) <= 64:
            parsed[(ward, staff)] = {
                "department": row.cells.get("department", "")[:128],
                "name": row.cells.get("name", "")[:128],
                "email": email,
            }
    problems.raise_if_any("the roster has errors; nothing was imported")
    wards = {ward for ward, _staff in parsed}
    existing = {
        (m.tenant, m.staff_id): m
        for m in session.scalars(select(StaffMember).where(StaffMember.tenant.in_(wards)))
    }
    now = clock.now()
    created = 0
    for (ward, staff), fields in parsed.items():
        member = existing.get((ward, staff))
        if member is None:
            member = StaffMember(tenant=ward, staff_id=staff)
            session.add(member)
            created += 1
        member.department, member.name, member.email = (
            fields["department"],
            fields["name"],
            fields["email"],
        )
        member.updated_at = now
    session.flush()
    audit.record(
        session,
        principal,
        "ebpm.roster.import",
        object_type="ebpm_staff",
        object_id=filename[:128],
        object_tenant=None if principal.is_joint else principal.tenant,
        detail={"created": created, "updated": len(parsed) - created},
        client=client,
    )
    return ImportResult(created, len(parsed) - created)
