"""An approved release feeds an EBPM evaluation as a DataFrame: only approved releases,
only to those who may read releases of the ward, and every use audited."""

from __future__ import annotations

import pyarrow as pa
import pytest

from rengo.core import audit
from rengo.core.errors import NotFound
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.feeds import USE_ACTION, released_table
from rengo.ebpm.zone.models import ZoneRelease
from tests.ebpm.zone.factories import _zone_objects
from tests.helpers import WARD_A, WARD_B

POLICY_A = Principal(WARD_A, Role.POLICY, username="policy-a")
POLICY_B = Principal(WARD_B, Role.POLICY, username="policy-b")
OWNER_A = Principal(WARD_A, Role.DATA_OWNER, username="owner-a")


def _release(env: Runtime, status: str) -> int:
    linkage_id = _zone_objects(env, WARD_A)["linkage_id"]
    zone = Zone.of(env)
    with env.db.session() as session:
        linkage = session.get(ZoneRelease, _zone_objects(env, WARD_A)["release_id"])
        assert linkage is not None
        release = ZoneRelease(
            ward=WARD_A,
            purpose_id=linkage.purpose_id,
            linkage_id=linkage_id,
            title="介護度と受診",
            rules={},
            report={"k_achieved": 6, "l_achieved": 2},
            rows=3,
            sha256="",
            status=status,
            requested_by="analyst-a",
            decision_note="",
        )
        session.add(release)
        session.flush()
        zone.seal_table(
            "release",
            release.id,
            pa.table(
                {
                    "年齢": ["70-79", "80-89", None],
                    "要介護度": ["要介護1", "要介護3", "要支援2"],
                }
            ),
        )
        return release.id


def test_an_approved_release_is_a_dataframe_and_its_use_is_audited(env: Runtime) -> None:
    release_id = _release(env, "approved")
    with env.db.session() as session:
        frame = released_table(session, Zone.of(env), POLICY_A, release_id, evaluation_id=42)
    assert list(frame.columns) == ["年齢", "要介護度"]
    assert frame["要介護度"].tolist() == ["要介護1", "要介護3", "要支援2"]
    assert frame["年齢"].isna().tolist() == [False, False, True]
    assert frame.attrs == {
        "release_id": release_id,
        "ward": WARD_A,
        "title": "介護度と受診",
        "k": 6,
        "l_diversity": 2,
    }
    with env.db.session() as session:
        events = audit.query(session, tenants=None, action=USE_ACTION, object_id=str(release_id))
    assert len(events) == 1
    assert events[0].actor_tenant == WARD_A and events[0].detail == {
        "evaluation": 42,
        "rows": 3,
    }


@pytest.mark.parametrize(
    ("status", "principal"),
    [
        ("pending", POLICY_A),
        ("rejected", POLICY_A),
        ("approved", POLICY_B),  # another ward's release is not there for them
        ("approved", OWNER_A),  # a data owner reads metadata, never released data
    ],
)
def test_nothing_else_leaves(env: Runtime, status: str, principal: Principal) -> None:
    release_id = _release(env, status)
    with env.db.session() as session, pytest.raises(NotFound):
        released_table(session, Zone.of(env), principal, release_id)
    with env.db.session() as session:
        assert not audit.query(session, tenants=None, action=USE_ACTION)


def test_a_missing_release_is_not_found(env: Runtime) -> None:
    with env.db.session() as session, pytest.raises(NotFound):
        released_table(session, Zone.of(env), POLICY_A, 999_999)
