"""Every download control on the team pages, clicked in Chromium with visitor text that
looks like spreadsheet formulas in the data: no file has a cell a spreadsheet would run.

A cell is dangerous when it is text starting with ``= + - @``, a tab or a carriage return
(CSV injection); a number (``-3``) is a number. The data grid's own download in its
toolbar exports raw values, so it must not be offered at all.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine
from tests import factories as f
from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import log_in, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"
DEMO_NOW = "2026-11-25T12:00:00+01:00"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
THEME = '=HYPERLINK("http://evil.example","Klick")'
PERSON = "@SUMME(A1) Mustermann"
ADDRESS = "hostile@example.org"
# Every chart's "Zahlen als Tabelle" (dashboard tabs and planning).
CHART_TABLES = {
    f"{key}.csv"
    for key in (
        "anmeldungen-je-treffen",
        "anmeldungen-je-themenfeld",
        "nachfrage-plaetze",
        "teilnahme-verlauf",
        "neu-wiederkehrend",
        "reichweite",
        "eingaenge",
        "abdeckung",
    )
}
TEAM_PAGES = [
    "/team-auswertung",
    "/team-planung",
    "/team-termine",
    "/team-moderation",
    "/team-impulse",
    "/team-anmeldungen",
    "/team-datenschutz",
    "/team-postausgang",
    "/team-protokoll",
]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The demo history plus a past meeting whose theme, registrants and subscriber write
    formulas."""
    tmp = tmp_path_factory.mktemp("downloads")
    url = f"sqlite:///{tmp / 'demo.db'}"
    env = {
        "DATABASE_URL": url,
        "STAMMTISCH_NOW": DEMO_NOW,
        "STAMMTISCH_OUTBOX_DIR": str(tmp / "outbox"),
    }
    cli = [sys.executable, "-m", "stammtisch"]
    run_env = {**env, "PATH": "/usr/bin"}
    subprocess.run([*cli, "demo"], check=True, cwd=ROOT, env=run_env, capture_output=True)
    subprocess.run(
        [*cli, "organizer", "add", "leon", "--password-stdin", "--display-name", "Leon"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=run_env,
        capture_output=True,
    )
    now = parse_instant(DEMO_NOW)
    then = now - timedelta(days=20)
    engine = make_engine(url)
    meeting_id = f.meeting(engine, now=then, days_ahead=9, theme=THEME, capacity=2)
    f.register(engine, meeting_id, "a", now=then, name=PERSON, email=ADDRESS)
    f.register(engine, meeting_id, "b", now=then, name="+49 341 1234", organisation="-2+3 e. V.")
    f.register(engine, meeting_id, "c", now=then, name="Erika Beispiel", organisation="=1+1")
    f.subscribe(engine, now=now, email="news@example.org", name="=Neugierig")
    engine.dispose()
    proc, base = start_app(env, log=tmp / "server.log")
    try:
        yield base
    finally:
        stop_app(proc)


def _dangerous_text(value: object) -> bool:
    if not isinstance(value, str) or not value.startswith(DANGEROUS):
        return False
    try:
        float(value.replace(",", "."))
    except ValueError:
        return True
    return False  # a negative number is a number, not a formula


def _cells(name: str, data: bytes) -> list[object]:
    if name.endswith(".csv"):
        text = data.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    if name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(data))
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate, cell.value)
                    cells.append(cell.value)
        return cells
    if name.endswith(".json"):
        return []  # the person's own data, given back as written; no spreadsheet opens it
    raise AssertionError(f"unexpected download {name}")


def _settle(page) -> None:
    """Wait for the rerun a click starts (it may not have begun yet) to finish."""
    page.wait_for_timeout(300)
    wait_idle(page)


