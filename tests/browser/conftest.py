"""Real-browser fixtures: ``streamlit run`` on a free port, driven by Playwright + Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.appserver import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app

SEED_NOW = "2021-11-20T12:00:00+01:00"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM} (make test installs it)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def mail_env(tmp_path, smtp_server) -> dict[str, str]:
    """Settings for an app whose mails go to the test's SMTP server."""
    return {
        "STAMMTISCH_SMTP_URL": smtp_server.url,
        "STAMMTISCH_OUTBOX_DIR": str(tmp_path / "outbox"),
        "STAMMTISCH_MAIL_FROM": "Strukturwandel-Stammtisch <stammtisch@example.org>",
    }


@pytest.fixture
def seed_app_db(tmp_path, smtp_server) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of the app on a fresh seeded SQLite database; its mails
    reach ``smtp_server``."""
    db_url = f"sqlite:///{tmp_path / 'browser.db'}"
    proc, base = start_app(
        {"DATABASE_URL": db_url, "STAMMTISCH_NOW": SEED_NOW, **mail_env(tmp_path, smtp_server)}
    )
    try:
        yield base, db_url
    finally:
        stop_app(proc)


@pytest.fixture
def seed_app(seed_app_db) -> str:
    """The app (``streamlit run app.py``) at the time of the original page."""
    return seed_app_db[0]


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="de-DE", accept_downloads=True
    )
    pg = context.new_page()
    yield pg
    context.close()


def register_in_card(card, name: str, email: str, organisation: str | None = None) -> None:
    """Fill in and send the registration form of one meeting card on the start page."""
    card.get_by_text("Anmelden", exact=True).click()
    card.get_by_role("textbox", name="Name").fill(name)
    card.get_by_role("textbox", name="E-Mail-Adresse").fill(email)
    if organisation:
        card.get_by_role("textbox", name="Organisation oder Initiative (freiwillig)").fill(
            organisation
        )
    card.get_by_text("Ich bin einverstanden", exact=False).click()
    card.get_by_role("button", name="Verbindlich anmelden").click()


def confirm_from_mail(page, smtp_server, address: str) -> str:
    """Open the link from the confirmation mail to ``address`` and press the button, as the
    person would; returns the personal link."""
    [request] = smtp_server.wait_for(address)
    link = request.personal_link()
    page.goto(link)
    page.get_by_role("button", name="Anmeldung bestätigen").wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    return link


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )


def log_in(page, base: str, name: str, password: str, display_name: str) -> None:
    """The organizer login form, as a person fills it in."""
    page.goto(base + "/login")
    page.get_by_role("textbox", name="Anmeldename").wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("textbox", name="Anmeldename").fill(name)
    page.get_by_role("textbox", name="Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text(f"Angemeldet als {display_name}").first.wait_for(timeout=30_000)
    wait_idle(page)
