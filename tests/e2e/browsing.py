"""What the browser tests share: Debian's Chromium through Playwright (skipped where it is missing, unless
PULSE_TEST_REQUIRE_BROWSER=1), signing in, screenshots, and reading decisions back over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("PULSE_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))
XSS = "Our export shows <script>window.__xss = 1</script> and <img src=x onerror=\"window.__xss = 2\"> in it."

if not Path(CHROMIUM).exists():
    if os.environ.get("PULSE_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail("PULSE_TEST_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)",
                    pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def chromium() -> Iterator[Any]:
    """Headless Chromium for as long as the generator runs (the `browser` fixture of tests/e2e/conftest.py)."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield launched
        finally:
            launched.close()


def sign_in(browser: Any, base: str, key: str) -> Any:
    """A fresh browser context signed in with a key through the sign-in form."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    offsite: list[str] = []
    page.on("request", lambda request: offsite.append(request.url) if not request.url.startswith(base) else None)
    page.offsite = offsite
    page.goto(f"{base}/login")
    page.fill("#api_key", key)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, page.content()
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def decisions(http: httpx.Client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = http.get("/v1/decisions", headers=headers, params={"current": "true", **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])