def _open_everything(page) -> None:
    """Open every lazily built table (its download is made only for someone who opens it)
    and wait until its download button is there."""
    for _ in range(20):
        closed = page.locator("details:not([open]) summary:visible").filter(
            has_text="Zahlen als Tabelle"
        )
        if closed.count() == 0:
            break
        closed.first.click()
        _settle(page)
    opened = page.locator("details[open]:visible").filter(has_text="Zahlen als Tabelle")
    for i in range(opened.count()):
        opened.nth(i).locator('[data-testid="stDownloadButton"]').wait_for(timeout=30_000)


def _download_all(page) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    buttons = page.locator('[data-testid="stDownloadButton"] button:not([disabled]):visible')
    for i in range(buttons.count()):
        with page.expect_download(timeout=60_000) as info:
            buttons.nth(i).click()
        download = info.value
        files[download.suggested_filename] = open(download.path(), "rb").read()  # noqa: SIM115
    return files


def _states(page, path: str) -> None:
    """Bring ``path`` into each state that shows downloads, downloading each time."""
    if path == "/team-anmeldungen":
        page.get_by_role("combobox", name="Termin").first.click()
        page.get_by_role("option").filter(has_text="HYPERLINK").first.click()
        wait_idle(page)
    if path == "/team-datenschutz":
        page.get_by_role("textbox", name="E-Mail-Adresse").fill(ADDRESS)
        page.get_by_role("button", name="Auskunft erstellen").click()
        page.get_by_text("Anmeldungen und").first.wait_for(timeout=30_000)
        wait_idle(page)


def test_every_download_on_the_team_pages_is_formula_safe(hostile_app, browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, locale="de-DE", accept_downloads=True
    )
    page = context.new_page()
    files: dict[str, bytes] = {}
    hovered_grids: list[str] = []
    try:
        log_in(page, hostile_app, "leon", PASSWORD, "Leon")
        for path in TEAM_PAGES:
            page.goto(hostile_app + path)
            page.locator("h1").first.wait_for(timeout=60_000)
            wait_idle(page)
            _states(page, path)
            tabs = page.get_by_role("tab")
            for t in range(max(tabs.count(), 1)):
                if tabs.count():
                    tabs.nth(t).click()
                    _settle(page)
                _open_everything(page)
                files.update(_download_all(page))
                # The data grid offers no raw download of its own (client.disableDataExport).
                grids = page.locator('[data-testid="stDataFrame"]:visible')
                for g in range(grids.count()):
                    grids.nth(g).scroll_into_view_if_needed()
                    grids.nth(g).hover()
                    toolbar = page.locator('[data-testid="stElementToolbar"]:visible')
                    toolbar.first.wait_for(timeout=10_000)
                    assert page.get_by_role("button", name="Download as CSV").count() == 0
                    hovered_grids.append(path)
    finally:
        context.close()

    assert {"/team-anmeldungen", "/team-auswertung"} <= set(hovered_grids), hovered_grids
    # Every kind of download was reached: registrations as CSV and Excel, the
    # subscribers' list, the personal-data report and the charts' tables.
    names = set(files)
    assert {"auskunft.json", "benachrichtigung-neue-termine.csv"} <= names, names
    assert sum(n.endswith(".xlsx") for n in names) == 1, names
    assert names >= CHART_TABLES, sorted(CHART_TABLES - names)
    found = []
    for name, data in files.items():
        cells = _cells(name, data)
        found.extend(str(c) for c in cells if c is not None)
        bad = [c for c in cells if _dangerous_text(c)]
        assert not bad, (name, bad)
    # The hostile texts are there, kept readable and made inert.
    for text in (PERSON, "+49 341 1234", "-2+3 e. V.", "=1+1", "=Neugierig"):
        assert "'" + text in found, (text, sorted(names))
    # Chart tables name a meeting by day and theme: the theme is there, after the date.
    assert any(cell.endswith(THEME) for cell in found), sorted(names)
    report = json.loads(files["auskunft.json"])
    assert report["anmeldungen"][0]["name"] == PERSON
