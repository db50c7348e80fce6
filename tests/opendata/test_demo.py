"""The open-data demo step: every ward publishes, mistakes are refused and kept, and a
second run adds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from rengo.core.demo import DemoContext
from rengo.core.runtime import Runtime
from rengo.core.wards import ward_codes
from rengo.opendata.demo import demo_opendata
from rengo.opendata.models import Dataset
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_type
from rengo.opendata.validate import validate_file

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_demo_publishes_for_every_ward_and_keeps_refused_uploads(env: Runtime) -> None:
    said: list[str] = []
    ctx = DemoContext(env.db, env.settings, env.data_dir, env.clock.now(), report=said.append)
    demo_opendata(ctx)
    with env.db.session() as session:
        count = session.scalar(select(func.count()).select_from(Dataset))
        tenants = set(session.scalars(select(Dataset.tenant).distinct()))
        types = set(session.scalars(select(Dataset.standard_type).distinct()))
    assert tenants == ward_codes()
    assert types == {
        "aed",
        "shelter",
        "childcare",
        "public_facility",
        "cultural_property",
        "tourist_facility",
    }
    refused = sorted((env.data_dir.files("opendata") / "demo-errors").glob("*.csv"))
    assert refused and count is not None and count > 23 * 3
    kind = next(
        k
        for k in (
            "cultural-property",
            "tourist-facility",
            "public-facility",
            "childcare",
            "shelter",
            "aed",
        )
        if k in refused[0].name
    )
    _loaded, report = validate_file(
        Path(refused[0]), standard_type(kind.replace("-", "_")), OpendataSettings()
    )
    assert report.error_count >= 4
    demo_opendata(ctx)
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Dataset)) == count
