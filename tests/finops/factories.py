"""FinOps objects for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

from datetime import date

from rengo.core.runtime import Runtime
from rengo.finops.models import Alert, Recommendation
from tests.tenancy import BODIES, factory


@factory("rec_id")
def recommendation(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        rec = Recommendation(key=f"walk:{ward}", kind="idle", ward=ward, title="idle volume",
                             monthly_cost=1000.0, estimated_monthly_saving=900.0)  # fmt: skip
        session.add(rec)
        session.flush()
        return str(rec.id)


@factory("alert_id")
def alert(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        item = Alert(key=f"walk:{ward}", kind="spike", ward=ward, day=date(2026, 11, 1),
                     actual=50_000.0, expected=10_000.0)  # fmt: skip
        session.add(item)
        session.flush()
        return str(item.id)


BODIES["POST /api/v1/finops/recommendations/{rec_id}/status"] = {"status": "accepted"}
BODIES["POST /api/v1/finops/anomalies/{alert_id}/status"] = {"status": "acknowledged"}
