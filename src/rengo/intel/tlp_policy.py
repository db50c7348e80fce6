"""Who may see a ward's submission (its record, title, TLP, original and shareable version).

One decision, used by every read path of submissions (the JSON API, the pages, the hub's
pending list, the preview and every action that starts by reading the submission): the
function ``may_read_submission`` for one submission and ``readable_submissions`` for SQL.

TLP 2.0 (FIRST), with the submitting ward as the organisation and the joint centre as the
hub that anonymises on the ward's behalf (need-to-know):

=============  ================================================================
RED            named recipients only: the submitting ward
AMBER+STRICT   the submitting organisation only: the submitting ward
AMBER          the organisation and need-to-know: the ward and the joint centre
GREEN, CLEAR   the community; the *original* still stays with the ward and the
               joint centre — other wards get the approved anonymised version
               through TAXII (``rengo.intel.access`` decides that)
=============  ================================================================

The role part (``intel.submission.read`` for the ward's own tenant, or the joint centre)
stays with ``rengo.core.permissions``; a submission the principal may not read answers 404,
like another ward's object.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ColumnElement, false, or_

from rengo.core.permissions import Principal, allows
from rengo.intel.tlp import TLP

READ = "intel.submission.read"


class Audience(enum.Enum):
    SUBMITTER = "the submitting ward"
    SUBMITTER_AND_HUB = "the submitting ward and the joint centre"


SUBMISSION_AUDIENCE: dict[TLP, Audience] = {
    TLP.RED: Audience.SUBMITTER,
    TLP.AMBER_STRICT: Audience.SUBMITTER,
    TLP.AMBER: Audience.SUBMITTER_AND_HUB,
    TLP.GREEN: Audience.SUBMITTER_AND_HUB,
    TLP.CLEAR: Audience.SUBMITTER_AND_HUB,
}
HUB_LEVELS = tuple(
    t.value for t, a in SUBMISSION_AUDIENCE.items() if a is Audience.SUBMITTER_AND_HUB
)


def _audience(tlp: str) -> Audience:
    # An unknown level is treated as the most restrictive one: fail closed.
    try:
        return SUBMISSION_AUDIENCE[TLP(tlp)]
    except ValueError:
        return Audience.SUBMITTER


def may_read_submission(principal: Principal, tlp: str, submitter: str) -> bool:
    """May ``principal`` see the submission of ward ``submitter`` marked ``tlp`` at all?"""
    if not allows(principal, READ, submitter):
        return False
    if principal.tenant == submitter:
        return True
    return principal.is_joint and _audience(tlp) is Audience.SUBMITTER_AND_HUB


def readable_submissions(principal: Principal, model: Any) -> ColumnElement[bool]:
    """The same decision as a SQL condition on a table with ``tenant`` and ``tlp`` columns."""
    if not allows(principal, READ):
        return false()
    own: ColumnElement[bool] = model.tenant == principal.tenant
    if principal.is_joint:
        return or_(own, model.tlp.in_(HUB_LEVELS))
    return own
