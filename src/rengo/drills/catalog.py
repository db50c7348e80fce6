"""The installed Sigma rules as a scenario sees them (ids, titles, those switched off)."""

from __future__ import annotations

from sqlalchemy import select

from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.drills.loader import RuleCatalog
from rengo.soc.alerts_models import RuleSetting
from rengo.soc.detect.runner import load_configured_rules


def rule_catalog(runtime: Runtime) -> RuleCatalog:
    """The rules detection runs with on this installation (settings' folders and pack)."""
    rules = load_configured_rules(runtime)
    with runtime.db.session() as session:
        disabled = frozenset(
            session.scalars(
                select(RuleSetting.rule_id).where(
                    RuleSetting.tenant == JOINT, RuleSetting.enabled.is_(False)
                )
            )
        )
    return RuleCatalog({r.id: r.title for r in rules.rules}, disabled)
