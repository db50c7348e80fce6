"""Refresh the README's screenshots: `rengo demo` + `rengo serve` must be running.

.venv/bin/python docs/images/screenshots.py http://127.0.0.1:8000
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main(base_url: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(base_url=base_url, viewport={"width": 1400, "height": 900})
        page.goto("/login")
        page.get_by_label("ユーザー名").fill("chiyoda.it")
        page.get_by_label("パスワード").fill("rengo-demo-2026")
        page.get_by_role("button", name="ログイン").click()
        page.get_by_role("heading", name="23区の政策目標").wait_for()
        page.screenshot(path=HERE / "dashboard.png")
        page.goto("/assets?classified=false")
        page.screenshot(path=HERE / "assets.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
