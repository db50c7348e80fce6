"""The open-data API's routes for the tenancy walk: the catalogue is public by design."""

from tests.tenancy import GLOBAL_ROUTES

GLOBAL_ROUTES["GET /api/v1/opendata/types"] = "reference data: the standard types"
GLOBAL_ROUTES["GET /api/v1/opendata/types/{type_key}"] = "reference data: one Table Schema"
GLOBAL_ROUTES["POST /api/v1/opendata/validate"] = "validates an upload; stores nothing"
GLOBAL_ROUTES["GET /api/v1/opendata/datasets/{dataset_ref}/history"] = (
    "the public catalogue: published datasets are everyone's to read"
)
