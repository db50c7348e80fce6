"""Editing a logic model on its page, what the API alone offered before: the policy's own
fields, each element (stage and text, or removing it), each indicator (definition, baseline,
target, data source and its link to a scoreboard target or survey question), and taking the
current period's snapshot of the live-metric indicators. Every form re-renders the model
with the problems named by field; permissions are those of the API (a draft, policy staff
of the policy's ward)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from rengo.ebpm import indicators, policies, snapshots
from rengo.ebpm.schemas import ElementCreate, IndicatorFields, PolicyPatch
from rengo.web.deps import FormPostDep, IdPath, SessionDep
from rengo.web.pages.ebpm import act, form_values, indicator_form, validated

router = APIRouter(include_in_schema=False)
POLICY_TEXT = ("title", "department", "budget_line", "purpose")


@router.post("/ebpm/policies/{policy_id}/edit", response_class=HTMLResponse, response_model=None)
async def edit_policy(
    policy_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        form = await post.request.form()
        values: dict[str, Any] = {k: str(form.get(k) or "") for k in POLICY_TEXT}
        values["fiscal_year"] = form.get("fiscal_year") or None
        values["is_new"] = form.get("is_new") == "true"
        values["budget_yen"] = form.get("budget_yen") or None
        patch = validated(PolicyPatch, values)
        policies.update_policy(session, post.principal, policy_id, patch, client=post.client)

    return await act(post, session, policy_id, "updated", action)


@router.post(
    "/ebpm/policies/{policy_id}/elements/{element_id}",
    response_class=HTMLResponse,
    response_model=None,
)
async def edit_element(
    policy_id: IdPath,
    element_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        data = validated(ElementCreate, await form_values(post.request))
        policies.update_element(
            session, post.principal, policy_id, element_id, data, client=post.client
        )

    return await act(post, session, policy_id, "element_updated", action)


@router.post(
    "/ebpm/policies/{policy_id}/elements/{element_id}/remove",
    response_class=HTMLResponse,
    response_model=None,
)
async def remove_element(
    policy_id: IdPath,
    element_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        policies.remove_element(session, post.principal, policy_id, element_id, client=post.client)

    return await act(post, session, policy_id, "element_removed", action)


@router.post(
    "/ebpm/indicators/{indicator_id}/edit", response_class=HTMLResponse, response_model=None
)
async def edit_indicator(
    indicator_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    indicator = indicators.visible_indicator(session, post.principal, indicator_id)

    async def action() -> None:
        form = await post.request.form()
        values: dict[str, Any] = {
            name: (str(form.get(name) or "") or None)
            for name in IndicatorFields.model_fields
            if name != "key_outcome"
        }
        for text in ("definition", "unit"):
            values[text] = values[text] or ""
        values["key_outcome"] = form.get("key_outcome")
        data = indicator_form(values)
        indicators.update_indicator(
            session, post.principal, indicator.id, data.model_dump(), client=post.client
        )

    return await act(
        post,
        session,
        indicator.policy_id,
        "indicator_updated",
        action,
    )


@router.post(
    "/ebpm/policies/{policy_id}/snapshots", response_class=HTMLResponse, response_model=None
)
async def take_snapshots(
    policy_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        snapshots.take_for_policy(
            session,
            post.principal,
            post.runtime.settings,
            post.runtime.data_dir,
            post.runtime.clock.now(),
            policy_id,
            client=post.client,
        )

    return await act(post, session, policy_id, "snapshot", action)
