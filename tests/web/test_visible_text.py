"""What a ward's staff read on every page, in Japanese and in English: no raw code, no
``\\uXXXX`` escape, no ISO timestamp, no English left where the catalogue has Japanese, no
Japanese unit (件, 回, 人, 時間) after a number on an English page.

One app and one database: one object of every kind the tenancy factories make, in a ward
(the joint centre sees it too); then every GET page route is loaded, in both languages, by the
first role of that tenant that may see it, and the home page by every role (the header
names the role). Visible text is what a browser shows: not ``<script>``, ``<style>``,
``<code>``, ``<pre>``, attributes, nor parts marked ``translate="no"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rengo.core.permissions import STAFF_ROLES
from rengo.core.runtime import Runtime
from rengo.web import i18n
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A
from tests.tenancy import FACTORIES, load_factories

load_factories()
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
SKIPPED_TAGS = {"script", "style", "code", "pre", "template", "noscript"}
VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area", "base"}
# Not pages people read: machine formats, redirects, streams and polls for htmx.
NOT_PAGES = re.compile(
    r"^/(taxii2|lang/|login/oidc|catalog\.|openapi|docs|healthz|readyz)"
    r"|\.\{fmt\}|\.geojson$|/(export|feed|poll|status|events)$|/oncall/ack/"
)
SNAKE = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./@-])")
ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
JA_UNIT = re.compile(r"\d\s?(件|回|人|時間)")


class VisibleText(HTMLParser):
    """The text nodes a reader sees, each stripped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden: list[str] = []  # open tags that hide their content
        self.texts: list[str] = []
        self.code: list[str] = []  # hidden text too: an escape is wrong even in <code>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        hides = tag in SKIPPED_TAGS or dict(attrs).get("translate") == "no"
        if hides or self.hidden:
            self.hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and tag in self.hidden:
            while self.hidden and self.hidden.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() and "script" not in self.hidden:
            (self.code if self.hidden else self.texts).append(" ".join(data.split()))


def problems_in(html: str, language: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    texts = parser.texts
    found = [f"escape in {t[:80]!r}" for t in parser.code if ESCAPE.search(t)]
    translated = {k for k, v in i18n.catalog("ja").items() if v != k}
    for text in texts:
        for code in SNAKE.findall(text):
            found.append(f"raw code {code!r} in {text[:80]!r}")
        if ESCAPE.search(text):
            found.append(f"escape in {text[:80]!r}")
        if ISO_TIME.search(text):
            found.append(f"ISO timestamp in {text[:80]!r}")
        if language == "ja" and text in translated:
            found.append(f"English {text!r} on a Japanese page")
        if language == "en" and JA_UNIT.search(text):
            found.append(f"Japanese unit in {text[:80]!r} on an English page")
    return found


def page_routes(app: Any) -> list[str]:
    def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
        for route in routes:
            if hasattr(route, "original_router"):
                nested = prefix + route.include_context.prefix
                yield from walk(route.original_router.routes, nested)
            else:
                yield prefix + getattr(route, "path", ""), getattr(route, "methods", None) or set()

    return sorted(
        path
        for path, methods in walk(app.routes)
        if "GET" in methods and not path.startswith("/api") and not NOT_PAGES.search(path)
    )


def test_no_raw_code_escape_or_timestamp_on_any_page(
    app: Any,
    env: Runtime,
    new_client: Callable[[], TestClient],
    make_user: Callable[..., str],
) -> None:
    # The ward's objects; the joint centre sees them too.
    objects = {p: make(env, WARD_A) for p, make in FACTORIES.items()}
    roles = sorted(r.value for r in STAFF_ROLES)
    clients: dict[tuple[str, str], TestClient] = {}
    for tenant in (WARD_A, JOINT):
        for role in roles:
            # Usernames without the role's code: the header shows the name beside the role.
            name = make_user(tenant, role, username=f"staff{len(clients)}")
            client = clients[(tenant, role)] = new_client()
            form = {"username": name, "password": TEST_PASSWORD, "next": "/"}
            assert client.post("/login", data=form).status_code == 303
    failures: list[str] = []
    loaded = 0

    def check(client: TestClient, url: str, who: str) -> bool:
        nonlocal loaded
        shown = False
        for language in i18n.LANGUAGES:
            response = client.get(url, params={"lang": language})
            kind = response.headers.get("content-type", "")
            if response.status_code != 200 or not kind.startswith("text/html"):
                return False
            loaded += 1
            shown = True
            for problem in problems_in(response.text, language):
                failures.append(f"{url} ({language}, {who}): {problem}")
        return shown

    for role in roles:
        for tenant in (WARD_A, JOINT):
            check(clients[(tenant, role)], "/", f"{role}@{tenant}")
    unreached: list[str] = []
    for path in page_routes(app):
        reached = False
        if any(n not in objects for n in PARAM.findall(path)):
            unreached.append(path)
            continue
        url = PARAM.sub(lambda m: objects[m.group(1)], path)
        for tenant in (WARD_A, JOINT):
            for role in roles:
                if check(clients[(tenant, role)], url, f"{role}@{tenant}"):
                    reached = True
                    break
        if not reached:
            unreached.append(path)
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} problems in visible text:\n" + "\n".join(unique)
    assert loaded > 100, (loaded, unreached)
