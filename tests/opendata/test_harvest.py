"""Harvesting a CKAN portal (a local stub over HTTP): paging as ckanext-harvest does,
incremental, idempotent, reporting added / changed / withdrawn / refused (both databases)."""

from __future__ import annotations

from sqlalchemy import func, select

from rengo.assets.models import Asset
from rengo.core import audit
from rengo.core.audit import AuditEvent
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.opendata import harvest, search
from rengo.opendata.models import Dataset, Resource
from tests.helpers import WARD_A
from tests.opendata.ckan_stub import Stub, package


def _run(env: Runtime, url: str, rows: int = 2) -> harvest.HarvestReport:
    with env.db.session() as session:
        return harvest.harvest(session, SYSTEM, url, WARD_A, env.settings, env.data_dir, rows=rows)


def test_incremental_idempotent_harvest(env: Runtime) -> None:
    packages = [package(n) for n in range(1, 6)]
    packages.append(package(6, license_id="other-closed"))
    with Stub(packages) as stub:
        first = _run(env, stub.url)
        assert len(first.added) == 5 and first.changed == [] and first.withdrawn == []
        assert first.refused and first.refused[0][0] == "dataset-00006"
        assert "other-closed" in first.refused[0][1]
        paged = [q for q in stub.requests if q.get("fl") is None]
        assert [q["start"] for q in paged][:3] == [["0"], ["2"], ["4"]]
        assert all(q["sort"] == ["id asc"] for q in paged)

        again = _run(env, stub.url)
        assert again.added == [] and again.changed == [] and again.unchanged >= 1
        last = [q for q in stub.requests if q.get("fl") is None][-1]
        assert last["fq"] == ["metadata_modified:[2025-04-01T00:00:00.000000Z TO *]"]

        packages[0] = package(
            1,
            modified="2025-05-01T00:00:00.000000",
            title="区の統計データ 1(改訂)",
            resources=[
                *packages[0]["resources"],
                {"url": "https://opendata.example.lg.jp/files/1.json", "format": "JSON"},
            ],
        )
        del packages[1]
        third = _run(env, stub.url)
        assert third.changed == ["chiyoda-dataset-00001"]
        assert third.withdrawn == ["chiyoda-dataset-00002"]
    with env.db.session() as session:
        changed = session.scalar(select(Dataset).where(Dataset.name == "chiyoda-dataset-00001"))
        assert changed is not None and changed.title == "区の統計データ 1(改訂)"
        formats = set(
            session.scalars(select(Resource.format).where(Resource.dataset_id == changed.id))
        )
        assert formats == {"CSV", "JSON"}
        found = search.search(session, search.Query(q="人口"))
        assert found.count == 4 and all(d.tenant == WARD_A for d in found.datasets)


def test_one_audit_entry_per_page_and_a_refusal_while_writing_leaves_the_rest(
    env: Runtime,
) -> None:
    # The second maps to the first one's local name: refused while being written, so the
    # page is done again dataset by dataset and the refused one leaves nothing behind.
    packages = [package(1), package(2, name="DATASET-00001"), package(3)]
    with Stub(packages) as stub:
        report = _run(env, stub.url, rows=3)
    assert report.added == ["chiyoda-dataset-00001", "chiyoda-dataset-00003"]
    assert [name for name, _reason in report.refused] == ["DATASET-00001"]
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Dataset)) == 2
        assert session.scalar(select(func.count()).select_from(Asset)) == 2
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["opendata.harvest.page"]
        (page,) = events
        assert page.object_tenant == WARD_A and page.detail["count"] == 4
        touched = sorted((t["action"], t["detail"].get("name", "")) for t in page.detail["touched"])
        assert [action for action, _name in touched] == [
            "asset.create",
            "asset.create",
            "opendata.dataset.create",
            "opendata.dataset.create",
        ]
        assert {name for _action, name in touched[2:]} == set(report.added)
        assert audit.verify_chain(session).intact
