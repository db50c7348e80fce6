"""Objects of the register for the tenancy walk."""

from __future__ import annotations

from rengo.assets import service
from rengo.assets.schemas import AssetCreate
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from tests.helpers import asset_fields
from tests.tenancy import GLOBAL_ROUTES, LISTS_WITHOUT_WARD_DATA, factory


@factory("asset_id")
def asset(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        created = service.create_asset(
            session, Principal(ward, Role.WARD_IT), AssetCreate(**asset_fields()), runtime.settings
        )
        return str(created.id)


GLOBAL_ROUTES["GET /api/v1/targets/{target_id}"] = (
    "targets are aggregates every member of staff sees"
)

# List routes whose answer has no ward field even for the ward itself (tenancy walk).
LISTS_WITHOUT_WARD_DATA.update(
    {
        "GET /api/v1/reference/assets": "the asset form's vocabularies, no ward records",
        "GET /api/v1/targets": "figures keyed by ward code, not a ward field: the walk cannot tell",
    }
)
