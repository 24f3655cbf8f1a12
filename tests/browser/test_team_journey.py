"""The organizer journey in a real browser: log in, create a meeting, open registration,
a visitor registers, the Zoom report is imported after the meeting, attendance shows."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import (
    confirm_from_mail,
    log_in,
    mail_env,
    register_in_card,
    wait_idle,
)

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"


def _login(page, base):
    log_in(page, base, "leon", PASSWORD, "Leon")


def _choose(page, label, option):
    page.get_by_role("combobox", name=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_team_journey(tmp_path, browser, smtp_server):
    db_url = f"sqlite:///{tmp_path / 'team.db'}"
    env = {
        "DATABASE_URL": db_url,
        "STAMMTISCH_NOW": "2021-11-20T12:00:00+01:00",
        **mail_env(tmp_path, smtp_server),
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "stammtisch",
            "organizer",
            "add",
            "leon",
            "--password-stdin",
            "--display-name",
            "Leon",
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin"},
    )
    proc, base = start_app(env)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    page = context.new_page()
    try:
        _login(page, base)
        page.get_by_role("link", name="Termine verwalten").click()
        page.get_by_role("tab", name="Termin bearbeiten").wait_for(timeout=30_000)
        wait_idle(page)
        page.get_by_role("tab", name="Termin bearbeiten").click()
        page.get_by_role("textbox", name="Thema").fill("Wasser im Revier")
        _choose(page, "Anmeldung", "offen")
        # Streamlit's date field has day / month / year segments; type into the first.
        page.get_by_role("spinbutton", name="day, Datum").first.click()
        page.keyboard.type("29112021")
        page.keyboard.press("Tab")
        page.get_by_role("textbox", name="Zoom-Link (sehen nur Angemeldete)").fill(
            "https://zoom.us/j/555"
        )
        page.get_by_role("button", name="Termin anlegen").click()
        page.get_by_text("Gespeichert.").wait_for(timeout=30_000)

        # A visitor (another browser context) registers on the public page.
        visitor = browser.new_context(viewport={"width": 390, "height": 900}, locale="de-DE")
        vpage = visitor.new_page()
        vpage.goto(base + "/")
        card = vpage.locator("[class*='st-key-meeting-']").filter(has_text="Wasser im Revier").first
        card.wait_for(timeout=30_000)
        wait_idle(vpage)
        register_in_card(card, "Erika Beispiel", "erika@example.org")
        vpage.get_by_text("Bitte bestätigen Sie Ihre Anmeldung").wait_for(timeout=30_000)
        confirm_from_mail(vpage, smtp_server, "erika@example.org")
        vpage.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
        vpage.get_by_text("https://zoom.us/j/555").first.wait_for(timeout=30_000)
        visitor.close()
    finally:
        context.close()
        stop_app(proc)

    # After the meeting: the same database, the clock a day later.
    report = tmp_path / "zoom.csv"
    report.write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        "Erika B (Erika Beispiel),ERIKA@example.org,x,y,40,Yes\n"
        "Erika B (Erika Beispiel),erika@example.org,x,y,45,Yes\n"
        "Gast ohne Anmeldung,,x,y,80,Yes\n",
        encoding="utf-8",
    )
    proc, base = start_app({**env, "STAMMTISCH_NOW": "2021-11-30T10:00:00+01:00"})
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="de-DE")
    page = context.new_page()
    try:
        _login(page, base)
        page.get_by_role("link", name="Anmeldungen & Teilnahme").click()
        page.get_by_text("Teilnahme aus Zoom übernehmen").wait_for(timeout=30_000)
        wait_idle(page)
        _choose(page, "Termin", "Mo, 29.11.2021, 17:00–18:30 Uhr – Wasser im Revier")
        # The uploader belongs to the chosen meeting: wait until the page shows it.
        page.get_by_text("1 Anmeldung", exact=True).wait_for(timeout=60_000)
        wait_idle(page)
        page.locator("input[type=file]").set_input_files(str(report))
        page.get_by_text("1 zugeordnet, 1 ohne Anmeldung").wait_for(timeout=60_000)
        page.get_by_role("button", name="Teilnahme übernehmen").click()
        page.get_by_text("Übernommen: 1 Teilnehmende mit Anmeldung, 1 ohne Anmeldung.").wait_for(
            timeout=30_000
        )
        wait_idle(page)
        body = page.inner_text("body")
        assert "Davon 1 ohne Anmeldung" in body
        metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert metrics[3] == "2"  # one registered + one without registration
    finally:
        context.close()
        stop_app(proc)


def test_first_visitor_after_restart_cannot_open_team_pages_by_url(tmp_path, browser):
    """Regression: Streamlit's legacy pages/ routing must not serve a page before app.py."""
    proc, base = start_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'cold.db'}", "STAMMTISCH_NOW": "2021-11-20T12:00"}
    )
    context = browser.new_context()
    page = context.new_page()
    try:
        # File names are no addresses; a team page's address shows the login, nothing else.
        for path, shows in (
            ("/orga_protokoll", "Nächste Termine"),
            ("/orga_anmeldungen", "Nächste Termine"),
            ("/team-protokoll", "Anmeldung für das Team"),
        ):
            page.goto(base + path)
            page.get_by_text(shows).first.wait_for(timeout=30_000)
            wait_idle(page)
            body = page.inner_text("body")
            assert "Änderungsprotokoll" not in body and "orga_" not in body
    finally:
        context.close()
        stop_app(proc)
