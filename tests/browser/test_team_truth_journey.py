"""The team's views tell the truth, walked in Chromium from a draft to the dashboard.

An organizer creates a meeting as a draft (no visitor sees it), publishes it, three
visitors register (two of them named Finn Albrecht), and after the meeting the Zoom report
names "Finn Albrecht" once: the import asks which Finn it was, counts him once, and the
dashboard's figures of the meeting equal a count straight from the database.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import urllib.request

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
THEME = "Wasser im Revier"
VISITORS = [
    ("Finn Albrecht", "finn.albrecht@example.org"),
    ("Finn Albrecht", "f.albrecht@example.org"),
    ("Erika Beispiel", "erika@example.org"),
]


def _choose(page, label, option):
    page.get_by_role("combobox", name=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _public_body(browser, base: str) -> str:
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(base + "/")
        page.locator("[class*='st-key-meeting-']").first.wait_for(timeout=30_000)
        wait_idle(page)
        return page.inner_text("body")
    finally:
        context.close()


def _independent_count(db_path) -> dict[str, int]:
    """The meeting's figures, counted with plain SQL (not the app's queries)."""
    with sqlite3.connect(db_path) as db:
        meeting_id, unregistered = db.execute(
            "SELECT id, unregistered_attendees FROM meeting WHERE theme = ?", (THEME,)
        ).fetchone()
        confirmed, attended, absent = db.execute(
            "SELECT count(*), sum(attendance = 'yes'), sum(attendance = 'no') "
            "FROM registration WHERE meeting_id = ? AND status = 'confirmed'",
            (meeting_id,),
        ).fetchone()
    return {
        "confirmed": confirmed,
        "attended_total": attended + (unregistered or 0),
        "no_show_percent": round(100 * absent / (attended + absent)),
    }


def test_draft_publish_register_import_ambiguous_name_dashboard(tmp_path, browser, smtp_server):
    db_path = tmp_path / "truth.db"
    env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "STAMMTISCH_NOW": "2021-11-20T12:00:00+01:00",
        **mail_env(tmp_path, smtp_server),
    }
    subprocess.run(
        [sys.executable, "-m", "stammtisch", "organizer", "add", "leon", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin"},
        capture_output=True,
    )
    proc, base = start_app(env)
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, base, "leon", PASSWORD, "leon")
        page.get_by_role("link", name="Termine verwalten").click()
        page.get_by_role("tab", name="Termin bearbeiten").wait_for(timeout=30_000)
        wait_idle(page)
        page.get_by_role("tab", name="Termin bearbeiten").click()
        page.get_by_role("textbox", name="Thema").fill(THEME)
        _choose(page, "Anmeldung", "offen")
        page.get_by_role("spinbutton", name="day, Datum").first.click()
        page.keyboard.type("29112021")
        page.keyboard.press("Tab")
        page.get_by_role("textbox", name="Zoom-Link (sehen nur Angemeldete)").fill(
            "https://zoom.us/j/555"
        )
        page.get_by_text("Nur als Entwurf anlegen", exact=False).click()
        page.get_by_role("button", name="Termin anlegen").click()
        page.get_by_text("Gespeichert.").wait_for(timeout=30_000)
        wait_idle(page)

        # A draft is the team's alone: not on the start page, not in the calendar feed.
        assert THEME not in _public_body(browser, base)
        with urllib.request.urlopen(base + "/kalender.ics", timeout=30) as answer:
            assert THEME not in answer.read().decode("utf-8")

        page.get_by_role("button", name="Veröffentlichen").click()
        page.get_by_text("Status: geplant").first.wait_for(timeout=30_000)
        wait_idle(page)
        assert THEME in _public_body(browser, base)

        # Three visitors register, each in a browser of their own; two share a name.
        for name, address in VISITORS:
            visitor = browser.new_context(viewport={"width": 390, "height": 900}, locale="de-DE")
            vpage = visitor.new_page()
            try:
                vpage.goto(base + "/")
                card = vpage.locator("[class*='st-key-meeting-']").filter(has_text=THEME).first
                card.wait_for(timeout=30_000)
                wait_idle(vpage)
                register_in_card(card, name, address)
                vpage.get_by_text("Bitte bestätigen Sie Ihre Anmeldung").wait_for(timeout=30_000)
                confirm_from_mail(vpage, smtp_server, address)
                vpage.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
            finally:
                visitor.close()
    finally:
        context.close()
        stop_app(proc)

    # The day after: the Zoom report names one Finn (without address), Erika and a guest.
    report = tmp_path / "zoom.csv"
    report.write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        "Finn Albrecht,,x,y,70,Yes\n"
        "Erika Beispiel,erika@example.org,x,y,80,Yes\n"
        "Gast ohne Anmeldung,,x,y,60,Yes\n",
        encoding="utf-8",
    )
    proc, base = start_app({**env, "STAMMTISCH_NOW": "2021-11-30T10:00:00+01:00"})
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, base, "leon", PASSWORD, "leon")
        page.get_by_role("link", name="Anmeldungen & Teilnahme").click()
        page.get_by_text("Teilnahme aus Zoom übernehmen").wait_for(timeout=30_000)
        wait_idle(page)
        _choose(page, "Termin", f"Mo, 29.11.2021, 17:00–18:30 Uhr – {THEME}")
        page.get_by_text("3 Anmeldungen", exact=True).wait_for(timeout=60_000)
        wait_idle(page)
        page.locator("input[type=file]").set_input_files(str(report))
        # The name fits two registrations: said, and nothing applied before it is answered.
        page.get_by_text("Diese Namen passen zu mehreren Anmeldungen").wait_for(timeout=60_000)
        wait_idle(page)
        assert page.get_by_role("button", name="Teilnahme übernehmen").is_disabled()
        page.get_by_role("combobox", name="„Finn Albrecht“ im Bericht ist …").click()
        page.get_by_role("option").filter(has_text="Finn Albrecht (Anmeldung Nr.").first.click()
        wait_idle(page)
        page.get_by_text("2 zugeordnet, 1 ohne Anmeldung").wait_for(timeout=60_000)
        page.get_by_role("button", name="Teilnahme übernehmen").click()
        page.get_by_text("Übernommen: 2 Teilnehmende mit Anmeldung, 1 ohne Anmeldung.").wait_for(
            timeout=30_000
        )
        wait_idle(page)

        expected = _independent_count(db_path)
        assert expected == {"confirmed": 3, "attended_total": 3, "no_show_percent": 33}

        page.get_by_role("link", name="Auswertung").click()
        page.get_by_text(f"Letztes Treffen: Mo, 29.11.2021 – {THEME}").wait_for(timeout=60_000)
        wait_idle(page)
        figures = dict(
            zip(
                page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                page.locator('[data-testid="stMetricValue"]').all_inner_texts(),
                strict=True,
            )
        )
        assert figures["Anmeldungen"] == str(expected["confirmed"])
        assert figures["Teilnahme"] == str(expected["attended_total"])
        assert figures["No-Show-Quote"] == f"{expected['no_show_percent']}%"
    finally:
        context.close()
        stop_app(proc)
