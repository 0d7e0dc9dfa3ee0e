"""Browser tests of the dashboard: Debian's Chromium driven by Playwright, one browser per module.

Every test leaves a full-page screenshot in ``test-artifacts/dashboard/<test>.png`` at
the top of the repository (the folder ignores itself in git); set
``BENCHTRAIL_TEST_ARTIFACTS`` to put them elsewhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from benchtrail.api.hub.embedded import Hub

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("BENCHTRAIL_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium (Debian's), shared by the tests of a module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (created, and ignored by git)."""
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Screenshots and other test output\n*\n")
    return folder


@pytest.fixture
def page(
    browser: Browser, running_hub: Hub, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh page on the hub's API; closed (after its screenshot) before the hub stops.

    The test fails if the page throws a JavaScript error or loads anything from
    another origin than the API (the dashboard must work offline).
    """
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=running_hub.api_url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((running_hub.api_url, "data:")) else foreign.append(r.url)
        ),
    )
    try:
        yield page
    finally:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not foreign, f"the page loaded from elsewhere than the API: {foreign}"


@pytest.fixture
def snapshot(page: Page, artifacts: Path, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Take an extra screenshot in the middle of a test: ``<test>-<step>.png``."""

    def take(step: str) -> None:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=artifacts / f"{name}-{step}.png", full_page=True)

    return take
