"""Released data as the input of an EBPM evaluation (part 1's logic models).

Only an **approved** release leaves the zone, and only to someone who may read releases
of its ward; every use is audited (``ebpm.zone.release.use``) with the evaluation it
feeds. The evaluation side (``rengo.ebpm.evaluations``) calls :func:`released_table` and
reads the frame like an uploaded table.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.permissions import Principal
from rengo.ebpm.zone.analysis import approved_release
from rengo.ebpm.zone.deposits import Zone

USE_ACTION = "ebpm.zone.release.use"


def released_table(
    session: Session,
    zone: Zone,
    principal: Principal,
    release_id: int,
    *,
    evaluation_id: int | None = None,
    client: str = "",
) -> pd.DataFrame:
    """The de-identified rows of an approved release as a DataFrame.

    Values are the released text (generalised bands such as ``70-79`` or ``要介護1``;
    ``None`` where a cell was suppressed), one column per released column. ``attrs``
    carries the release's id, ward, title, and the k and l its report achieved, so the
    evaluation can record its source. A release that is missing, pending, rejected or of
    a ward the principal may not read raises :class:`rengo.core.errors.NotFound`.
    """
    release = approved_release(session, principal, release_id)
    frame = zone.open_table("release", release.id).to_pandas()
    audit.record(
        session,
        principal,
        USE_ACTION,
        object_type="zone_release",
        object_id=release.id,
        object_tenant=release.ward,
        detail={"evaluation": evaluation_id, "rows": len(frame)},
        client=client,
    )
    frame.attrs.update(
        release_id=release.id,
        ward=release.ward,
        title=release.title,
        k=release.report.get("k_achieved"),
        l_diversity=release.report.get("l_achieved"),
    )
    return frame
