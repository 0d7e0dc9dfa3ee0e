"""The OpenAPI page (``/schema``): rendered from the package's own files, offline."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_the_openapi_page_renders_with_nothing_loaded_from_elsewhere(page: Page) -> None:
    page.goto("/schema")  # the page fixture fails the test on any request off the API

    expect(page.locator(".info .title")).to_contain_text("benchtrail API")
    expect(page.get_by_text("/api/sessions", exact=True).first).to_be_visible()
