"""SOC objects for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

import itertools

from rengo.core.runtime import Runtime
from rengo.soc.alerts import ingest_detections
from tests.soc.detect.alert_helpers import detection
from tests.tenancy import BODIES, GLOBAL_ROUTES, LISTS_WITHOUT_WARD_DATA, factory

_serial = itertools.count()


@factory("public_id")
def alert(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        result = ingest_detections(
            session,
            [detection(ward, rule=f"walk-{next(_serial)}")],
            runtime.settings.detect,
            runtime.clock.now(),
        )
        return result.new_alerts[0]


BODIES["POST /api/v1/soc/alerts/{public_id}/status"] = {"status": "acknowledged"}
BODIES["POST /api/v1/soc/alerts/{public_id}/assign"] = {"assignee": "someone"}
BODIES["POST /api/v1/soc/alerts/{public_id}/suppress"] = {
    "reason": "walk",
    "expires_at": "2099-01-01T00:00:00Z",
}


@factory("suppression_id")
def suppression(runtime: Runtime, ward: str) -> str:
    from datetime import timedelta

    from rengo.core.permissions import Principal, Role
    from rengo.soc.alerts_tuning import suppress

    now = runtime.clock.now()
    with runtime.db.session() as session:
        row = suppress(
            session,
            Principal(ward, Role.WARD_IT),
            reason="walk",
            expires_at=now + timedelta(days=1),
            now=now,
            rule_id="walk-rule",
        )
        return str(row.id)


GLOBAL_ROUTES["PUT /api/v1/soc/rule-settings/{rule_id}"] = (
    "rules are not ward data; the ward in the body is checked (tests/soc/detect/test_alerts.py)"
)

# List routes whose answer has no ward field even for the ward itself (tenancy walk).
LISTS_WITHOUT_WARD_DATA.update(
    {
        "GET /api/v1/soc/events": "needs SOC lake events; narrowing: tests/soc/test_api.py",
        "GET /api/v1/soc/stats": "needs SOC lake events; narrowing: tests/soc/test_api.py",
        "GET /api/v1/soc/rules": "detection rules are shared by every ward",
        "GET /api/v1/soc/rule-settings": "rule settings are the joint centre's configuration",
    }
)
