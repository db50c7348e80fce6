"""Messaging tests tick the worker by hand on a fake clock."""

from __future__ import annotations

import pytest

from rengo.core.runtime import Runtime
from tests.notify.fixtures import with_fake_clock


@pytest.fixture
def env(env: Runtime) -> Runtime:
    return with_fake_clock(env)
