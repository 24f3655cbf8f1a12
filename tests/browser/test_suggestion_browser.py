"""Themensammlung in a real browser: send a suggestion; hostile text stays literal."""

from __future__ import annotations

import pytest

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine
from tests import factories as f
from tests.browser.conftest import SEED_NOW, wait_idle

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)> [klick](javascript:alert(1)) **fett** # Titel"
ADDRESSES = "Mehr unter https://spam.example/x?a=1, www.phish.example oder an gewinn@spam.example"


def test_send_a_suggestion(seed_app, page):
    page.goto(seed_app + "/themensammlung")
    page.get_by_text("Vorschlag einreichen").wait_for(timeout=30_000)
    wait_idle(page)
    # The honeypot field is in the form but out of sight, left of the page.
    trap = page.locator(".st-key-suggest-website input").bounding_box()
    assert trap is not None and trap["x"] + trap["width"] < 0
    page.get_by_role("textbox", name="Ihr Vorschlag").fill(
        "Wie gelingt Jugendbeteiligung auf dem Dorf?"
    )
    page.get_by_text("Frage", exact=True).click()
    page.get_by_role("textbox", name="Ihr Name (freiwillig)").fill("Kim")
    page.get_by_role("button", name="Vorschlag senden").click()
    page.get_by_text("Danke – wird nach kurzer Prüfung veröffentlicht.").wait_for(timeout=30_000)


def test_hostile_text_appears_literally(seed_app_db, page):
    base, db_url = seed_app_db
    engine = make_engine(db_url)
    now = parse_instant(SEED_NOW)
    sid = f.suggestion(
        engine, now=now, text=HOSTILE, author_name="<script>alert(2)</script>", publish=True
    )
    engine.dispose()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "/themensammlung")
    page.get_by_text("Gesammelte Vorschläge").wait_for(timeout=30_000)
    wait_idle(page)
    card = page.locator(f".st-key-suggestion-{sid}")
    card.wait_for(timeout=30_000)
    text = card.inner_text()
    assert HOSTILE in text and "<script>alert(2)</script>" in text
    assert card.locator("img, a, strong, h1, script").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []


@pytest.mark.parametrize("width", [1280, 390])
def test_addresses_in_visitor_text_are_no_links(seed_app_db, browser, width):
    base, db_url = seed_app_db
    engine = make_engine(db_url)
    sid = f.suggestion(
        engine, now=parse_instant(SEED_NOW), text=ADDRESSES, author_name="a@b.de", publish=True
    )
    engine.dispose()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(base + "/themensammlung")
        card = page.locator(f".st-key-suggestion-{sid}")
        card.wait_for(timeout=30_000)
        wait_idle(page)
        assert card.locator("a").count() == 0
        shown = card.inner_text().replace("\u2060", "")  # invisible word joiners
        assert ADDRESSES in shown and "a@b.de" in shown
    finally:
        context.close()
