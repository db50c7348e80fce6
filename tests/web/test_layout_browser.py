"""The key pages in a real browser (issue 17): on a 390-px phone and a 1366-px laptop, in
Japanese and English, no page is wider than the screen; axe-core finds no serious or
critical problem on any of them. One browser, one login per role, the pages reused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A, axe_serious
from tests.tenancy import FACTORIES, load_factories

load_factories()
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1366, "height": 768})
# Who opens which key pages ({…} is an object the tenancy factories made in the ward).
KEY_PAGES = {
    (JOINT, "soc_analyst"): (
        "/",
        "/soc/alerts",
        "/soc/alerts/{public_id}",
        "/soc/events",
        "/intel",
        "/assets",
    ),
    (JOINT, "csirt"): ("/incidents", "/incidents/{incident_id}", "/oncall"),
    (JOINT, "admin"): ("/admin/audit", "/admin/users", "/finops/explorer", "/finops/budget"),
    (WARD_A, "policy"): ("/ebpm", "/ebpm/policies/{policy_id}"),
    (WARD_A, "opendata"): ("/opendata",),
    (JOINT, "planner"): ("/drills",),
}
WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"
# What sticks out: the first elements whose right edge passes the screen's, outside any box
# that scrolls on its own (named in the failure, so that it says what to fix).
STICKING_OUT = """() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.getBoundingClientRect().right <= window.innerWidth + 1) continue;
    let p = e.parentElement, scrolls = false;
    for (; p; p = p.parentElement) if (p.scrollWidth > p.clientWidth + 1
        && getComputedStyle(p).overflowX !== 'visible') { scrolls = true; break; }
    if (scrolls) continue;
    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
             + (e.className && typeof e.className === 'string' ? '.' + e.className : ''));
    if (out.length >= 4) break;
  }
  return out;
}"""


def test_key_pages_fit_phones_and_laptops_and_pass_axe(
    browser_page: Any, make_user: Callable[..., str], env: Runtime
) -> None:
    page = browser_page
    objects = {p: make(env, WARD_A) for p, make in FACTORIES.items()}
    too_wide: list[str] = []
    serious: list[str] = []
    for (tenant, role), paths in KEY_PAGES.items():
        page.context.clear_cookies()
        page.goto("/login")
        page.locator("#username").fill(make_user(tenant, role))
        page.locator("#password").fill(TEST_PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url("**/")
        for path in paths:
            url = path.format(**objects)
            for language in ("ja", "en"):
                for viewport in VIEWPORTS:
                    page.set_viewport_size(viewport)
                    response = page.goto(f"{url}?lang={language}")
                    assert response is not None and response.status == 200, (url, role)
                    scroll, inner = page.evaluate(WIDTH)
                    if scroll > inner:
                        what = page.evaluate(STICKING_OUT)
                        too_wide.append(f"{url} {language} {inner}px: {scroll}px wide {what}")
                # axe once per page and language, at the phone's width (the narrower layout)
                page.set_viewport_size(VIEWPORTS[0])
                page.reload()
                serious.extend(f"{url} {language}: {found}" for found in axe_serious(page))
    assert not too_wide, "\n".join(too_wide)
    assert not serious, "\n".join(serious)
