"""Tables of the SOC domain (found by ``rengo.domains`` for migrations).

The alert queue's tables live in ``rengo.soc.alerts_models``.
"""

from rengo.soc.alerts_models import Alert, AlertChange, AlertEvent, RuleSetting, Suppression

__all__ = ["Alert", "AlertChange", "AlertEvent", "RuleSetting", "Suppression"]
