"""A Zoom report whose cell is a Markdown image, uploaded on the team page in Chromium:
the error quotes the cell as text, and the organizer's browser asks no other host."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import SEED_NOW, log_in, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"
TRACKER = "http://tracker.example/x"


def test_an_image_in_a_zoom_report_is_shown_as_text_and_never_fetched(tmp_path, browser):
    db_url = f"sqlite:///{tmp_path / 'import.db'}"
    env = {
        "DATABASE_URL": db_url,
        "STAMMTISCH_NOW": SEED_NOW,
        "STAMMTISCH_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    subprocess.run(
        [sys.executable, "-m", "stammtisch", "organizer", "add", "leon", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin"},
    )
    report = tmp_path / "zoom.csv"
    report.write_text(
        "Name (Original Name),User Email,Duration (Minutes)\n"
        f"Erika Beispiel,erika@example.org,![]({TRACKER})\n",
        encoding="utf-8",
    )
    proc, base = start_app(env)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    page = context.new_page()
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or ""))
    try:
        log_in(page, base, "leon", PASSWORD, "leon")
        page.get_by_role("link", name="Anmeldungen & Teilnahme").click()
        page.get_by_text("Teilnahme aus Zoom übernehmen").wait_for(timeout=30_000)
        wait_idle(page)
        page.locator("input[type=file]").set_input_files(str(report))
        error = page.locator('[data-testid="stAlertContentError"]').filter(
            has_text="ist keine Dauer in Minuten"
        )
        error.wait_for(timeout=60_000)
        wait_idle(page)
        shown = error.inner_text().replace("\u2060", "")
        assert f"„![]({TRACKER})“ ist keine Dauer in Minuten" in shown
        # Not rendered as an image (the page's CSP would also block the fetch) …
        assert page.locator("img[src*='tracker.example']").count() == 0
        # … and no request left for any host but the app's.
        app_host = urlsplit(base).hostname
        assert hosts and set(hosts) == {app_host}, sorted(set(hosts))
    finally:
        context.close()
        stop_app(proc)
