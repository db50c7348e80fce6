"""Analysis inside the zone under an approved purpose: linking two deposits with Splink,
the analyst's pseudonymised view (a person key and the purpose's columns, never an
identifier), clerical review of uncertain pairs, and release requests processed by the
five standards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, allows, require, visible_tenants
from rengo.ebpm.zone import linkage, normalise, tables
from rengo.ebpm.zone.deposits import Zone, get_purpose, rules_of
from rengo.ebpm.zone.disclosure import ColumnKind, ColumnRule, Hierarchy, Policy, anonymise
from rengo.ebpm.zone.models import ZoneDeposit, ZoneLinkage, ZonePurpose, ZoneRelease, ZoneReview

PERSON_KEY = "person_key"


def _approved_purpose_for(
    session: Session, principal: Principal, purpose_id: int, deposit_ids: set[int]
) -> ZonePurpose:
    purpose = get_purpose(session, principal, purpose_id)
    require(principal, "ebpm.zone.analyse", purpose.ward, hide=True)
    if purpose.status != "approved":
        raise Conflict("the purpose is not approved", [Problem(purpose.status, "purpose")])
    missing = deposit_ids - set(purpose.deposit_ids)
    if missing:
        raise InvalidInput(
            "the purpose does not cover these deposits",
            [Problem(str(d), "field deposits") for d in sorted(missing)],
        )
    return purpose


def run(
    session: Session,
    zone: Zone,
    principal: Principal,
    *,
    purpose_id: int,
    left_id: int,
    right_id: int,
) -> ZoneLinkage:
    """Link two approved deposits; links and the review band are kept sealed."""
    purpose = _approved_purpose_for(session, principal, purpose_id, {left_id, right_id})
    left_row, right_row = session.get(ZoneDeposit, left_id), session.get(ZoneDeposit, right_id)
    assert left_row is not None and right_row is not None  # the purpose holds approved ids
    for used in (left_row, right_row):
        if used.status != "approved":
            raise Conflict(
                "a deposit is not approved", [Problem(used.status, f"deposit {used.id}")]
            )
    left, right = zone.open_table("deposit", left_id), zone.open_table("deposit", right_id)
    result = linkage.link(
        linkage.prepare(enumerate(left.to_pylist())),
        linkage.prepare(enumerate(right.to_pylist())),
        threshold=zone.settings.match_threshold,
        review_floor=zone.settings.review_floor,
    )
    row = ZoneLinkage(
        ward=purpose.ward,
        purpose_id=purpose.id,
        left_deposit_id=left_id,
        right_deposit_id=right_id,
        threshold=zone.settings.match_threshold,
        review_floor=zone.settings.review_floor,
        links=len(result.links),
        review=len(result.review),
        seconds=result.seconds,
        model=result.model,
        created_by=principal.label,
    )
    session.add(row)
    session.flush()
    zone.seal_table(
        "links",
        row.id,
        pa.table(
            {
                "left": [link.left_id for link in result.links],
                "right": [link.right_id for link in result.links],
                "probability": [link.probability for link in result.links],
            }
        ),
    )
    session.add_all(
        ZoneReview(
            linkage_id=row.id,
            left_record=pair.left_id,
            right_record=pair.right_id,
            probability=pair.probability,
            decision="pending",
        )
        for pair in result.review
    )
    audit.record(
        session,
        principal,
        "ebpm.zone.link",
        object_type="zone_linkage",
        object_id=row.id,
        object_tenant=purpose.ward,
        detail={
            "purpose": purpose.id,
            "deposits": [left_id, right_id],
            "links": row.links,
            "review": row.review,
            "seconds": round(result.seconds, 2),
        },
    )
    return row


def get_linkage(session: Session, principal: Principal, linkage_id: int) -> ZoneLinkage:
    row = session.get(ZoneLinkage, linkage_id)
    if row is None:
        raise NotFound("not found")
    require(principal, "ebpm.zone.read", row.ward, hide=True)
    return row


def list_linkages(session: Session, principal: Principal) -> list[ZoneLinkage]:
    tenants = visible_tenants(principal, "ebpm.zone.read")
    query = select(ZoneLinkage).order_by(ZoneLinkage.id)
    if tenants is not None:
        query = query.where(ZoneLinkage.ward.in_(tenants))
    return list(session.scalars(query))


def _view(session: Session, zone: Zone, row: ZoneLinkage) -> tuple[pa.Table, dict[str, ColumnRule]]:
    """The analyst's table: one row per link (and per pair decided a match in review), the
    person key and the purpose's columns of both deposits — nothing else."""
    purpose = session.get(ZonePurpose, row.purpose_id)
    assert purpose is not None
    links = zone.open_table("links", row.id).to_pylist()
    decided = session.scalars(
        select(ZoneReview).where(ZoneReview.linkage_id == row.id, ZoneReview.decision == "match")
    ).all()
    pairs = [(link["left"], link["right"]) for link in links] + [
        (r.left_record, r.right_record) for r in decided
    ]
    columns: dict[str, list[Any]] = {PERSON_KEY: []}
    rules: dict[str, ColumnRule] = {PERSON_KEY: ColumnRule(ColumnKind.LINK)}
    sides = []
    for deposit_id in (row.left_deposit_id, row.right_deposit_id):
        deposit = session.get(ZoneDeposit, deposit_id)
        assert deposit is not None
        allowed = purpose.columns.get(str(deposit_id), [])
        deposit_rules = rules_of(deposit)
        records = zone.open_table("deposit", deposit_id).select(allowed).to_pylist()
        for name in allowed:
            label = name if name not in rules else f"{name}_{deposit.domain}_{deposit_id}"
            rules[label] = deposit_rules[name]
            columns[label] = []
        sides.append((records, allowed, deposit))
    left_deposit = sides[0][2]
    left_keys = (
        zone.open_table("deposit", row.left_deposit_id).column(left_deposit.key_column).to_pylist()
    )
    labels = [label for label in columns if label != PERSON_KEY]
    for left_index, right_index in pairs:
        columns[PERSON_KEY].append(
            zone.vault.pseudonym(f"linkage:{row.id}", str(left_keys[left_index]))
        )
        values = [sides[0][0][left_index][n] for n in sides[0][1]] + [
            sides[1][0][right_index][n] for n in sides[1][1]
        ]
        for label, value in zip(labels, values, strict=True):
            columns[label].append(_canonical(rules[label], value))
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), rules


