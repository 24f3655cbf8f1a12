"""In a real browser, a newcomer sees the seed series."""

from __future__ import annotations

import pytest

from tests.browser.conftest import wait_idle

pytestmark = pytest.mark.browser


def test_start_page_in_chromium_shows_the_series(seed_app, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(seed_app + "/")
    page.get_by_text("Nächste Termine").wait_for(timeout=30_000)
    wait_idle(page)
    # Visitors' browsers talk to this server only: no fonts or icons from elsewhere.
    page.wait_for_function(
        "() => document.querySelector(\"link[rel='shortcut icon']\").href.includes('/media/')"
    )
    assert [url for url in requested if not url.startswith(seed_app)] == []
    body = page.inner_text("body")
    assert "Mo, 06.12.2021, 17:00–18:30 Uhr" in body
    assert "Thema: Engagement & Zivilgesellschaft" in body
    assert body.index("Nächste Termine") < body.index("Vergangene Termine")
    assert page.locator('[data-testid="stException"]').count() == 0
