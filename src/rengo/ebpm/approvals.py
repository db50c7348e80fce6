"""The approval flow: drafter → department head → budget office, each step audited.

Transitions are a registry (action → from states, to state, the permission it needs), so
the page, the API and the tests read the same rules. Each is checked against the
policy's ward: one ward's budget office cannot approve another ward's model (it does not
even see it: 404).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rengo.core.db import utcnow
from rengo.core.errors import Conflict, InvalidInput, Problem
from rengo.core.permissions import Principal, allows, require
from rengo.ebpm.models import Approval, Policy
from rengo.ebpm.policies import audit_policy, freeze_version, load_model, visible_policy
from rengo.ebpm.vocabulary import OUTCOME_STAGES


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: str
    decision: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", frozenset({"draft"}), "submitted", "ebpm.policies.write", "submit"),
        Transition(
            "approve_dept",
            frozenset({"submitted"}),
            "dept_approved",
            "ebpm.policies.approve_dept",
            "approve",
        ),
        Transition(
            "return_dept",
            frozenset({"submitted"}),
            "draft",
            "ebpm.policies.approve_dept",
            "return",
        ),
        Transition(
            "approve_budget",
            frozenset({"dept_approved"}),
            "approved",
            "ebpm.policies.approve_budget",
            "approve",
        ),
        Transition(
            "return_budget",
            frozenset({"dept_approved"}),
            "draft",
            "ebpm.policies.approve_budget",
            "return",
        ),
        Transition("revise", frozenset({"approved"}), "draft", "ebpm.policies.write", "revise"),
    )
}


def available(principal: Principal, policy: Policy) -> list[Transition]:
    """The transitions ``principal`` may take on ``policy`` now (buttons on its page)."""
    return [
        t
        for t in TRANSITIONS.values()
        if policy.status in t.sources and allows(principal, t.permission, policy.tenant)
    ]


def _check_complete(session: Session, policy: Policy) -> None:
    model = load_model(session, policy)
    problems = []
    if not policy.purpose.strip():
        problems.append(Problem("state the purpose", "field purpose"))
    stages = {e.stage for e in model.elements}
    for stage in ("activities", "outputs"):
        if stage not in stages:
            problems.append(
                Problem(
                    "add at least one element of stage {stage}", "field elements", {"stage": stage}
                )
            )
    if not stages & OUTCOME_STAGES:
        problems.append(Problem("add at least one outcome", "field elements"))
    if not any(i.element_id is not None for i in model.indicators):
        problems.append(Problem("add at least one indicator to an element", "field indicators"))
    if problems:
        raise InvalidInput("the logic model is not complete", problems)


def transition(
    session: Session,
    principal: Principal,
    policy_id: int,
    action: str,
    comment: str = "",
    *,
    client: str = "",
) -> Policy:
    policy = visible_policy(session, principal, policy_id)
    step = TRANSITIONS.get(action)
    if step is None:
        raise InvalidInput(
            "unknown action",
            [Problem("one of {actions}", "field action", {"actions": ", ".join(TRANSITIONS)})],
        )
    require(principal, step.permission, policy.tenant)  # visible already: 403, not 404
    if policy.status not in step.sources:
        raise Conflict(
            "policy {policy_id} is {status}: {action} is not possible now",
            values={"policy_id": policy.id, "status": policy.status, "action": action},
        )
    if action == "submit":
        _check_complete(session, policy)
        freeze_version(session, principal, policy)
    if action == "revise":
        policy.version += 1
    before = policy.status
    policy.status = step.target
    policy.updated_at = utcnow()
    policy.approved_at = policy.updated_at if step.target == "approved" else policy.approved_at
    session.add(
        Approval(
            policy_id=policy.id,
            version=policy.version,
            step=action,
            decision=step.decision,
            actor=principal.label,
            role=principal.role.value,
            comment=comment,
            at=policy.updated_at,
        )
    )
    audit_policy(
        session,
        principal,
        action,
        policy,
        client,
        {"from": before, "to": policy.status, "version": policy.version, "comment": comment},
    )
    session.flush()
    return policy
