"""Objects of the joint CSIRT for the tenancy walk (tests/web/test_tenancy_walk.py).

Objects that hang on an incident (actions, tasks, evidence) are created on the first
incident the ``incident_id`` factory made in that database — the one the walk puts in
the path — so that ward B can read them at their full path; shifts likewise on the first
team.
"""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

from sqlalchemy import select

from rengo.core.acting import Acting
from rengo.core.identity import Passwords, User, create_user
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.csirt import actions, endpoints, evidence, incidents, tasks
from rengo.csirt.schemas import IncidentCreate
from rengo.csirt.soc_adapter import SocAlertSource
from rengo.notify import oncall, outbox, paging
from tests.tenancy import BODIES, GLOBAL_ROUTES, LISTS_WITHOUT_WARD_DATA, factory

_first_incident: dict[str, int] = {}
_first_team: dict[str, int] = {}
_names = itertools.count()


def _csirt(ward: str) -> Principal:
    return Principal(ward, Role.CSIRT, username=f"walk-{ward}")


def _incident(runtime: Runtime, ward: str) -> int:
    if runtime.db.url not in _first_incident:
        make_incident(runtime, ward)
    return _first_incident[runtime.db.url]


@factory("incident_id")
def make_incident(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        created = incidents.create_incident(
            session,
            _csirt(ward),
            IncidentCreate(title="walk", category="other"),
            runtime.settings,
            alert_source=SocAlertSource(runtime.clock),
            now=runtime.clock.now(),
        )
        _first_incident.setdefault(runtime.db.url, created.id)
        return str(created.id)


@factory("action_id")
def make_action(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        by = Acting(session, _csirt(ward), runtime.clock.now(), runtime.settings)
        action = actions.request_action(
            by,
            _incident(runtime, ward),
            kind="isolate_host",
            target="pc-1",
            reason="walk",
            ward=None,
            connector_id=None,
        )
        return str(action.id)


@factory("task_id")
def make_task(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        task = tasks.add_task(
            session,
            _csirt(ward),
            _incident(runtime, ward),
            title="walk",
            assignee=None,
            due_at=None,
            now=runtime.clock.now(),
        )
        return str(task.id)


@factory("evidence_id")
def make_evidence(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        item = evidence.store(
            session,
            _csirt(ward),
            _incident(runtime, ward),
            io.BytesIO(b"evidence"),
            filename="e.txt",
            content_type="text/plain",
            description="",
            data_dir=runtime.data_dir,
            max_bytes=1 << 20,
            now=runtime.clock.now(),
        )
        return str(item.id)


@factory("team_id")
def make_team(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        team = oncall.create_team(
            session,
            Principal(ward, Role.ADMIN),
            tenant=ward,
            name=f"walk-{ward}-{next(_names)}",
            kind="ward_contact",
            settings=runtime.settings,
        )
        _first_team.setdefault(runtime.db.url, team.id)
        return str(team.id)


@factory("page_id")
def make_page(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        team = oncall.create_team(
            session,
            Principal(ward, Role.ADMIN),
            tenant=ward,
            name=f"walk-page-{ward}-{next(_names)}",
            kind="ward_contact",
            settings=runtime.settings,
        )
        sent = paging.page_team(
            session,
            team,
            subject="walk",
            body="",
            settings=runtime.settings,
            now=runtime.clock.now(),
        )
        return str(sent.page.id)


@factory("shift_id")
def make_shift(runtime: Runtime, ward: str) -> str:
    """A shift of the team the walk put in the path (the ``team_id`` factory's first)."""
    if runtime.db.url not in _first_team:
        make_team(runtime, ward)
    team_id = _first_team[runtime.db.url]
    with runtime.db.session() as session:
        user = session.scalar(select(User.username).where(User.tenant == ward).limit(1))
        if user is None:
            user = create_user(
                session,
                Passwords.from_settings(runtime.settings),
                username=f"walk-shift-{ward}",
                password="correct horse battery",  # passes the password policy
                tenant=ward,
                role="ward_it",
            ).username
        [shift] = oncall.add_shifts(
            session,
            Principal(ward, Role.ADMIN),
            team_id,
            usernames=[user],
            start=runtime.clock.now() + timedelta(days=1),
            shift_hours=8,
            count=1,
        )
        return str(shift.id)


@factory("delivery_id")
def make_delivery(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        delivery = outbox.enqueue(
            session,
            channel="email",
            recipient=f"walk@{ward}.example.test",
            subject="walk",
            body="",
            now=runtime.clock.now(),
            topic="walk",
            tenant=ward,
        )
        delivery.status, delivery.attempts = "failed", 4
        return str(delivery.id)


@factory("connector_id")
def make_connector(runtime: Runtime, ward: str) -> str:
    with runtime.db.session() as session:
        connector = endpoints.create_connector(
            session,
            Principal(ward, Role.ADMIN),
            tenant=ward,
            name=f"walk-{next(_names)}",
            kind="simulated",
        )
        return str(connector.id)


GLOBAL_ROUTES["POST /api/v1/oncall/ack/{token}"] = (
    "the one-time token in the notification is the credential; no ward's data is read"
)
BODIES.update(
    {
        "POST /api/v1/incidents/{incident_id}/transitions": {"to": "triage", "reason": "walk"},
        "POST /api/v1/incidents/{incident_id}/review": {"notes": "n", "lessons": "l"},
        "POST /api/v1/incidents/{incident_id}/merge": {"incident_ids": [1], "reason": "walk"},
        "POST /api/v1/incidents/{incident_id}/split": {
            "alert_ids": ["x"],
            "title": "t",
            "reason": "r",
        },
        "POST /api/v1/incidents/{incident_id}/notes": {"text": "walk"},
        "POST /api/v1/incidents/{incident_id}/actions": {
            "kind": "block_ip",
            "target": "198.51.100.1",
        },
        "POST /api/v1/incidents/{incident_id}/actions/{action_id}/confirm": {"succeeded": True},
        "POST /api/v1/incidents/{incident_id}/tasks": {"title": "walk"},
        "POST /api/v1/oncall/teams/{team_id}/shifts": {
            "usernames": ["x"],
            "start": "2026-06-01T00:00:00Z",
            "shift_hours": 8,
            "count": 1,
        },
        "POST /api/v1/oncall/teams/{team_id}/handover": {"note": "walk"},
        "POST /api/v1/oncall/teams/{team_id}/pages": {"subject": "walk"},
        "PUT /api/v1/oncall/teams/{team_id}/members": {"usernames": []},
        "PUT /api/v1/oncall/teams/{team_id}/escalation": {"steps": []},
        "PATCH /api/v1/oncall/teams/{team_id}/shifts/{shift_id}": {"username": "walk"},
    }
)

# List routes whose answer has no ward field even for the ward itself (tenancy walk).
LISTS_WITHOUT_WARD_DATA.update(
    {
        "GET /api/v1/csirt/costs": "cost figures keyed by ward code, not a ward field",
        "GET /api/v1/csirt/costs/comparison": "cost figures keyed by ward code, not a ward field",
        "GET /api/v1/oncall/pages": "no page is open in the walk's data",
    }
)
