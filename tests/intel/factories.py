"""Objects of a ward for the tenancy walk (tests/web/test_tenancy_walk.py)."""

from __future__ import annotations

from rengo.core.acting import Acting
from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.runtime import Runtime
from rengo.intel import advisories, feeds, submissions
from rengo.intel.schemas import IndicatorList
from tests.tenancy import BODIES, LISTS_WITHOUT_WARD_DATA, factory


@factory("submission_id")
def _submission(env: Runtime, ward: str) -> str:
    with env.db.session() as session:
        report = IndicatorList(title="walk submission", values=["203.0.113.7"], tlp="green")
        ward_it = Principal(tenant=ward, role=Role.WARD_IT)
        by = Acting(session, ward_it, env.clock.now(), env.settings)
        created = submissions.create(by, report, channel="api")
        return str(created.id)


@factory("advisory_id")
def _advisory(env: Runtime, ward: str) -> str:
    """An advisory sent to this ward only: other wards must not see it."""
    with env.db.session() as session:
        body = advisories.AdvisoryCreate(
            title="walk advisory", summary="summary", countermeasures="patch", wards=[ward]
        )
        by = Acting(session, SYSTEM, env.clock.now(), env.settings)
        return str(advisories.publish(by, body).id)


@factory("feed_id")
def _feed(env: Runtime, ward: str) -> str:
    """Feeds belong to the joint centre: no ward may pull them."""
    with env.db.session() as session:
        feed = feeds.add_feed(
            session,
            SYSTEM,
            {"name": f"walk feed {ward}", "kind": "stix", "url": "https://feeds.example/walk.json"},
        )
        return str(feed.id)


@factory("feed_key")
def _public_feed(env: Runtime, ward: str) -> str:
    """Public feeds are the joint centre's to enable: no ward may."""
    return "cisa-kev"


BODIES["POST /api/v1/intel/submissions/{submission_id}/approve"] = {"version": 1}
BODIES["POST /api/v1/intel/submissions/{submission_id}/redact"] = {"terms": ["walk"]}
BODIES["POST /api/v1/intel/advisories/{advisory_id}/respond"] = {"acknowledged": True}

# List routes whose answer has no ward field even for the ward itself (tenancy walk).
LISTS_WITHOUT_WARD_DATA.update(
    {
        "GET /api/v1/intel/advisories": "the joint centre's advisories (recipients by code)",
        "GET /api/v1/intel/indicators": "STIX objects carry an owner, not a ward field",
        "GET /api/v1/intel/sightings": "needs SOC lake events that match an indicator",
        "GET /api/v1/intel/hunts": "the joint centre's retro-hunts",
        "GET /api/v1/intel/feeds": "the joint centre's feeds",
        "GET /api/v1/intel/public-feeds": "the public feeds rengo ships (joint centre)",
    }
)
