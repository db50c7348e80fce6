"""The CSIRT's part in messaging: a page about an incident is written into the
incident's timeline (paged, escalated, acknowledged), in the page's own transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rengo.csirt import timeline
from rengo.notify.hooks import PageEvent, on_page


def record_on_timeline(session: Session, event: PageEvent) -> None:
    page, team = event.page, event.team
    if page.incident_id is None:
        return
    people = ", ".join(event.people)
    if event.step == "paged":
        summary = f"Paged {team.name}: {people or 'nobody on call'} ({event.label})"
        detail = {"page": page.id, "team": team.id}
        actor = "rengo"
    elif event.step == "escalated":
        what = f"escalated to {people} ({event.label})" if people else "unanswered"
        summary, detail, actor = (
            f"Page to {team.name} {what}",
            {"page": page.id, "level": page.level},
            "rengo",
        )
    else:
        # Which team's page: an incident pages several teams, and one responder answering
        # them all made identical rows.
        summary = f"Page to {team.name} acknowledged by {event.by}"
        detail, actor = {"page": page.id, "team": team.id}, event.by
    timeline.add(
        session, page.incident_id, "message", summary, actor=actor, at=event.at, detail=detail
    )


on_page("csirt.timeline", record_on_timeline)
