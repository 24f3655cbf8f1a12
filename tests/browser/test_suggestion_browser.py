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
    # The honeypot field is in the form but not displayed: out of sight, out of the tab
    # order and of what screen readers read.
    trap = page.locator(".st-key-honeypot-suggest input")
    trap.wait_for(state="attached", timeout=30_000)
    assert trap.count() == 1 and not trap.is_visible()
    assert (
        trap.evaluate("el => getComputedStyle(el.closest('.st-key-honeypot-suggest')).display")
        == "none"
    )
    page.get_by_role("textbox", name="Ihr Vorschlag").fill(
        "Wie gelingt Jugendbeteiligung auf dem Dorf?"
    )
    page.get_by_text("Frage", exact=True).click()
    page.get_by_role("textbox", name="Ihr Name (freiwillig)").fill("Kim")
    page.get_by_role("button", name="Vorschlag senden").click()
    page.get_by_text("Ihr Vorschlag ist angekommen und erscheint nach kurzer Prüfung").wait_for(
        timeout=30_000
    )


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


def _vote_label(page, sid: int) -> str:
    button = page.locator(f".st-key-vote-{sid} button")
    button.wait_for(timeout=30_000)
    return button.inner_text()


def test_one_vote_per_browser_across_reload_tab_and_session(seed_app_db, browser):
    """The anonymous visitor cookie carries the vote: a reload, a new tab and a fresh
    Streamlit session in the same browser keep the count at 1; another browser adds one."""
    base, db_url = seed_app_db
    engine = make_engine(db_url)
    sid = f.suggestion(engine, now=parse_instant(SEED_NOW), topic_field_id=1, publish=True)
    engine.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(base + "/themensammlung")
        wait_idle(page)
        [cookie] = [c for c in context.cookies() if c["name"] == "stammtisch_besuch"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("() => document.cookie").find("stammtisch_besuch") == -1
        page.locator(f".st-key-vote-{sid} button").click()
        page.get_by_role("button", name="Unterstützt (1)").wait_for(timeout=30_000)
        page.reload()  # a new Streamlit session, the same browser
        wait_idle(page)
        assert "Unterstützt (1)" in _vote_label(page, sid)
        assert page.locator(f".st-key-vote-{sid} button").is_disabled()
        tab = context.new_page()  # a new tab
        tab.goto(base + "/themensammlung")
        wait_idle(tab)
        assert "Unterstützt (1)" in _vote_label(tab, sid)
        assert [c["value"] for c in context.cookies() if c["name"] == "stammtisch_besuch"] == [
            cookie["value"]
        ]
    finally:
        context.close()
    other = browser.new_context(viewport={"width": 390, "height": 900}, locale="de-DE")
    try:
        page = other.new_page()
        page.goto(base + "/themensammlung")
        wait_idle(page)
        assert "+1 (1)" in _vote_label(page, sid)
        page.locator(f".st-key-vote-{sid} button").click()
        page.get_by_role("button", name="Unterstützt (2)").wait_for(timeout=30_000)
    finally:
        other.close()


def test_fresh_browsers_from_one_network_cannot_flood_the_collection(seed_app_db, browser):
    """Five new browsers (no cookies, new sessions) from one address: three suggestions
    are accepted, then the page explains the wait."""
    base, _db_url = seed_app_db
    outcomes = []
    for n in range(5):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
        try:
            page = context.new_page()
            page.goto(base + "/themensammlung")
            box = page.get_by_role("textbox", name="Ihr Vorschlag")
            box.wait_for(timeout=30_000)
            wait_idle(page)
            box.fill(f"Wie gelingt Jugendbeteiligung im Dorf Nummer {n}?")
            page.get_by_role("button", name="Vorschlag senden").click()
            accepted = page.get_by_text("Ihr Vorschlag ist angekommen")
            refused = page.get_by_text("Aus Ihrem Netzwerk kamen")
            accepted.or_(refused).first.wait_for(timeout=30_000)
            outcomes.append(accepted.count() > 0)
        finally:
            context.close()
    assert outcomes == [True, True, True, False, False]
