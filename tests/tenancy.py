"""What the tenancy walk needs to know about each API route (see web/test_tenancy_walk.py).

A domain that adds an ``/api/v1`` route with a path parameter registers, in
``tests/<domain>/factories.py``:

- ``@factory("param_name")`` — a function ``(runtime, ward) -> str`` that creates a real
  object of ``ward`` and returns the value for that path parameter;
- ``BODIES["METHOD /api/v1/path/{param}"] = {...}`` — a valid body, for routes whose body
  must validate before the object is looked up;
- ``GLOBAL_ROUTES["METHOD /api/v1/path"] = "why"`` — routes that are not ward data;
- ``LISTS_WITHOUT_WARD_DATA["GET /api/v1/path"] = "why"`` — list routes whose answer
  carries no ward field even for the ward itself (the walk cannot tell a leak there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rengo.core.runtime import Runtime

Factory = Callable[[Runtime, str], str]
FACTORIES: dict[str, Factory] = {}
BODIES: dict[str, Any] = {}
GLOBAL_ROUTES: dict[str, str] = {}
LISTS_WITHOUT_WARD_DATA: dict[str, str] = {}


def factory(param: str) -> Callable[[Factory], Factory]:
    def register(func: Factory) -> Factory:
        FACTORIES[param] = func
        return func

    return register


def load_factories() -> None:
    """Import every ``tests/**/factories.py``, so that FACTORIES and BODIES are the same in
    every test process: a worker that had imported fewer would walk, or fuzz, with fewer
    (and the derandomised fuzz would take another path)."""
    import importlib
    import pkgutil

    import tests

    for info in pkgutil.walk_packages(tests.__path__, "tests."):
        if info.name.endswith(".factories"):
            importlib.import_module(info.name)
