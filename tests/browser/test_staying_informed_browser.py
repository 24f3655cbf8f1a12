"""Staying informed in a real browser, with the SMTP test server: subscribe, confirm via
the mail's link, the team opens registration, the mail arrives, one-click unsubscribe;
"Link verloren?"; the team's message reaches exactly the chosen group."""

from __future__ import annotations

import urllib.request

import pytest
from sqlmodel import select

from stammtisch import subscriptions
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope, write_transaction
from stammtisch.models import Meeting, Subscription
from tests import factories as f
from tests.browser.conftest import SEED_NOW, log_in, wait_idle

pytestmark = pytest.mark.browser

NOT_OPEN_MEETING = 3
OPEN_MEETING = 2


def _subscriptions(db_url) -> list[Subscription]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rows = list(s.exec(select(Subscription)).all())
    engine.dispose()
    return rows


def _confirm_link(received) -> str:
    return next(link for link in received.links() if "bestaetigen=" in link)


def _open_registration(db_url, base: str, meeting_id: int, monkeypatch) -> None:
    """The team opens registration (the editor's service, in its own transaction, with
    the app's settings: links in mails point to the app)."""
    from tests.domain.test_subscriptions import open_registration

    monkeypatch.setenv("STAMMTISCH_BASE_URL", base)
    engine = make_engine(db_url)
    open_registration(engine, parse_instant(SEED_NOW), meeting_id)
    engine.dispose()


def test_subscribe_confirm_registration_opens_and_one_click_unsubscribe(
    seed_app_db, browser, smtp_server, monkeypatch, tmp_path
):
    base, db_url = seed_app_db
    shots = tmp_path / "shots"  # pytest's own directory: CI writes nothing outside it
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = phone.new_page()
    try:
        # "Tell me when registration opens", on the start page, on a phone.
        page.goto(base)
        card = page.locator(f".st-key-meeting-{NOT_OPEN_MEETING}")
        card.get_by_text("Benachrichtigen, sobald die Anmeldung öffnet").click()
        card.get_by_role("textbox", name="E-Mail-Adresse").fill("kim@example.org")
        card.get_by_text("Ja, ich möchte dazu per E-Mail benachrichtigt werden").click()
        shots.mkdir()
        page.screenshot(path=str(shots / "benachrichtigen-390.png"), full_page=False)
        card.get_by_role("button", name="Benachrichtigen").click()
        page.get_by_text("Fast geschafft").wait_for(timeout=30_000)
        # Announcements for everything, from another address, on the page of their own.
        page.goto(base + "/benachrichtigung")
        page.get_by_role("textbox", name="E-Mail-Adresse").fill("news@example.org")
        page.get_by_text("Ja, ich möchte dazu per E-Mail benachrichtigt werden").click()
        page.screenshot(path=str(shots / "neue-termine-390.png"), full_page=True)
        page.get_by_role("button", name="Benachrichtigen").click()
        page.get_by_text("Fast geschafft").wait_for(timeout=30_000)
        assert {s.status for s in _subscriptions(db_url)} == {"pending"}

        # Each confirms through the link in the mail: opening shows a button.
        for address in ("kim@example.org", "news@example.org"):
            [request] = smtp_server.wait_for(address)
            assert "bestätigen" in request.subject
            assert request.message["List-Unsubscribe"] is None
            page.goto(_confirm_link(request))
            page.get_by_role("button", name="Ja, bestätigen").click()
            page.get_by_text("Danke, bestätigt!").wait_for(timeout=30_000)
        assert {s.status for s in _subscriptions(db_url)} == {"confirmed"}

        # The team opens registration: both are told, kim's list for the meeting is gone.
        _open_registration(db_url, base, NOT_OPEN_MEETING, monkeypatch)
        opened = smtp_server.wait_for("kim@example.org", 2)[1]
        assert "ist offen" in opened.subject
        assert f"{base}/" in opened.links()
        news = smtp_server.wait_for("news@example.org", 2)[1]
        assert "ist offen" in news.subject
        assert [s.kind for s in _subscriptions(db_url)] == ["news"]

        # One click in the mail program: a POST to the List-Unsubscribe address.
        header = news.message["List-Unsubscribe"]
        assert news.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = header.strip().strip("<>")
        assert url.startswith(base + "/abbestellen?token=")
        answer = urllib.request.urlopen(
            urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST"),
            timeout=30,
        )
        assert answer.status == 200 and answer.read().decode() == "Abbestellt."
        assert _subscriptions(db_url) == []
        # The visible link leads to a page that says so.
        page.goto(next(link for link in news.links() if "abbestellen=" in link))
        page.get_by_text("schon abbestellt").wait_for(timeout=30_000)
    finally:
        phone.close()


