"""WCAG 2.1 AA on the public pages and on the team's pages with empty lists, in Chromium
at 1280 and 390 px: axe-core (no serious or critical finding), headings, labels, field
errors tied to their fields, confirmations that get the focus; and the document is German
from the first byte and after navigating.

One server for the module: the seed at the time of the original page (an open meeting,
and one more that is full, for the waitlist), registrations without the mail step (the
journey with the mail has its own tests), one organizer account and no other data, so
the team's lists are empty.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from stammtisch.db import make_engine, session_scope
from stammtisch.models import Meeting, RegistrationState
from tests.appserver import ROOT, start_app, stop_app
from tests.browser.a11y import focused_key, problems, report, settle, visit
from tests.browser.conftest import SEED_NOW, log_in, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"
WIDTHS = [1280, 390]
PAGES = [
    "/",
    "/themensammlung",
    "/impuls-anbieten",
    "/datenschutz",
    "/impressum",
    "/barrierefreiheit",
    "/login",
    "/meine-anmeldung?token=erraten",
    "/passwort-festlegen?token=erraten",
]
TEAM_PAGES = [
    "/team-auswertung",
    "/team-planung",
    "/team-termine",
    "/team-moderation",
    "/team-impulse",
    "/team-anmeldungen",
    "/team-datenschutz",
    "/team-postausgang",
    "/team-themenfelder",
    "/team-seitentexte",
    "/team-konten",
    "/team-protokoll",
    "/login",
]
FULL_THEME = "Kreislaufwirtschaft"


def _make_one_meeting_full(db_url: str) -> None:
    """The first meeting of 2022: open, one place, taken."""
    from stammtisch import registrations

    engine = make_engine(db_url)
    now = datetime.fromisoformat(SEED_NOW)
    with session_scope(engine) as s:
        meeting = min(
            (m for m in s.exec(select(Meeting)).all() if m.starts_at.year == 2022),
            key=lambda m: m.starts_at,
        )
        meeting.registration_state = RegistrationState.OPEN
        meeting.capacity = 1
        meeting.theme = FULL_THEME
        s.commit()
        meeting_id = meeting.id
    with session_scope(engine) as s:
        registrations.register(
            session=s,
            meeting_id=meeting_id,
            data=registrations.RegistrationInput(
                name="Ada Platz", email="ada@example.org", consent=True
            ),
            now=now,
            confirmation=False,
        )
    engine.dispose()


@pytest.fixture(scope="module")
def public_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a11y-public")
    db_url = f"sqlite:///{tmp / 'a11y.db'}"
    env = {
        "DATABASE_URL": db_url,
        "STAMMTISCH_NOW": SEED_NOW,
        "STAMMTISCH_OUTBOX_DIR": str(tmp / "outbox"),
        "STAMMTISCH_CONFIRM_REGISTRATIONS": "0",
    }
    cli = [sys.executable, "-m", "stammtisch"]
    run_env = {**env, "PATH": "/usr/bin"}
    subprocess.run(
        [*cli, "organizer", "add", "leon", "--password-stdin", "--display-name", "Leon"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=run_env,
        capture_output=True,
    )
    _make_one_meeting_full(db_url)
    proc, base = start_app(env, log=tmp / "server.log")
    try:
        yield base
    finally:
        stop_app(proc)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def page_at(request, browser):
    context = browser.new_context(viewport={"width": request.param, "height": 900}, locale="de-DE")
    page = context.new_page()
    yield page
    context.close()


def _open(page, url: str) -> None:
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=30_000)
    wait_idle(page)


def _card(page, text: str):
    return page.locator("[class*='st-key-meeting-']").filter(has_text=text).first


def test_every_public_page_as_it_opens(public_app, page_at):
    found = {}
    for path in PAGES:
        visit(page_at, public_app, path)
        found[path] = problems(page_at)
        if path == "/themensammlung":  # the seed has no suggestions: the empty list
            assert "Noch keine veröffentlichten Vorschläge" in page_at.inner_text("body")
    assert not any(found.values()), report(found)


def test_registration_form_errors_confirmation_and_waitlist(public_app, page_at):
    width = page_at.viewport_size["width"]
    found = {}
    _open(page_at, public_app + "/")
    card = _card(page_at, "Mo, 06.12.2021")
    card.locator("summary").filter(has_text="Anmelden").click()
    card.get_by_role("textbox", name="Name").wait_for(timeout=10_000)
    found["Formular offen"] = problems(page_at)

    card.get_by_role("button", name="Verbindlich anmelden").click()
    card.get_by_text("Bitte geben Sie Ihren Namen an").wait_for(timeout=30_000)
    found["Formular mit Fehlern"] = problems(page_at, errors_expected=True)

    card.get_by_role("textbox", name="Name").fill("Erika Beispiel")
    card.get_by_role("textbox", name="E-Mail-Adresse").fill(f"erika{width}@example.org")
    card.get_by_text("Ich bin einverstanden", exact=False).click()
    card.get_by_role("button", name="Verbindlich anmelden").click()
    page_at.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
    found["Bestätigung"] = problems(page_at)
    assert focused_key(page_at).endswith("-sent"), "die Bestätigung hat den Fokus nicht"
    link = page_at.locator("[data-testid='stCode']").filter(has_text="meine-anmeldung").first
    personal = link.inner_text().strip()

    full = _card(page_at, FULL_THEME)
    full.locator("summary").filter(has_text="Anmelden").click()
    full.get_by_text("Alle 1 Plätze sind vergeben").wait_for(timeout=30_000)
    found["Warteliste, Formular"] = problems(page_at)
    full.get_by_role("textbox", name="Name").fill("Wanda Warte")
    full.get_by_role("textbox", name="E-Mail-Adresse").fill(f"wanda{width}@example.org")
    full.get_by_text("Ich bin einverstanden", exact=False).click()
    full.get_by_role("button", name="Auf die Warteliste setzen").click()
    page_at.get_by_text("Sie stehen auf der Warteliste auf Position").wait_for(timeout=30_000)
    found["Warteliste, Position"] = problems(page_at)
    assert focused_key(page_at).endswith("-sent"), "die Warteposition hat den Fokus nicht"

    _open(page_at, personal)
    page_at.get_by_text("Ihre Angaben").wait_for(timeout=30_000)
    found["Meine Anmeldung"] = problems(page_at)
    page_at.get_by_role("button", name="Anmeldung stornieren").click()
    page_at.get_by_role("button", name="Ja, abmelden").wait_for(timeout=30_000)
    found["Meine Anmeldung, Rückfrage"] = problems(page_at)
    page_at.get_by_role("button", name="Ja, abmelden").click()
    page_at.get_by_text("Sie sind abgemeldet").wait_for(timeout=30_000)
    found["Meine Anmeldung, abgemeldet"] = problems(page_at)
    assert focused_key(page_at) == "registration-status"
    assert not any(found.values()), report(found)


def test_suggestion_and_offer_forms_with_errors_and_confirmation(public_app, page_at):
    found = {}
    _open(page_at, public_app + "/themensammlung")
    page_at.get_by_role("button", name="Vorschlag senden").click()
    page_at.get_by_text("Ihr Vorschlag ist zu kurz").or_(
        page_at.get_by_text("Bitte geben Sie")
    ).first.wait_for(timeout=30_000)
    found["Vorschlag mit Fehlern"] = problems(page_at, errors_expected=True)
    page_at.get_by_role("textbox", name="Ihr Vorschlag").fill(
        f"Wie kommen Dörfer ohne Auto zum Stammtisch? ({page_at.viewport_size['width']})"
    )
    page_at.get_by_role("button", name="Vorschlag senden").click()
    page_at.get_by_text("Danke! Ihr Vorschlag ist angekommen").wait_for(timeout=30_000)
    found["Vorschlag gesendet"] = problems(page_at)
    assert focused_key(page_at) == "suggest-sent"

    _open(page_at, public_app + "/impuls-anbieten")
    page_at.get_by_role("button", name="Angebot senden").click()
    page_at.get_by_text("Bitte geben Sie einen Titel an").wait_for(timeout=30_000)
    found["Angebot mit Fehlern"] = problems(page_at, errors_expected=True)

    _open(page_at, public_app + "/login")
    page_at.get_by_role("textbox", name="Anmeldename").fill("leon")
    page_at.get_by_role("textbox", name="Passwort").fill("falsch-falsch-falsch")
    page_at.get_by_role("button", name="Anmelden").click()
    page_at.locator("[data-testid='stAlertContentError']").first.wait_for(timeout=30_000)
    found["Login mit Fehler"] = problems(page_at)
    assert not any(found.values()), report(found)


def test_team_pages_with_empty_lists(public_app, page_at):
    log_in(page_at, public_app, "leon", PASSWORD, "Leon")
    found = {}
    for path in TEAM_PAGES:
        visit(page_at, public_app, path)
        found[path] = problems(page_at)
    assert not any(found.values()), report(found)


def _get(base: str, path: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/themensammlung", "/team-auswertung", "/kein-pfad"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_the_first_byte_says_german(public_app, path, encoding):
    headers, body = _get(
        public_app,
        path,
        {"Accept": "text/html,application/xhtml+xml", "Accept-Encoding": encoding},
    )
    assert headers["content-type"].startswith("text/html")
    assert "content-encoding" not in headers
    html = body.decode("utf-8")
    assert '<html lang="de">' in html and 'lang="en"' not in html
    assert "<title>Strukturwandel-Stammtisch</title>" in html


def test_the_document_stays_german_after_navigating(public_app, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        _open(page, public_app + "/")
        page.evaluate("window.sameDocument = true")
        for name, heading in (
            ("Themensammlung", "Themensammlung"),
            ("Barrierefreiheit", "Erklärung zur Barrierefreiheit"),
            ("Termine", "Strukturwandel-Stammtisch"),
        ):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
            page.get_by_role("heading", level=1, name=heading).wait_for(timeout=30_000)
            settle(page)
            # Navigating inside the app keeps the document; it stays German.
            assert page.evaluate("window.sameDocument") is True
            assert page.evaluate("document.documentElement.lang") == "de"
        # Streamlit's English names for screen readers are German; its visible English
        # text (the skip link) is marked as English.
        names = page.evaluate(
            "Array.from(document.querySelectorAll('[aria-label]'),"
            " e => e.getAttribute('aria-label'))"
        )
        assert "Hauptmenü" in names and "Seiten" in names
        assert not {"Main menu", "App pages", "Collapse sidebar", "Sidebar"} & set(names)
        skip = page.get_by_role("link", name="Skip to main content")
        assert skip.get_attribute("lang") == "en"
    finally:
        context.close()
