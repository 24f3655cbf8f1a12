"""The team edits its own content in a real browser (issue #22): an admin adds a topic
field, renames another and archives a used one (the dashboard keeps it for the old
meeting, the forms no longer offer it), edits the start text and the imprint (a second
browser sees both at once), creates an account through the set-password link and
deactivates it (that organizer's open session ends on the next action).

Screenshots of the three team pages at 1280 and 390 px go to ``STAMMTISCH_SHOTS`` (or
the test's temporary folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from stammtisch.db import make_engine, session_scope
from stammtisch.models import Organizer, TopicField
from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import SEED_NOW, log_in, mail_env, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"
BERT_PASSWORD = "bert-sein-eigenes-passwort"
TIMEOUT = 60_000
TEAM_PAGES = {
    "Themenfelder verwalten": "themenfelder",
    "Seitentexte": "seitentexte",
    "Team-Konten": "team-konten",
}


def _context(browser, width: int = 1280):
    return browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")


def _open(page, link: str, heading: str) -> None:
    """Follow a navigation link and wait until its page is drawn."""
    page.get_by_role("link", name=link, exact=True).first.click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=TIMEOUT)
    wait_idle(page)


def _goto(page, url: str, text: str) -> None:
    page.goto(url)
    page.get_by_text(text).first.wait_for(timeout=TIMEOUT)
    wait_idle(page)


def _wait_text(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=TIMEOUT)
    wait_idle(page)


def _topic_box(page, db_url: str, name: str):
    """The box of one topic field on "Themenfelder verwalten" (keyed by the field's id)."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        field_id = s.exec(select(TopicField.id).where(TopicField.name == name)).one()
    engine.dispose()
    return page.locator(f".st-key-topic-{field_id}")


def _options(page, label: str) -> list[str]:
    """The choices a selection box offers (opened and closed again)."""
    page.get_by_role("combobox", name=label).first.click()
    page.get_by_role("option").first.wait_for(timeout=TIMEOUT)
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return options


def _shots(page, folder: Path, name: str, heading: str) -> None:
    """The team page at 1280 and at 390 px wide, whole: Streamlit scrolls inside its main
    area, so the window is made as tall as the page for the picture."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=TIMEOUT)
        wait_idle(page)
        page.wait_for_timeout(700)  # layout settles after the resize
        height = page.evaluate(
            "() => Math.max(...['[data-testid=\"stMain\"]', '[data-testid=\"stAppViewContainer\"]']"
            ".map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"
        )
        page.set_viewport_size({"width": width, "height": min(max(900, height + 40), 12_000)})
        page.wait_for_timeout(700)
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    wait_idle(page)


def test_the_team_edits_its_own_content(tmp_path, browser, smtp_server):
    shots = Path(os.environ.get("STAMMTISCH_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp_path / 'content.db'}"
    env = {
        "DATABASE_URL": db_url,
        "STAMMTISCH_NOW": SEED_NOW,
        **mail_env(tmp_path, smtp_server),
    }
    # The first admin comes from the command line.
    subprocess.run(
        [
            *(sys.executable, "-m", "stammtisch", "organizer", "add", "leon", "--admin"),
            *("--password-stdin", "--display-name", "Leon"),
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
    )
    proc, base = start_app(env, log=tmp_path / "server.log")
    admin_ctx, visitor_ctx, bert_ctx = _context(browser), _context(browser), _context(browser)
    admin, visitor, bert = admin_ctx.new_page(), visitor_ctx.new_page(), bert_ctx.new_page()
    try:
        log_in(admin, base, "leon", PASSWORD, "Leon")
        # The team's start page says what the imprint lacks, until it is filled in.
        admin.get_by_text("Im Impressum fehlt noch").first.wait_for(timeout=TIMEOUT)

        # --- topic fields -------------------------------------------------------------
        _open(admin, "Themenfelder verwalten", "Themenfelder verwalten")
        admin.get_by_text("Themenfeld anlegen", exact=True).first.click()
        admin.get_by_role("textbox", name="Name", exact=True).first.wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        new_box = admin.locator(".st-key-topic-new-open")
        new_box.get_by_role("textbox", name="Name", exact=True).fill("Wasser im Revier")
        new_box.get_by_role("textbox", name="Beschreibung (freiwillig)").fill(
            "Tagebauseen und **Grundwasser**."
        )
        new_box.get_by_role("button", name="Themenfeld anlegen").click()
        _wait_text(admin, "Themenfeld „Wasser im Revier“ angelegt")

        mobility = _topic_box(admin, db_url, "Mobilität und lokale Infrastruktur")
        mobility.get_by_text("Umbenennen und beschreiben").click()
        mobility.get_by_role("textbox", name="Name", exact=True).wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        mobility.get_by_role("textbox", name="Name", exact=True).fill("Mobilität & Orte")
        # Commit the field before the click: on a machine under heavy load the click right
        # after typing has twice ended without the confirmation (cause not yet found).
        mobility.get_by_role("textbox", name="Name", exact=True).press("Tab")
        wait_idle(admin)
        mobility.get_by_role("button", name="Änderungen speichern").click()
        _wait_text(admin, "„Mobilität & Orte“ gespeichert.")

        # Klimaschutz is the held meeting's field: archived after a question, not deleted.
        klima = _topic_box(admin, db_url, "Klimaschutz & Energiewende")
        assert klima.get_by_role("button", name="Löschen").count() == 0
        klima.get_by_role("button", name="Archivieren").click()
        admin.get_by_role("button", name="Ja, archivieren").wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        admin.get_by_role("button", name="Ja, archivieren").click()
        _wait_text(admin, "„Klimaschutz & Energiewende“ archiviert")
        admin.get_by_role("heading", name="Archiviert (1)").wait_for(timeout=TIMEOUT)
        _shots(admin, shots, TEAM_PAGES["Themenfelder verwalten"], "Themenfelder verwalten")

        # The dashboard still knows the archived field for the old meeting.
        _open(admin, "Auswertung", "Auswertung")
        options = _options(admin, "Themenfeld")
        assert "Klimaschutz & Energiewende (archiviert)" in options
        assert "Mobilität & Orte" in options and "Wasser im Revier" in options
        admin.get_by_role("combobox", name="Themenfeld").first.click()
        admin.get_by_role("option", name="Klimaschutz & Energiewende (archiviert)").click()
        admin.get_by_role("heading", name=re.compile(r"Letztes Treffen: .*Klimaschutz")).wait_for(
            timeout=TIMEOUT
        )

        # A visitor's forms no longer offer it; the new and the renamed field are there.
        _goto(visitor, base + "/themensammlung", "Vorschlag einreichen")
        offered = _options(visitor, "Themenfeld")
        assert "Klimaschutz & Energiewende" not in offered
        assert "Mobilität & Orte" in offered and "Wasser im Revier" in offered

        # --- page texts ---------------------------------------------------------------
        _open(admin, "Seitentexte", "Seitentexte")
        about = admin.get_by_role("textbox", name="„Worum geht's?“")
        about.fill("Wir treffen uns **jeden Monat** online.\n\nUnd reden über den Wandel.")
        about.blur()
        preview = admin.locator(".st-key-preview-start")
        preview.locator("strong", has_text="jeden Monat").wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        admin.get_by_role("button", name="Speichern", exact=True).click()
        _wait_text(admin, "Gespeichert: „Worum geht's?“")
        _goto(visitor, base + "/", "Worum geht's?")
        visitor.locator("strong", has_text="jeden Monat").first.wait_for(timeout=TIMEOUT)

        admin.locator("[data-testid='stButtonGroup']").get_by_text("Impressum", exact=True).click()
        admin.get_by_role("textbox", name="Registereintrag (Impressum)").wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        for label, value in (
            ("E-Mail-Adresse für Kontakt", "stammtisch@example.org"),
            ("Vertretungsberechtigte (Impressum)", "Vorstand: A. Beispiel"),
            ("Registereintrag (Impressum)", "Amtsgericht Dresden, VR 1234"),
            ("Verantwortlich für den Inhalt (Impressum)", "A. Beispiel, 01067 Dresden"),
        ):
            box = admin.get_by_role("textbox", name=label, exact=True)
            box.fill(value)
            box.blur()
            wait_idle(admin)
        admin.get_by_role("button", name="Speichern", exact=True).click()
        _wait_text(admin, "Gespeichert:")
        assert admin.get_by_text("Im Impressum fehlt noch").count() == 0
        _shots(admin, shots, TEAM_PAGES["Seitentexte"], "Seitentexte")
        _goto(visitor, base + "/impressum", "Anbieter")
        visitor.get_by_text("Amtsgericht Dresden, VR 1234").wait_for(timeout=TIMEOUT)
        visitor.get_by_role("heading", name="Verantwortlich für den Inhalt").wait_for(
            timeout=TIMEOUT
        )

        # --- a team account through its one-time link ---------------------------------
        _open(admin, "Team-Konten", "Team-Konten")
        admin.get_by_text("Konto anlegen", exact=True).first.click()
        add = admin.locator(".st-key-team-add-open")
        add.get_by_role("textbox", name="Anmeldename").wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        add.get_by_role("textbox", name="Anmeldename").fill("bert")
        add.get_by_role("textbox", name="Anzeigename").fill("Bert Beispiel")
        add.get_by_role("textbox", name=re.compile("^E-Mail-Adresse")).fill("bert@example.org")
        add.get_by_role("button", name="Konto anlegen und Link senden").click()
        _wait_text(admin, "Konto „bert“ angelegt.")
        shown = admin.locator("[data-testid='stCode']").inner_text()
        admin.screenshot(path=str(shots / "team-konten-link-1280.png"))  # shown this once
        [mail] = smtp_server.wait_for("bert@example.org")
        [link] = [url for url in mail.links() if "passwort-festlegen?token=" in url]
        assert link.rstrip(".") in shown

        _goto(bert, link.rstrip("."), "Passwort festlegen")
        bert.get_by_role("textbox", name=re.compile("^Neues Passwort")).fill(BERT_PASSWORD)
        bert.get_by_role("textbox", name="Passwort wiederholen").fill(BERT_PASSWORD)
        bert.get_by_role("button", name="Passwort speichern").click()
        _wait_text(bert, "Ihr Passwort ist gespeichert, Bert Beispiel")
        log_in(bert, base, "bert", BERT_PASSWORD, "Bert Beispiel")
        _open(bert, "Themenfelder verwalten", "Themenfelder verwalten")

        admin.reload()
        admin.get_by_role("heading", name="Konten (2)").wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        engine = make_engine(db_url)
        with session_scope(engine) as s:
            bert_id = s.exec(select(Organizer.id).where(Organizer.name == "bert")).one()
        engine.dispose()
        bert_box = admin.locator(f".st-key-account-{bert_id}")
        bert_box.get_by_role("button", name="Deaktivieren").click()
        admin.get_by_role("button", name="Ja, deaktivieren").wait_for(timeout=TIMEOUT)
        wait_idle(admin)
        admin.get_by_role("button", name="Ja, deaktivieren").click()
        _wait_text(admin, "„bert“ ist deaktiviert.")
        _shots(admin, shots, TEAM_PAGES["Team-Konten"], "Team-Konten")

        # Bert's open session ends on the next action: the login, and no team page.
        bert.get_by_role("button", name="Nach unten").first.click()
        bert.get_by_role("heading", name="Anmeldung für das Team").wait_for(timeout=TIMEOUT)
        wait_idle(bert)
        assert bert.get_by_text("Angemeldet als Bert Beispiel").count() == 0
        assert bert.get_by_role("link", name="Themenfelder verwalten").count() == 0
    finally:
        for ctx in (admin_ctx, visitor_ctx, bert_ctx):
            ctx.close()
        stop_app(proc)