def _canonical(rule: ColumnRule, value: str | None) -> str | None:
    """Quasi-identifiers in one written form, so that generalisation groups like with like."""
    if value is None:
        return None
    if rule.hierarchy is Hierarchy.DATE:
        day = normalise.birth_date(value)
        return day.isoformat() if day else None
    if rule.hierarchy is Hierarchy.ADDRESS:
        # Never the address itself inside the zone's views: its town and 丁目 at most.
        return normalise.town(value)
    return normalise.nfkc(value).strip()


def records(
    session: Session, zone: Zone, principal: Principal, linkage_id: int, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the analyst's pseudonymised view (the read is audited)."""
    row = get_linkage(session, principal, linkage_id)
    _approved_purpose_for(session, principal, row.purpose_id, set())
    table, _ = _view(session, zone, row)
    audit.record(
        session,
        principal,
        "ebpm.zone.records.read",
        object_type="zone_linkage",
        object_id=row.id,
        object_tenant=row.ward,
        detail={"offset": offset, "limit": limit},
    )
    return table.slice(offset, limit).to_pylist(), table.num_rows


def decide_pair(
    session: Session,
    principal: Principal,
    review_id: int,
    *,
    decision: str,
    now: datetime,
) -> ZoneReview:
    """Record a clerical decision on an uncertain pair."""
    review = session.get(ZoneReview, review_id)
    if review is None:
        raise NotFound("not found")
    row = get_linkage(session, principal, review.linkage_id)
    require(principal, "ebpm.zone.analyse", row.ward, hide=True)
    if decision not in ("match", "non_match"):
        raise InvalidInput("match or non_match", [Problem("match | non_match", "field decision")])
    review.decision, review.decided_by, review.decided_at = decision, principal.label, now
    audit.record(
        session,
        principal,
        "ebpm.zone.review",
        object_type="zone_review",
        object_id=review.id,
        object_tenant=row.ward,
        detail={"decision": decision, "linkage": row.id},
    )
    return review


def request_release(
    session: Session,
    zone: Zone,
    principal: Principal,
    linkage_id: int,
    *,
    title: str,
    overrides: dict[str, ColumnRule] | None = None,
    table: tables.TableRequest | None = None,
) -> ZoneRelease:
    """Process the analyst's view by the five standards — as rows, or as a table of
    counts when ``table`` is given; the result waits, sealed, for the privacy officer's
    decision on its report."""
    row = get_linkage(session, principal, linkage_id)
    purpose = _approved_purpose_for(session, principal, row.purpose_id, set())
    view, rules = _view(session, zone, row)
    for name, rule in (overrides or {}).items():
        if name not in rules:
            raise InvalidInput("no such column", [Problem(name, "field rules")])
        rules[name] = rule
    settings = zone.settings
    if table is not None:
        released, report = tables.release(
            view,
            rules,
            table.dimensions,
            small_cell=settings.small_cell,
            epsilon=table.epsilon,
            max_epsilon=settings.max_epsilon,
        )
    else:
        policy = Policy(
            k=settings.k,
            l_diversity=settings.l_diversity,
            suppression_limit=settings.suppression_limit,
        )
        released, processed = anonymise(view, rules, policy)
        report = processed.as_dict()
    release = ZoneRelease(
        ward=row.ward,
        purpose_id=purpose.id,
        linkage_id=row.id,
        title=title,
        rules={n: {"kind": r.kind.value, "hierarchy": r.hierarchy.value} for n, r in rules.items()},
        report=report,
        rows=released.num_rows,
        sha256="",
        status="pending",
        requested_by=principal.label,
        decision_note="",
    )
    session.add(release)
    session.flush()
    release.sha256 = zone.seal_table("release", release.id, released)
    audit.record(
        session,
        principal,
        "ebpm.zone.release.request",
        object_type="zone_release",
        object_id=release.id,
        object_tenant=row.ward,
        detail={
            "rows": release.rows,
            "k": report["k_achieved"],
            "l": report["l_achieved"],
            "table": table is not None,
            "epsilon": table.epsilon if table else None,
        },
    )
    return release


def get_release(session: Session, principal: Principal, release_id: int) -> ZoneRelease:
    release = session.get(ZoneRelease, release_id)
    if release is None:
        raise NotFound("not found")
    wards = {release.ward}
    if not (
        allows(principal, "ebpm.zone.read", wards)
        or allows(principal, "ebpm.zone.release.read", wards)
    ):
        raise NotFound("not found")
    return release


def list_releases(session: Session, principal: Principal) -> list[ZoneRelease]:
    query = select(ZoneRelease).order_by(ZoneRelease.id)
    if principal.is_joint:
        return list(session.scalars(query))
    rows = session.scalars(query.where(ZoneRelease.ward == principal.tenant)).all()
    return [r for r in rows if _may_see(principal, r)]


def _may_see(principal: Principal, release: ZoneRelease) -> bool:
    if allows(principal, "ebpm.zone.read", release.ward):
        return True
    return release.status == "approved" and allows(
        principal, "ebpm.zone.release.read", release.ward
    )


def decide_release(
    session: Session,
    principal: Principal,
    release_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
) -> ZoneRelease:
    """The privacy officer of the ward approves (or refuses) the release on its report;
    a purpose spanning wards needs no further approval here: its owners approved the use."""
    release = get_release(session, principal, release_id)
    require(principal, "ebpm.zone.approve", release.ward, hide=True)
    if principal.tenant != release.ward:
        raise NotFound("not found")
    if principal.label == release.requested_by:
        raise Conflict("a release is decided by someone other than who requested it")
    if release.status != "pending":
        raise Conflict("the release was already decided", [Problem(release.status, "status")])
    release.status = "approved" if approve else "rejected"
    release.decided_by, release.decided_at, release.decision_note = principal.label, now, note
    audit.record(
        session,
        principal,
        f"ebpm.zone.release.{release.status}",
        object_type="zone_release",
        object_id=release.id,
        object_tenant=release.ward,
        detail={"note": note, "report_rows": release.rows},
    )
    return release


def approved_release(session: Session, principal: Principal, release_id: int) -> ZoneRelease:
    """A release whose data the principal may have: approved, of a ward whose releases
    they may read (``ebpm.zone.release.read``); anything else is not found."""
    release = get_release(session, principal, release_id)
    if release.status != "approved" or not allows(
        principal, "ebpm.zone.release.read", release.ward
    ):
        raise NotFound("not found")
    return release


def released_table(
    session: Session, zone: Zone, principal: Principal, release_id: int
) -> tuple[ZoneRelease, pa.Table]:
    """The de-identified data of an approved release (the download is audited)."""
    release = approved_release(session, principal, release_id)
    audit.record(
        session,
        principal,
        "ebpm.zone.release.download",
        object_type="zone_release",
        object_id=release.id,
        object_tenant=release.ward,
    )
    return release, zone.open_table("release", release.id)


def review_pairs(session: Session, principal: Principal, linkage_id: int) -> list[ZoneReview]:
    """The uncertain band of a linkage, for clerical review."""
    row = get_linkage(session, principal, linkage_id)
    require(principal, "ebpm.zone.analyse", row.ward, hide=True)
    return list(
        session.scalars(
            select(ZoneReview).where(ZoneReview.linkage_id == row.id).order_by(ZoneReview.id)
        )
    )
