"""The scenario JSON Schema in docs is the model's (regenerate with ``rengo drills schema``)."""

from __future__ import annotations

import json

from rengo.drills.scenario import Scenario
from tests.helpers import ROOT


def test_the_documented_json_schema_is_the_models() -> None:
    documented = json.loads((ROOT / "docs" / "drills-scenario.schema.json").read_text("utf-8"))
    assert documented == Scenario.model_json_schema()
