"""Shared fixtures of the browser tests: Debian's chromium driven by Playwright, pages that may reach only
this machine, signing in, and where screenshots go.

Test modules load them with ``pytest_plugins = ["browser_fixtures"]`` and define a module-scoped
``ui_server`` fixture (the ``LiveServer`` the pages open). ``UPDATE_SCREENSHOTS=1`` writes the
screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from api_fixtures import LiveServer
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does this)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


OpenPage = Callable[..., "Page"]


@pytest.fixture
def open_page(browser: Browser, ui_server: LiveServer) -> Iterator[OpenPage]:
    """``open_page(viewport)`` opens /ui in a fresh Chinese-locale browser context; asserts nothing left the machine."""
    contexts, outside = [], []

    def stay_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def open_(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
        context.route(re.compile(r"^(https?|wss?)://"), stay_local)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{ui_server.url}/ui/")
        page.get_by_role("button", name="登录").wait_for()
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not outside, f"the page requested other hosts: {outside}"


def sign_in(page: Page, key: str) -> None:
    """Sign in and wait for the greeting; a refusal fails at once with the page's own message."""
    page.locator("#key input").fill(key)
    page.locator("#enter").click()
    page.wait_for_function(
        "() => document.querySelector('#who').innerText.includes('已登录')"
        " || document.querySelector('#sign-in-message .error') !== null"
    )
    refusal = page.locator("#sign-in-message .error")
    assert not refusal.count(), f"sign-in refused: {refusal.inner_text()}"


def tab_names(page: Page) -> list[str]:
    return [name.strip() for name in page.get_by_role("tab").all_inner_texts()]
