"""The domains that make up rengo, and how their parts are found.

A domain is a package ``rengo.<name>``. By convention it may have:

    settings.py      its settings section (``rengo.core.settings.section``)
    models.py        SQLAlchemy tables (imported so that migrations see them)
    permissions.py   ``define(...)`` of its actions
    targets.py       the policy targets it computes (``rengo.targets.registry.register``)
    demo.py          its ``rengo demo`` step (``rengo.core.demo.step``; ``load_demo_steps``)
    notifications.py its worker hooks and page listeners (``rengo.notify.hooks``)
    commands.py      a typer app mounted as ``rengo <name> …``
    migrations/      its Alembic revisions (a branch labelled with the domain name)

Only the top layer (``cli``, ``web``, ``migrations``) calls ``load_domains``.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

DOMAINS = (
    "core",
    "notify",
    "assets",
    "targets",
    "soc",
    "csirt",
    "intel",
    "drills",
    "finops",
    "opendata",
    "ebpm",
)
PARTS = ("settings", "models", "permissions", "targets", "notifications")
"""Imported by ``load_domains``; a domain's ``demo.py`` only by ``load_demo_steps``: the
demo generators pull in numpy/scipy/statsmodels/pandas, which no other command needs
(they doubled the start-up of every ``rengo`` command)."""


def _import_if_present(module: str) -> ModuleType | None:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    return importlib.import_module(module) if spec is not None else None


@cache
def load_domains() -> tuple[str, ...]:
    """Import every domain's registering parts; return the domains present."""
    # Core's tables and demo step live in concept modules rather than models.py/demo.py.
    for module in (
        "rengo.core.tenancy",
        "rengo.core.identity",
        "rengo.core.audit",
        "rengo.core.demo_accounts",
    ):
        importlib.import_module(module)
    present = []
    for domain in DOMAINS:
        if _import_if_present(f"rengo.{domain}") is None:
            continue
        present.append(domain)
        for part in PARTS:
            _import_if_present(f"rengo.{domain}.{part}")
    return tuple(present)


@cache
def load_demo_steps() -> tuple[str, ...]:
    """Import every domain's ``demo.py`` (its ``rengo demo`` steps) after the domains."""
    present = load_domains()
    for domain in present:
        _import_if_present(f"rengo.{domain}.demo")
    return present


def migration_locations() -> list[Path]:
    locations = []
    for domain in load_domains():
        package = importlib.import_module(f"rengo.{domain}")
        folder = Path(package.__file__ or "").parent / "migrations"
        if folder.is_dir():
            locations.append(folder)
    return locations
