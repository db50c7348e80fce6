"""FinOps objects of a ward for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

from datetime import date

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.finops import service
from rengo.finops.allocation import Rule
from rengo.finops.models import Alert, Recommendation
from tests.tenancy import BODIES, LISTS_WITHOUT_WARD_DATA, factory


@factory("rec_id")
def recommendation(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        rec = Recommendation(
            key=f"idle:walk:{ward}",
            kind="idle",
            ward=ward,
            resource_id=f"aws:{ward}:vol-walk",
            title="Idle resource",
            monthly_cost=30_000,
            estimated_monthly_saving=30_000,
        )
        session.add(rec)
        session.flush()
        return str(rec.id)


@factory("alert_id")
def alert(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        row = Alert(
            key=f"spike:walk:{ward}",
            kind="spike",
            ward=ward,
            day=date(2025, 9, 1),
            actual=90_000,
            expected=10_000,
        )
        session.add(row)
        session.flush()
        return str(row.id)


@factory("rule_id")
def rule(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        row = service.add_rule(session, SYSTEM, Rule(0, 50, "sub_account", f"{ward}-*", ward=ward))
        return str(row.id)


@factory("pool_id")
def pool(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        row = service.add_pool(session, SYSTEM, f"walk-{ward}", "even", [ward, "131032"])
        return str(row.id)


BODIES["POST /api/v1/finops/recommendations/{rec_id}/status"] = {"status": "accepted"}
BODIES["POST /api/v1/finops/anomalies/{alert_id}/status"] = {"status": "acknowledged"}

# List routes whose answer has no ward field even for the ward itself (tenancy walk).
LISTS_WITHOUT_WARD_DATA.update(
    {
        "GET /api/v1/finops/costs": "needs a FOCUS lake; narrowing: tests/finops/test_api.py",
        "GET /api/v1/finops/costs.csv": "needs a FOCUS lake; narrowing: tests/finops/test_api.py",
        "GET /api/v1/finops/rows": "needs a FOCUS lake; narrowing: tests/finops/test_api.py",
        "GET /api/v1/finops/rules": "allocation rules: the joint centre's configuration",
        "GET /api/v1/finops/pools": "shared cost pools: the joint centre's configuration",
    }
)


@factory("dispatch_id")
def _bpr_dispatch(env: Runtime, ward: str) -> str:
    """A ward's request to the BPR support team: other wards must not see it."""
    from rengo.core.permissions import Principal, Role
    from rengo.finops import bpr_dispatch

    with env.db.session() as session:
        dispatch = bpr_dispatch.request(
            session,
            Principal(tenant=ward, role=Role.WARD_IT),
            bpr_dispatch.DispatchIn(topic="walk request"),
            env.clock.now(),
        )
        return str(dispatch.id)


BODIES["POST /api/v1/finops/bpr/dispatches/{dispatch_id}/assign"] = {"experts": ["walk"]}
BODIES["POST /api/v1/finops/bpr/dispatches/{dispatch_id}/visits"] = {
    "visited_on": "2026-11-10",
    "expert": "walk",
    "hours": 1,
}
BODIES["POST /api/v1/finops/bpr/dispatches/{dispatch_id}/close"] = {"outcome": "walk"}


@factory("budget_import_id")
def budget_lines(runtime: Runtime, ward: str) -> str:
    """A ward's imported budget line (listed by GET /api/v1/finops/budget/lines)."""
    from rengo.finops import budget_import

    data = (
        f"団体コード,年度,予算決算区分,対象,業務,経費区分,金額\n{ward},2025,予算,現行,戸籍,保守,1\n"
    )
    with runtime.db.session() as session:
        result = budget_import.import_budget(session, SYSTEM, data.encode(), filename="walk.csv")
        return str(result.import_id)


@factory("saving_id")
def saving(runtime: Runtime, ward: str) -> str:
    """A saving recorded outside rengo (listed by GET /api/v1/finops/savings)."""
    from rengo.finops import optimisation

    with runtime.db.session() as session:
        row = optimisation.record_saving(
            session,
            SYSTEM,
            ward=ward,
            kind="contract",
            realised_on=date(2025, 9, 1),
            annual_saving=1000,
            evidence="walk contract",
        )
        return str(row.id)


BODIES["POST /api/v1/finops/architecture/{asset_id}/reviews"] = {"decision": "accepted"}
