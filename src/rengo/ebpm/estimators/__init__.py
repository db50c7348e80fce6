"""Estimators of a policy's effect; each prints its assumptions and diagnostics beside the
result. ``ESTIMATORS`` maps a design key to its estimator (registered by the modules)."""

from rengo.ebpm.estimators import before_after, did, its, synthetic
from rengo.ebpm.estimators.base import ESTIMATORS, Estimate, Panel, estimate

__all__ = ["ESTIMATORS", "Estimate", "Panel", "before_after", "did", "estimate", "its", "synthetic"]
