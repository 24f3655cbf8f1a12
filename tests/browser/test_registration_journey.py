"""The visitor journey in a real browser: register, confirm through the mail, get the link
and .ics, cancel; the mails arrive at a real SMTP server."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from tests.browser.conftest import confirm_from_mail, register_in_card, wait_idle

pytestmark = pytest.mark.browser

ZOOM = "https://zoom.us/j/00000000000"


def test_register_confirm_download_ics_and_cancel(seed_app, page, tmp_path, smtp_server):
    page.goto(seed_app + "/")
    page.get_by_text("Nächste Termine").wait_for(timeout=30_000)
    wait_idle(page)
    # The link is nowhere in the page before registering.
    assert ZOOM not in page.content()

    card = page.locator("[class*='st-key-meeting-']").filter(has_text="Mo, 06.12.2021").first
    register_in_card(card, "Erika Beispiel", "Erika@Example.org", "Dorfverein Kitzscher")
    page.get_by_text("Bitte bestätigen Sie Ihre Anmeldung").wait_for(timeout=30_000)
    assert ZOOM not in page.content()  # no place and no link before the confirmation
    personal_link = confirm_from_mail(page, smtp_server, "Erika@example.org")
    page.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
    wait_idle(page)
    # The link's code block (with its copy button) renders a moment after the notice.
    page.get_by_text(ZOOM).first.wait_for(timeout=30_000)

    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("Termin in den Kalender")).click()
    download = info.value
    ics_path = tmp_path / "termin.ics"
    download.save_as(ics_path)
    ics = ics_path.read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and "TZID=Europe/Berlin:20211206T170000" in ics
    assert ZOOM in ics

    # Another visitor, in another session at the same moment, sees no link anywhere.
    other = page.context.browser.new_context()
    other_page = other.new_page()
    other_page.goto(seed_app + "/")
    other_page.get_by_text("Nächste Termine").wait_for(timeout=30_000)
    wait_idle(other_page)
    assert ZOOM not in other_page.content()
    other.close()

    # The mail with the Zoom link arrives, its calendar file parses.
    confirmed = smtp_server.wait_for("Erika@example.org", 2)[1]
    assert ZOOM in confirmed.text and confirmed.personal_link() == personal_link
    event = Calendar.from_ical(confirmed.attachment()).walk("VEVENT")[0]
    assert str(event["status"]) == "CONFIRMED"

    page.goto(personal_link)
    page.get_by_text("Ihre Angaben").wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_text(ZOOM).first.wait_for(timeout=30_000)
    assert "Erika Beispiel" in page.inner_text("body")
    page.get_by_role("button", name="Anmeldung stornieren").click()
    page.get_by_role("button", name="Ja, abmelden").click()
    page.get_by_text("Sie sind abgemeldet").wait_for(timeout=30_000)
    wait_idle(page)
    assert ZOOM not in page.inner_text("body")
    assert "Abmeldung" in smtp_server.wait_for("Erika@example.org", 3)[2].subject

    # Opened again later, the link shows a cancelled registration and no meeting link.
    page.goto(personal_link)
    page.get_by_text("Sie haben sich abgemeldet").wait_for(timeout=30_000)
    assert ZOOM not in page.content()


def test_wrong_token_reveals_nothing(seed_app, page):
    page.goto(seed_app + "/meine-anmeldung?token=erraten")
    page.get_by_text("Dieser Link ist ungültig").wait_for(timeout=30_000)
    wait_idle(page)
    assert ZOOM not in page.content()


def test_register_with_the_keyboard_only_at_phone_width(seed_app, browser, smtp_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(seed_app + "/")
        page.get_by_text("Nächste Termine").wait_for(timeout=30_000)
        wait_idle(page)
        card = page.locator("[class*='st-key-meeting-']").filter(has_text="Mo, 06.12.2021").first
        card.locator("summary").filter(has_text="Anmelden").focus()
        page.keyboard.press("Enter")  # opens the expander
        name = card.get_by_role("textbox", name="Name")
        name.wait_for(timeout=10_000)
        name.focus()
        page.keyboard.type("Karl Tastatur")
        page.keyboard.press("Tab")
        page.keyboard.type("karl@example.org")
        consent = card.get_by_role("checkbox")
        consent.focus()
        page.keyboard.press("Space")
        card.get_by_role("button", name="Verbindlich anmelden").focus()
        page.keyboard.press("Enter")
        page.get_by_text("Bitte bestätigen Sie Ihre Anmeldung").wait_for(timeout=30_000)
        [request] = smtp_server.wait_for("karl@example.org")
        page.goto(request.personal_link())
        button = page.get_by_role("button", name="Anmeldung bestätigen")
        button.wait_for(timeout=30_000)
        wait_idle(page)
        button.focus()
        page.keyboard.press("Enter")
        page.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
        # The link's code block (with its copy button) renders a moment after the notice.
        page.get_by_text(ZOOM).first.wait_for(timeout=30_000)
    finally:
        context.close()
