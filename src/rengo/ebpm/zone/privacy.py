"""Differentially private counts (OpenDP), optional per count-table release.

The analyst chooses ε, capped by ``ebpm_zone.max_epsilon``. Each cell of the table
receives discrete Laplace noise of scale 1/ε: adding or removing one person changes one
cell by one (the linkage keeps one row per person), so the L1 sensitivity is 1 and the
release is ε-differentially private (OpenDP's privacy map is checked, not assumed).
Negative noisy counts become 0 and totals are summed from the noisy cells — both are
post-processing and cost no privacy.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from rengo.core.errors import InvalidInput, Problem

MECHANISM = "discrete Laplace (OpenDP make_laplace)"
SENSITIVITY = 1


def noisy_counts(
    counts: Sequence[int], epsilon: float, *, maximum: float
) -> tuple[list[int], dict[str, Any]]:
    """``counts`` with ε-differentially private noise, and what the report records."""
    if not 0 < epsilon <= maximum:
        raise InvalidInput(
            "epsilon out of range",
            [Problem("from above 0 to {maximum}", "field table.epsilon", {"maximum": maximum})],
        )
    import opendp.prelude as dp

    dp.enable_features("contrib")
    scale = SENSITIVITY / epsilon
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
    )
    spent = float(measurement.map(SENSITIVITY))  # type: ignore[no-untyped-call]
    if spent > epsilon * (1 + 1e-9):
        raise InvalidInput(
            "epsilon out of range",
            [Problem("OpenDP spends {spent}", "field table.epsilon", {"spent": spent})],
        )
    noisy = [max(0, int(n)) for n in measurement([int(c) for c in counts])]
    return noisy, {
        "mechanism": MECHANISM,
        "library": f"OpenDP {version('opendp')}",
        "epsilon": epsilon,
        "epsilon_spent": spent,
        "scale": scale,
        "sensitivity": SENSITIVITY,
        "unit": "one person added or removed",
    }