def test_lost_link_same_answer_mails_only_the_registered_and_the_old_link_stops(
    seed_app_db, browser, smtp_server
):
    base, db_url = seed_app_db
    engine = make_engine(db_url)
    kim = f.register(
        engine, OPEN_MEETING, "kim", now=parse_instant(SEED_NOW), email="kim@example.org"
    )
    engine.dispose()
    smtp_server.wait_for("kim@example.org")  # the registration's own mail
    answers = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    try:
        for address in ("kim@example.org", "fremd@example.org"):
            page = context.new_page()
            page.goto(base)
            page.get_by_text("Link verloren?").click()
            page.get_by_role("textbox", name="E-Mail-Adresse").last.fill(address)
            page.get_by_role("button", name="Neuen Link schicken").click()
            box = page.locator(".st-key-lost-sent")
            box.wait_for(timeout=30_000)
            answers.append(box.locator('[data-testid="stAlertContainer"]').inner_text())
            page.close()
        assert answers[0] == answers[1]
        fresh = smtp_server.wait_for("kim@example.org", 2)[1]
        assert "persönlicher Link" in fresh.subject
        assert smtp_server.to("fremd@example.org") == []
        page = context.new_page()
        page.goto(f"{base}/meine-anmeldung?token={kim.token}")
        page.get_by_text("ungültig, abgelaufen oder durch einen neueren ersetzt").wait_for(
            timeout=30_000
        )
        page.goto(fresh.personal_link())
        page.get_by_text("Sie sind angemeldet").first.wait_for(timeout=30_000)
    finally:
        context.close()


def test_team_message_reaches_exactly_the_chosen_group(seed_app_db, browser, smtp_server):
    base, db_url = seed_app_db
    now = parse_instant(SEED_NOW)
    engine = make_engine(db_url)
    with session_scope(engine) as s, write_transaction(s):
        meeting = s.exec(select(Meeting).where(Meeting.id == OPEN_MEETING)).one()
        meeting.capacity = 1
        s.add(meeting)
    f.register(engine, OPEN_MEETING, "a", now=now, email="placed@example.org")
    f.register(engine, OPEN_MEETING, "b", now=now, email="waiting@example.org")
    f.organizer(engine, now=now, name="leon", display_name="Leon")
    engine.dispose()
    smtp_server.wait_for("waiting@example.org")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, base, "leon", f.PASSWORD, "Leon")
        page.get_by_role("link", name="Anmeldungen & Teilnahme").click()
        page.get_by_role("heading", name="Anmeldungen & Teilnahme").wait_for(timeout=30_000)
        wait_idle(page)
        page.get_by_text("Nachricht an die Angemeldeten").click()
        page.get_by_role("textbox", name="Betreff").fill("Hinweis vorab")
        page.get_by_role("textbox", name="Text").fill("Bitte halten Sie sich den Abend frei.")
        page.get_by_role("textbox", name="Betreff").click()  # leave the text area: it reruns
        wait_idle(page)
        option = page.get_by_role("option", name="Warteliste")
        for _ in range(3):  # a rerun that ends just then closes the list again
            page.get_by_role("combobox", name="An wen?").click()
            try:
                option.wait_for(timeout=5_000)
                break
            except Exception:
                wait_idle(page)
        option.click()
        page.keyboard.press("Escape")
        page.get_by_text("Geht an eine Person.").wait_for(timeout=30_000)
        page.get_by_role("button", name="Nachricht senden …").click()
        page.get_by_role("button", name="Ja, speichern und eine Person benachrichtigen").click()
        page.get_by_text("Die Nachricht ist im Postausgang: eine Mail.").wait_for(timeout=30_000)
        message = smtp_server.wait_for("waiting@example.org", 2)[1]
        assert message.subject.startswith("Strukturwandel-Stammtisch: Hinweis vorab")
        assert "Bitte halten Sie sich den Abend frei." in message.text
        page.wait_for_timeout(1000)
        assert [
            m.subject for m in smtp_server.to("placed@example.org") if "Hinweis" in m.subject
        ] == []
    finally:
        context.close()


def test_the_forms_are_hidden_from_meetings_that_are_open(seed_app, page):
    page.goto(seed_app)
    card = page.locator(f".st-key-meeting-{OPEN_MEETING}")
    card.wait_for(timeout=30_000)
    wait_idle(page)
    assert card.get_by_text("Benachrichtigen, sobald die Anmeldung öffnet").count() == 0
    assert subscriptions.SUBSCRIBED_MESSAGE not in page.inner_text("body")
