"""The open-data API's routes for the tenancy walk: the catalogue is public by design."""

from tests.tenancy import GLOBAL_ROUTES

GLOBAL_ROUTES["GET /api/v1/opendata/types"] = "reference data: the standard types"
GLOBAL_ROUTES["GET /api/v1/opendata/types/{type_key}"] = "reference data: one Table Schema"
GLOBAL_ROUTES["POST /api/v1/opendata/validate"] = "validates an upload; stores nothing"
GLOBAL_ROUTES["GET /api/v1/opendata/datasets/{dataset_ref}/history"] = (
    "the public catalogue: published datasets are everyone's to read"
)
for _route in (
    "POST /api/v1/opendata/reuses/{reuse_id}/moderation",
    "POST /api/v1/opendata/contests/{contest_id}/entries",
    "GET /api/v1/opendata/contests/{contest_id}/ranking",
    "POST /api/v1/opendata/contests/{contest_id}/close",
    "PUT /api/v1/opendata/entries/{entry_id}/scores",
    "POST /api/v1/opendata/entries/{entry_id}/award",
    "POST /api/v1/opendata/entries/{entry_id}/support",
    "POST /api/v1/opendata/entries/{entry_id}/launch",
):
    GLOBAL_ROUTES[_route] = "reuses and the contest are joint, not ward data"
GLOBAL_ROUTES["GET /api/v1/opendata/reuses"] = "published reuses are public"
GLOBAL_ROUTES["POST /api/v1/opendata/reuses"] = "anyone may submit a reuse"
GLOBAL_ROUTES["POST /api/v1/opendata/contests"] = "a joint contest edition"
