"""Zone objects of a ward for the tenancy walk (imported by tests/ebpm/factories.py): a deposit, a
purpose, a linkage with a review pair, and a release of that ward's linkage zone.

The deposit and purpose go through the service; the linkage (with a sealed one-link
result), review and release rows are written directly, without running Splink — the walk
checks who reaches an object, not how it was made.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.ebpm.zone import deposits
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.models import ZoneLinkage, ZoneRelease, ZoneReview
from tests.tenancy import BODIES, factory

COLUMNS = {"記録番号": {"kind": "link"}, "年齢": {"kind": "quasi", "hierarchy": "age"}}
_made: dict[tuple[int, str], dict[str, int]] = {}


def zone_objects(env: Runtime, ward: str) -> dict[str, int]:
    key = (id(env), ward)
    if key in _made:
        return _made[key]
    owner = Principal(ward, Role.DATA_OWNER, username=f"owner-{ward}")
    officer = Principal(ward, Role.PRIVACY_OFFICER, username=f"officer-{ward}")
    analyst = Principal(ward, Role.ZONE_ANALYST, username=f"analyst-{ward}")
    zone = Zone.of(env)
    with env.db.session() as session:
        deposit = deposits.deposit(
            session,
            zone,
            owner,
            "記録番号,年齢\nA1,70\nA2,81\n".encode(),
            source="walk.csv",
            ward=ward,
            department="walk",
            domain="welfare",
            title="walk deposit",
            legal_basis="walk",
            purpose="walk",
            retention_until=date(2099, 1, 1),
            columns=COLUMNS,
            key_column="記録番号",
            today=date(2026, 1, 1),
        )
        deposits.decide_deposit(
            session, officer, deposit.id, approve=True, note="", now=env.clock.now()
        )
        purpose = deposits.request_purpose(
            session,
            analyst,
            ward=ward,
            title="walk purpose",
            description="",
            legal_basis="walk",
            columns={deposit.id: ["年齢"]},
        )
        deposits.decide_purpose(session, officer, purpose.id, approve=True, now=env.clock.now())
        linkage = ZoneLinkage(
            ward=ward,
            purpose_id=purpose.id,
            left_deposit_id=deposit.id,
            right_deposit_id=deposit.id,
            threshold=0.95,
            review_floor=0.5,
            links=0,
            review=1,
            seconds=0.0,
            model={},
            created_by=analyst.label,
        )
        session.add(linkage)
        session.flush()
        zone.seal_table(
            "links", linkage.id, pa.table({"left": [0], "right": [1], "probability": [0.99]})
        )
        review = ZoneReview(
            linkage_id=linkage.id,
            left_record=0,
            right_record=1,
            probability=0.7,
            decision="pending",
        )
        release = ZoneRelease(
            ward=ward,
            purpose_id=purpose.id,
            linkage_id=linkage.id,
            title="walk release",
            rules={},
            report={},
            rows=1,
            sha256="",
            status="approved",
            requested_by=analyst.label,
            decision_note="",
        )
        session.add_all([review, release])
        session.flush()
        zone.seal_table("release", release.id, pa.table({"年齢": ["70-79"]}))
        made = {
            "deposit_id": deposit.id,
            "purpose_id": purpose.id,
            "linkage_id": linkage.id,
            "review_id": review.id,
            "release_id": release.id,
        }
    _made[key] = made
    return made


for _param in ("deposit_id", "purpose_id", "linkage_id", "review_id", "release_id"):

    def _make(env: Runtime, ward: str, _param: str = _param) -> str:
        return str(zone_objects(env, ward)[_param])

    factory(_param)(_make)

BODIES["POST /api/v1/ebpm/deposits/{deposit_id}/decision"] = {"approve": True}
BODIES["POST /api/v1/ebpm/purposes/{purpose_id}/decision"] = {"approve": True}
BODIES["POST /api/v1/ebpm/releases/{release_id}/decision"] = {"approve": True}
BODIES["POST /api/v1/ebpm/reviews/{review_id}"] = {"decision": "match"}
