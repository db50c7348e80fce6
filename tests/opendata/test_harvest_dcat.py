"""Harvesting a ward portal that publishes DCAT (a local stub serving recorded pages over
HTTP): Hydra paging, incremental and idempotent, added / changed / withdrawn / refused, on
both databases; the round trip through rengo's own ``/catalog.ttl``, ``.jsonld`` and ``.rdf``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from sqlalchemy import select

from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.runtime import Runtime
from rengo.opendata import harvest_dcat, service
from rengo.opendata.models import Dataset, Resource
from rengo.web.app import create_app
from rengo.web.pages import opendata as pages
from tests.conftest import make_settings
from tests.helpers import WARD_A, WARD_B
from tests.opendata.ckan_stub import Stub, package
from tests.opendata.dcat_stub import DcatStub

OFFICER = Principal(tenant=WARD_A, role=Role.OPENDATA, username="chiyoda.od")
REMOTE_BASE = "http://127.0.0.1"


@pytest.fixture
def remote(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, TestClient]]:
    """Another rengo as the ward's own portal (SQLite), whose DCAT pages are recorded."""
    runtime = Runtime.from_settings(make_settings(tmp_path / "remote", sqlite_url))
    with TestClient(create_app(runtime), base_url=REMOTE_BASE) as test_client:
        yield runtime, test_client
    runtime.close()


def _publish(runtime: Runtime, n: int) -> list[str]:
    names = []
    with runtime.db.session() as session:
        for i in range(n):
            fields = {
                "title": f"避難所一覧 {i}",
                "notes": "区の指定避難所と収容人数",
                "tags": ["防災", "避難所"],
                "category": "disaster",
                "frequency": "annual",
                "standard_type": "shelter",
            }
            dataset = service.publish(
                session,
                OFFICER,
                service.parse_fields(fields),
                runtime.settings,
                runtime.data_dir,
                links=[service.Link(f"https://opendata.example.lg.jp/{i}.csv", "CSV", "CSV")],
            )
            names.append(dataset.name)
        session.commit()
    return names


def _record(stub: DcatStub, web: TestClient, fmt: str = "ttl") -> str:
    """Record every page of the remote catalogue; the first page's URL on the stub."""
    page = 1
    while True:
        answer = web.get(f"/catalog.{fmt}", params={"page": page})
        assert answer.status_code == 200
        media = answer.headers["content-type"]
        stub.record(f"/catalog.{fmt}?page={page}", media, answer.text, base=REMOTE_BASE)
        if f"page={page + 1}" not in answer.text:
            return f"{stub.url}/catalog.{fmt}?page=1"
        page += 1


def _harvest(env: Runtime, url: str) -> harvest_dcat.HarvestReport:
    with env.db.session() as session:
        return harvest_dcat.harvest(session, SYSTEM, url, WARD_B, env.settings, env.data_dir)


def test_dcat_round_trip_incremental_idempotent(
    env: Runtime, remote: tuple[Runtime, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, web = remote
    monkeypatch.setattr(pages, "CATALOG_PAGE", 2)  # 3 datasets on 2 Hydra pages
    names = _publish(runtime, 3)
    with DcatStub() as stub:
        url = _record(stub, web)
        first = _harvest(env, url)
        assert len(first.added) == 3 and first.refused == [] and first.withdrawn == []
        assert "/catalog.ttl?page=2" in stub.requests  # followed hydra:nextPage

        again = _harvest(env, url)
        assert again.added == [] and again.changed == [] and again.unchanged == 3

        with runtime.db.session() as session:
            service.update(session, OFFICER, names[0], {"title": "避難所一覧(改訂)"})
            service.set_state(session, OFFICER, names[1], "withdrawn")
            session.commit()
        url = _record(stub, web)
        third = _harvest(env, url)
        assert len(third.changed) == 1 and len(third.withdrawn) == 1 and third.added == []
    with env.db.session() as session:
        local = list(session.scalars(select(Dataset).where(Dataset.tenant == WARD_B)))
        assert len(local) == 3 and {d.origin for d in local} == {"harvest"}
        changed = next(d for d in local if d.title == "避難所一覧(改訂)")
        assert changed.category == "disaster" and changed.frequency == "annual"
        assert changed.standard_type == "shelter" and changed.license_id == "CC-BY-4.0"
        assert set(changed.tags) == {"防災", "避難所"}
        assert changed.notes == "区の指定避難所と収容人数"
        urls = set(session.scalars(select(Resource.url).where(Resource.dataset_id == changed.id)))
        assert urls == {"https://opendata.example.lg.jp/0.csv"}
        assert sum(d.state == "withdrawn" for d in local) == 1


@pytest.mark.parametrize("fmt", ["jsonld", "rdf"])
def test_jsonld_and_rdfxml_read_as_turtle(remote: tuple[Runtime, TestClient], fmt: str) -> None:
    runtime, web = remote
    _publish(runtime, 2)
    turtle = Graph().parse(data=web.get("/catalog.ttl").text, format="turtle")
    other = web.get(f"/catalog.{fmt}")
    with DcatStub() as stub:
        stub.record(f"/catalog.{fmt}", other.headers["content-type"], other.text)
        with httpx.Client() as client:
            graph = harvest_dcat.fetch_page(client, f"{stub.url}/catalog.{fmt}")
    assert harvest_dcat.packages(graph) == harvest_dcat.packages(turtle)
    assert len(harvest_dcat.packages(graph)) == 2


CLOSED = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://ward.example.lg.jp/ds/open> a dcat:Dataset ; dct:identifier "open-1" ;
  dct:title "公園一覧"@ja ; dct:modified "2025-04-01" ;
  dct:license <http://creativecommons.org/licenses/by/4.0> ;
  dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <https://ward.example.lg.jp/p.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ] .
<https://ward.example.lg.jp/ds/closed> a dcat:Dataset ; dct:identifier "closed-1" ;
  dct:title "内部資料"@ja ; dct:license <https://ward.example.lg.jp/terms> .
"""


def test_refused_reported_and_protocol_detected(env: Runtime) -> None:
    with DcatStub() as stub:
        stub.record("/catalog.ttl", "text/turtle", CLOSED)
        stub.record("/broken.ttl", "text/turtle", "this is not turtle <<<")
        report = _harvest(env, f"{stub.url}/catalog.ttl")
        assert [n for n, _ in report.refused] == ["closed"]
        assert "ward.example.lg.jp/terms" in report.refused[0][1]
        assert len(report.added) == 1
        with httpx.Client() as client:
            assert harvest_dcat.detect(f"{stub.url}/catalog.ttl", client) == "dcat"
            assert harvest_dcat.detect(stub.url, client) == "dcat"
            with pytest.raises(harvest_dcat.InvalidInput) as error:
                _harvest(env, f"{stub.url}/broken.ttl")
            assert "broken.ttl" in str(error.value.problems[0])
    with Stub([package(1)]) as ckan, httpx.Client() as client:
        assert harvest_dcat.detect(ckan.url, client) == "ckan"
    with env.db.session() as session:
        added = session.scalar(select(Dataset).where(Dataset.harvest_guid == "open-1"))
        assert added is not None and added.license_id == "CC-BY-4.0"
        assert session.scalar(select(Resource.format).where(Resource.dataset_id == added.id)) == (
            "CSV"
        )
