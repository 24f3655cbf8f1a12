"""A sent form gives way to its confirmation, in view and focused; sending twice stores once.

At 1280 and 390 px: the impulse offer and the Themensammlung, as a visitor fills them in.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from stammtisch.db import make_engine, session_scope
from stammtisch.models import ImpulseOffer, Suggestion
from tests.browser.conftest import wait_idle

pytestmark = pytest.mark.browser


def _count(db_url: str, table) -> int:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        count = len(s.exec(select(table)).all())
    engine.dispose()
    return count


def _in_view_and_focused(page, key: str) -> None:
    box = page.locator(f".st-key-{key}")
    box.wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_function(
        f"""() => {{
            const el = document.querySelector('.st-key-{key}');
            const r = el.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight + 1
                && (document.activeElement === el || el.contains(document.activeElement));
        }}""",
        timeout=10_000,
    )


def _offer(page) -> None:
    page.get_by_role("textbox", name="Titel Ihres Impulses").fill("Dorfladen Plus in Nordsachsen")
    page.get_by_role("textbox", name="Kurze Beschreibung").fill(
        "Wie ein Dorfladen zum Treffpunkt für alle Generationen wurde."
    )
    page.get_by_role("textbox", name="Ihr Name").fill("Kim Beispiel")
    page.get_by_role("textbox", name="E-Mail-Adresse (für die Abstimmung mit dem Team)").fill(
        "kim@example.org"
    )
    page.get_by_role("button", name="Angebot senden").click()


@pytest.mark.parametrize("width", [1280, 390])
def test_offer_confirmation_replaces_the_form_and_a_second_send_is_stored_once(
    seed_app_db, browser, width
):
    base, db_url = seed_app_db
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(base + "/impuls-anbieten")
        page.get_by_role("button", name="Angebot senden").wait_for(timeout=30_000)
        wait_idle(page)
        _offer(page)
        page.get_by_text("Vielen Dank für Ihr Angebot").wait_for(timeout=30_000)
        _in_view_and_focused(page, "offer-sent")
        assert page.get_by_role("button", name="Angebot senden", exact=True).count() == 0
        page.get_by_role("button", name="Noch ein Angebot senden").click()
        title = page.get_by_role("textbox", name="Titel Ihres Impulses")
        title.wait_for(timeout=30_000)
        assert title.input_value() == ""
        _offer(page)  # the same once more
        page.get_by_text("heute schon bei uns eingegangen").wait_for(timeout=30_000)
        _in_view_and_focused(page, "offer-sent")
        assert _count(db_url, ImpulseOffer) == 1
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_suggestion_confirmation_replaces_the_form(seed_app_db, browser, width):
    base, db_url = seed_app_db
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(base + "/themensammlung")
        page.get_by_role("button", name="Vorschlag senden").wait_for(timeout=30_000)
        wait_idle(page)
        page.get_by_role("textbox", name="Ihr Vorschlag").fill("Wie gelingt Jugendbeteiligung?")
        page.get_by_role("button", name="Vorschlag senden").click()
        page.get_by_text("Ihr Vorschlag ist angekommen").wait_for(timeout=30_000)
        _in_view_and_focused(page, "suggest-sent")
        page.get_by_role("button", name="Noch einen Vorschlag senden").click()
        text = page.get_by_role("textbox", name="Ihr Vorschlag")
        text.wait_for(timeout=30_000)
        assert text.input_value() == ""
        text.fill("Wie gelingt Jugendbeteiligung?")
        page.get_by_role("button", name="Vorschlag senden").click()
        page.get_by_text("heute schon gesendet").wait_for(timeout=30_000)
        assert _count(db_url, Suggestion) == 1
    finally:
        context.close()


def _confirmation(page, key: str) -> str:
    """The text of the confirmation that took the form's place (after any rerun)."""
    box = page.locator(f".st-key-{key}")
    box.wait_for(timeout=30_000)
    wait_idle(page)
    return box.inner_text()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_double_click_stores_one_suggestion_and_another_visitor_counts_apart(
    seed_app_db, browser, width
):
    base, db_url = seed_app_db
    text = "Wie gelingt Jugendbeteiligung im ländlichen Raum?"
    for visitor in range(2):  # two browsers: two anonymous visitor cookies
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="de-DE")
        page = context.new_page()
        try:
            page.goto(base + "/themensammlung")
            page.get_by_role("button", name="Vorschlag senden").wait_for(timeout=30_000)
            wait_idle(page)
            page.get_by_role("textbox", name="Ihr Vorschlag").fill(text)
            send = page.get_by_role("button", name="Vorschlag senden")
            send.dblclick() if visitor == 0 else send.click()
            # Either answer is true: the thanks, or (when Streamlit ran the second click's
            # callback last) that it was stored once; never an error.
            said = _confirmation(page, "suggest-sent")
            assert "Ihr Vorschlag ist angekommen" in said or "heute schon gesendet" in said
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0
            # One row for this visitor's double click; the other visitor's identical text
            # is a suggestion of its own, not "you already sent this".
            assert _count(db_url, Suggestion) == visitor + 1
            if visitor == 1:
                assert "Ihr Vorschlag ist angekommen" in said
        finally:
            context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_double_click_stores_one_offer(seed_app_db, browser, width):
    base, db_url = seed_app_db
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(base + "/impuls-anbieten")
        page.get_by_role("button", name="Angebot senden").wait_for(timeout=30_000)
        wait_idle(page)
        page.get_by_role("textbox", name="Titel Ihres Impulses").fill("Dorfladen im Revier")
        page.get_by_role("textbox", name="Kurze Beschreibung").fill(
            "Wie ein Dorfladen zum Treffpunkt für alle Generationen wurde."
        )
        page.get_by_role("textbox", name="Ihr Name").fill("Kim Beispiel")
        page.get_by_role("textbox", name="E-Mail-Adresse (für die Abstimmung mit dem Team)").fill(
            "kim@example.org"
        )
        page.get_by_role("button", name="Angebot senden").dblclick()
        said = _confirmation(page, "offer-sent")
        assert "Vielen Dank für Ihr Angebot" in said or "heute schon bei uns eingegangen" in said
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        assert _count(db_url, ImpulseOffer) == 1
    finally:
        context.close()
