"""Fixtures of the SOC tests: a store in a temporary data directory, the shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rengo.core.storage import DataDir
from rengo.soc.service import SocStore
from rengo.soc.settings import SocSettings

REPO = Path(__file__).resolve().parents[2]


def shared_data() -> Path | None:
    """``RENGO_SHARED_DATA``, else ``<repo>/../shared/data``, else ``/work/shared/data``."""
    candidates = [
        os.environ.get("RENGO_SHARED_DATA"),
        REPO.parent / "shared" / "data",
        "/work/shared/data",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture
def evtx_samples() -> Path:
    root = shared_data()
    folder = root / "evtx" / "EVTX-ATTACK-SAMPLES" if root else None
    if folder is None or not folder.is_dir():
        pytest.skip("../shared/data/evtx/EVTX-ATTACK-SAMPLES is absent (set RENGO_SHARED_DATA)")
    return folder


@pytest.fixture
def soc_store(tmp_path: Path) -> Iterator[SocStore]:
    store = SocStore.open(
        DataDir(tmp_path / "data").ensure(), SocSettings(writer_chunk_bytes=1 << 20)
    )
    assert store.writer.acquire()
    yield store
    store.writer.release()


@pytest.fixture(autouse=True)
def _stop_lake_writers() -> Iterator[None]:
    """Stop the writer threads the web API started in this test."""
    yield
    from rengo.soc.service import close_stores

    close_stores()
