"""Dashboard and planning pages with no data, a little data, and demo data (AppTest)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from stammtisch import demo
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Meeting, MeetingStatus
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
    assert at.selectbox(key="dash.span").value == "year"
    at.selectbox(key="dash.span").set_value("custom").run()
    assert "Bitte Anfang und Ende des Zeitraums wählen" in texts(at)
    at.date_input(key="dash.period").set_value((date(2030, 1, 1), date(2030, 12, 31))).run()
    assert not at.exception
    assert "Für diese Auswahl gibt es noch keine Treffen" in texts(at)


def test_dashboard_shows_everything_when_the_last_year_had_no_meeting(
    make_organizer_app, monkeypatch, app_db
):
    from tests import factories as f

    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    make_organizer_app()
    # Back after a long pause: only a planned meeting in the last twelve months.
    engine = make_engine(app_db)
    f.meeting(engine, now=parse_instant("2026-11-25T12:00:00+01:00"), days_ahead=12)
    engine.dispose()
    at = make_organizer_app("pages/orga_dashboard.py")
    assert not at.exception, at.exception
    # The seed's meetings are years old: the page starts with all of them.
    assert at.selectbox(key="dash.span").value == "all"
    assert "Letztes Treffen" in texts(at)


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
    # A year of meetings by default; the charts of the open tab only.
    assert at.selectbox(key="dash.span").value == "year"
    assert "Treffen vom 25.11.2025 bis heute" in texts(at)
    charts = {
        "Anmeldungen": ["Anmeldungen je Treffen", "Anmeldungen je Themenfeld"],
        "Teilnahme": ["Teilnahme im Verlauf", "Neue und wiederkehrende Teilnehmende"],
        "Reichweite": ["Reichweite in den drei Ländern"],
        "Eingänge": ["Eingänge je Monat"],
    }
    for tab, titles in charts.items():
        if tab != "Anmeldungen":
            at.session_state["dash.tab"] = tab
            at.run()
        assert not at.exception, at.exception
        shown = [h.value for h in at.header]  # level 2 under the page's title
        for other, other_titles in charts.items():
            for title in other_titles:
                assert (title in shown) == (other == tab), (tab, title)
        assert len(at.get("vega_lite_chart")) >= len(titles)
        # Every chart has its one-sentence text alternative next to it.
        in_words = [m.value for m in at.markdown if m.value.startswith("**In Worten:**")]
        assert len(in_words) >= len(titles), (tab, in_words)
    assert any("Demo-Daten" in w.value for w in at.sidebar.warning)
    # Tables and CSV downloads are built only for the expander someone opens.
    assert not at.dataframe and not at.get("download_button")
    at.session_state["table.reichweite.open"] = True
    at.session_state["dash.tab"] = "Reichweite"
    at.run()
    [table] = at.dataframe
    assert list(table.value.columns)[:2] == ["Treffen", "Termin"] and len(table.value) > 3
    [download] = at.get("download_button")
    assert download.label == "CSV herunterladen"
    at.selectbox(key="dash.field").set_value(1).run()
    assert not at.exception
    [table] = at.dataframe
    year = len(table.value)
    at.selectbox(key="dash.span").set_value("all").run()
    [table] = at.dataframe
    assert not at.exception and len(table.value) > year


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
    # A draft: the team has it, the start page does not.
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        draft = s.exec(select(Meeting).order_by(Meeting.id.desc())).first()
    engine.dispose()
    assert draft.status == "draft"
    start = make_organizer_app("pages/termine.py")
    assert "Entwurf aus der Themenplanung" not in texts(start)
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


def test_no_show_quote_counts_only_recorded_attendance(make_organizer_app, app_db):
    """Two of four confirmed people recorded, one of them absent: 50 %, not 25 %."""
    from datetime import timedelta

    from stammtisch import registration_admin
    from stammtisch.db import session_scope
    from tests import factories as f

    make_organizer_app()
    engine = make_engine(app_db)
    now = parse_instant("2021-11-20T12:00:00+01:00")
    early = now - timedelta(days=15)
    meeting_id = f.meeting(engine, now=early, days_ahead=10, theme="Vier Angemeldete")
    ids = [f.register(engine, meeting_id, n, now=early).registration_id for n in range(4)]
    for registration_id, value in zip(ids[:2], ("yes", "no"), strict=True):
        with session_scope(engine) as s:
            registration_admin.set_attendance(
                session=s,
                actor=f.team(engine, now=now),
                registration_ids=[registration_id],
                attendance=value,
                now=now,
            )
    engine.dispose()
    at = make_organizer_app("pages/orga_dashboard.py")
    assert not at.exception, at.exception
    assert "Letztes Treffen: Mo, 15.11.2021 – Vier Angemeldete" in texts(at)
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Anmeldungen"], shown["Teilnahme"], shown["No-Show-Quote"]) == ("4", "1", "50%")


def test_planning_page_survives_an_offer_without_topic_field(make_organizer_app, app_db):
    """A visitor's impulse offer with the default topic field "weiß nicht" once broke the
    page for every organizer (a merge on int64 against object ids)."""
    from tests import factories as f

    make_organizer_app()
    engine = make_engine(app_db)
    f.offer(engine, now=parse_instant("2021-11-20T12:00:00+01:00"))
    engine.dispose()
    at = make_organizer_app("pages/orga_planung.py")
    assert not at.exception, at.exception
    assert "1 offenes Impuls-Angebot hat noch kein Themenfeld." in texts(at)
