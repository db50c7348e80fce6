"""Demo data: each domain registers a step; ``rengo demo`` runs them in order.

Steps are deterministic (seeded) so that two demo runs produce the same platform, and
everything they write is marked as demo data where the domain has such a mark.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rengo.core.db import Database
from rengo.core.settings import Settings
from rengo.core.storage import DataDir


@dataclass
class DemoContext:
    db: Database
    settings: Settings
    data_dir: DataDir
    now: datetime
    seed: int = 2026
    report: Callable[[str], None] = print
    """Where a step says what it did (the CLI prints it)."""
    shared: dict[str, Any] = field(default_factory=dict)
    """What one step leaves for later ones (e.g. the demo accounts)."""

    def rng(self, step: str) -> random.Random:
        """A generator of its own per step, so that steps do not perturb each other."""
        return random.Random(f"{self.seed}:{step}")


@dataclass(frozen=True, slots=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[DemoContext], None]
    description: str


_steps: dict[str, DemoStep] = {}


def step(
    name: str, order: int, description: str
) -> Callable[[Callable[[DemoContext], None]], Callable[[DemoContext], None]]:
    """Decorator registering a demo step; lower ``order`` runs first."""

    def register(func: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        _steps[name] = DemoStep(name, order, func, description)
        return func

    return register


def steps() -> list[DemoStep]:
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
