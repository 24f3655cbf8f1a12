"""Both ways to start the app serve the same app: ``streamlit run app.py`` (what a Streamlit
user tries first) and ``make run`` (what the README says).

The very first request after a start may be a deep link (a page with its own URL, the
personal link from a mail): it opens that page, without Streamlit's "Page not found"
dialog and without the old list of every file in ``pages/``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request

import pytest
from alembic.script import ScriptDirectory

from stammtisch.bootstrap import SEED_FILE, init_database
from stammtisch.clock import parse_instant
from stammtisch.db import alembic_config, make_engine
from tests import factories as f
from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import SEED_NOW, mail_env, wait_idle
from tests.browser.test_registration_journey import (
    test_register_confirm_download_ics_and_cancel as newcomer_journey,
)

pytestmark = pytest.mark.browser

ENTRIES = {"streamlit run app.py": False, "make run": True}
NOT_FOUND = "does not seem to exist"
# File names Streamlit's old (v1) page list would show; none of them is a page title.
FILE_NAMES = ("orga dashboard", "orga_dashboard", "orga datenschutz", "meine anmeldung")


@pytest.fixture(params=list(ENTRIES))
def entry_app(request, tmp_path, smtp_server):
    """(base URL, personal link token) of a freshly started app, started one way or the
    other; nobody has opened a page yet."""
    db_url = f"sqlite:///{tmp_path / 'entry.db'}"
    engine = make_engine(db_url)
    now = parse_instant(SEED_NOW)
    init_database(engine, now=now)
    token = f.register(engine, 2, "Erste Person", now=now, email="erste@example.org").token
    engine.dispose()
    env = {"DATABASE_URL": db_url, "STAMMTISCH_NOW": SEED_NOW, **mail_env(tmp_path, smtp_server)}
    proc, base = start_app(env, make_run=ENTRIES[request.param], log=tmp_path / "server.log")
    try:
        yield base, token
    finally:
        stop_app(proc)


def _first_visit(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(url)
    return context, page, console


def _assert_no_v1_pages(page, console: list[str]) -> None:
    assert page.get_by_text("Page not found").count() == 0
    assert not [line for line in console if NOT_FOUND in line]
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text().lower()
    assert not [name for name in FILE_NAMES if name in sidebar], sidebar
    assert "Termine" in sidebar.title() and "Themensammlung" in sidebar.title()


@pytest.mark.parametrize(
    ("path", "shows"),
    [
        ("/themensammlung", "Vorschlag einreichen"),
        ("/impuls-anbieten", "Selbst etwas vorstellen"),
        ("/meine-anmeldung?token={token}", "Ihre Angaben"),
    ],
)
def test_first_request_after_a_start_opens_the_deep_link(entry_app, browser, path, shows):
    base, token = entry_app
    context, page, console = _first_visit(browser, base + path.format(token=token))
    try:
        page.get_by_text(shows).first.wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_timeout(500)  # the dialog would open right after the first run
        _assert_no_v1_pages(page, console)
        assert page.url == base + path.format(token=token)
    finally:
        context.close()


def test_start_hook_and_routes_run_for_this_entry(entry_app):
    base, _token = entry_app
    # The plain HTTP route answers beside the pages (this database was initialised before
    # the start; the hook on an empty one: test_the_start_hook_migrates_and_seeds_…).
    with urllib.request.urlopen(base + "/kalender.ics", timeout=10) as response:
        body = response.read().decode("utf-8")
    assert response.status == 200 and "BEGIN:VCALENDAR" in body and "SUMMARY" in body


def test_newcomer_journey_for_this_entry(entry_app, browser, tmp_path, smtp_server):
    base, _token = entry_app
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="de-DE", accept_downloads=True
    )
    try:
        newcomer_journey(base, context.new_page(), tmp_path, smtp_server)
    finally:
        context.close()


def test_the_start_hook_migrates_and_seeds_an_empty_database(tmp_path, smtp_server):
    """No init before the start: the app's own start-up hook has to build the schema and
    load the seed. One start, with ``streamlit run app.py``: ``make run`` runs the very
    same command after its own ``stammtisch init`` (checked below), so this is the entry
    where nothing but the hook can have done it."""
    recipe = re.search(r"^run:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe and "-m streamlit run app.py" in recipe.group(1)

    db_file = tmp_path / "brand-new.db"
    db_file.touch()  # an empty file: a SQLite database without a single table
    env = {
        "DATABASE_URL": f"sqlite:///{db_file}",
        "STAMMTISCH_NOW": SEED_NOW,
        **mail_env(tmp_path, smtp_server),
    }
    engine = make_engine(f"sqlite:///{db_file}")
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    engine.dispose()
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    proc, base = start_app(env, log=tmp_path / "server.log")
    try:
        # Healthy means started: the hook has run, before any request could init anything.
        with sqlite3.connect(db_file) as db:
            revisions = db.execute("SELECT version_num FROM alembic_version").fetchall()
            themes = sorted(theme for (theme,) in db.execute("SELECT theme FROM meeting"))
            fields = db.execute("SELECT count(*) FROM topic_field").fetchone()[0]
        assert revisions == [(head,)]
        assert themes == sorted(m["theme"] for m in seed["meetings"])
        assert fields == len(seed["topic_fields"])

        with urllib.request.urlopen(base + "/", timeout=10) as response:
            start_page = response.read().decode("utf-8")
        assert response.status == 200 and '<html lang="de"' in start_page
        with urllib.request.urlopen(base + "/kalender.ics", timeout=10) as response:
            feed = response.read().decode("utf-8")
        assert "BEGIN:VEVENT" in feed
    finally:
        stop_app(proc)
