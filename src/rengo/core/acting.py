"""One change as a domain records it: in which transaction, by whom, when, under which
settings and from which client address (for the audit; empty for the CLI and the demo).

Pages and the JSON API build it once per request (``rengo.web.deps``) and hand it to the
domain's change functions, rather than passing the same five values to every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from rengo.core.permissions import Principal
from rengo.core.settings import Settings


@dataclass(frozen=True, slots=True)
class Acting:
    session: Session
    principal: Principal
    now: datetime
    settings: Settings
    client: str = ""
