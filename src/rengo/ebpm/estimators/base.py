"""What every estimator takes (a panel: unit, period, value, treated) and returns."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rengo.core.errors import InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class Options:
    confidence: float = 0.95
    bootstrap_below_clusters: int = 30
    bootstrap_replications: int = 999
    seed: int = 2026


@dataclass(frozen=True, slots=True)
class Panel:
    """Observations of one outcome: ``unit`` (a ward or group) × ``period`` (e.g. a year)."""

    units: list[str]
    periods: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    treated: npt.NDArray[np.bool_]
    intervention: float
    """First period under the policy."""

    @classmethod
    def of(cls, rows: Sequence[tuple[str, float, float, bool]], intervention: float) -> Panel:
        return cls(
            [r[0] for r in rows],
            np.array([r[1] for r in rows], dtype=float),
            np.array([r[2] for r in rows], dtype=float),
            np.array([bool(r[3]) for r in rows], dtype=bool),
            float(intervention),
        )

    @property
    def post(self) -> npt.NDArray[np.bool_]:
        return self.periods >= self.intervention

    def treated_units(self) -> list[str]:
        return sorted({u for u, t in zip(self.units, self.treated, strict=True) if t})

    def control_units(self) -> list[str]:
        return sorted(set(self.units) - set(self.treated_units()))


@dataclass(frozen=True, slots=True)
class Estimate:
    method: str
    estimate: float
    ci_low: float | None
    ci_high: float | None
    assumptions: list[tuple[str, str]]
    """Each in English and Japanese."""
    diagnostics: dict[str, Any] = field(default_factory=dict)
    """Named values: test statistics, p-values, counts, weights."""

    def detail(self) -> dict[str, Any]:
        return {
            "assumptions": [en for en, _ja in self.assumptions],
            "assumptions_ja": [ja for _en, ja in self.assumptions],
            "diagnostics": _finite(self.diagnostics),
        }


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None``: JSON (and PostgreSQL's JSONB) has none."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


Estimator = Callable[[Panel, Options], Estimate]
ESTIMATORS: dict[str, Estimator] = {}


def register(key: str) -> Callable[[Estimator], Estimator]:
    def add(func: Estimator) -> Estimator:
        ESTIMATORS[key] = func
        return func

    return add


OBSERVATIONS = "field observations"


def refuse(problem: Problem) -> InvalidInput:
    """Why the data cannot be estimated on (a ``Problem`` so that its message is translated)."""
    return InvalidInput("cannot estimate", [problem])


def estimate(method: str, panel: Panel, options: Options | None = None) -> Estimate:
    if method not in ESTIMATORS:
        raise InvalidInput(
            "unknown method",
            [Problem("one of {methods}", "field method", {"methods": ", ".join(ESTIMATORS)})],
        )
    if not np.all(np.isfinite(panel.values)):
        raise refuse(Problem("every value must be a finite number", OBSERVATIONS))
    try:
        with np.errstate(all="ignore"):
            result = ESTIMATORS[method](panel, options or Options())
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        # Degenerate data (one period, constant values, collinear units) has no estimate.
        raise refuse(Problem("the data leave the estimate undetermined", OBSERVATIONS)) from None
    bounds = [b for b in (result.ci_low, result.ci_high) if b is not None]
    if not np.all(np.isfinite([result.estimate, *bounds])):
        raise refuse(Problem("the data leave the estimate undetermined", OBSERVATIONS))
    return result
