"""Dashboard and planning pages with no data, a little data, and demo data (AppTest)."""

from __future__ import annotations

import pytest

from stammtisch import demo
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine
from stammtisch.models import MeetingStatus
from tests.pages.conftest import texts

PAGES = ["pages/orga_dashboard.py", "pages/orga_planung.py"]


def _demo(app_db, now="2026-11-25T12:00:00+01:00"):
    engine = make_engine(app_db)
    report = demo.generate(engine, now=parse_instant(now))
    engine.dispose()
    return report


@pytest.mark.parametrize("page", PAGES)
def test_pages_with_seed_data_only(make_organizer_app, page):
    at = make_organizer_app(page)
    assert not at.exception, at.exception


def test_dashboard_without_any_meeting_in_range(make_organizer_app, monkeypatch, app_db):
    from datetime import date

    at = make_organizer_app("pages/orga_dashboard.py")
    at.date_input(key="dash.period").set_value((date(2030, 1, 1), date(2030, 12, 31))).run()
    assert not at.exception
    assert "Für diese Auswahl gibt es noch keine Treffen" in texts(at)


def test_dashboard_with_demo_data(make_organizer_app, app_db, monkeypatch):
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    make_organizer_app()
    _demo(app_db)
    import streamlit as st

    st.cache_data.clear()
    at = make_organizer_app("pages/orga_dashboard.py")
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert labels == [
        "Anmeldungen",
        "Teilnahme",
        "No-Show-Quote",
        "Neu dabei",
        "Nicht aus Sachsen",
    ]
    shown = texts(at)
    for title in (
        "Anmeldungen je Treffen",
        "Teilnahme im Verlauf",
        "Reichweite in den drei Ländern",
        "Eingänge je Monat",
        "Neue und wiederkehrende Teilnehmende",
    ):
        assert title in shown
    assert any("Demo-Daten" in w.value for w in at.sidebar.warning)
    # Tables and CSV downloads are built only for the expander someone opens.
    assert not at.dataframe and not at.get("download_button")
    at.session_state["table.reichweite.open"] = True
    at.run()
    [table] = at.dataframe
    assert list(table.value.columns)[:2] == ["Treffen", "Termin"] and len(table.value) > 3
    [download] = at.get("download_button")
    assert download.label == "CSV herunterladen"
    at.selectbox(key="dash.field").set_value(1).run()
    assert not at.exception


def test_planning_ranks_and_drafts_a_meeting(make_organizer_app, app_db, monkeypatch):
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    make_organizer_app()
    _demo(app_db)
    import streamlit as st

    st.cache_data.clear()
    at = make_organizer_app("pages/orga_planung.py")
    assert not at.exception, at.exception
    assert "Punkte" in texts(at)
    before = _count_meetings(app_db)
    at.button(key="draft.create").click().run()
    assert any("Entwurf angelegt" in s.value for s in at.success)
    assert _count_meetings(app_db) == before + 1
    at.slider(key="w.time").set_value(0.0).run()
    assert not at.exception


def _count_meetings(url):
    from sqlmodel import func, select

    from stammtisch.db import session_scope
    from stammtisch.models import Meeting

    engine = make_engine(url)
    with session_scope(engine) as s:
        n = s.exec(
            select(func.count())
            .select_from(Meeting)
            .where(Meeting.status != MeetingStatus.CANCELLED)
        ).one()
    engine.dispose()
    return n
