"""The start page lists the series from the database."""

from __future__ import annotations

import os

from tests.pages.conftest import texts


def test_start_page_shows_the_seed_series(make_app):
    at = make_app()
    assert not at.exception
    shown = texts(at)
    assert "Worum geht's?" in shown
    assert "Mo, 06.12.2021, 17:00–18:30 Uhr" in shown
    assert "Thema: Engagement & Zivilgesellschaft" in shown
    assert "Anmeldung bald möglich" in shown
    assert "Schützengasse 16-18" in shown
    # Upcoming before past: the 01.11.2021 meeting is listed under "Vergangene Termine".
    headers = [h.value for h in at.header]
    assert headers.index("Nächste Termine") < headers.index("Vergangene Termine")


def test_start_page_today_says_nothing_is_planned(make_app, monkeypatch):
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    at = make_app()
    assert not at.exception
    assert "Zurzeit ist kein Treffen geplant" in at.info[0].value
    subheaders = [s.value for s in at.subheader]
    assert len([s for s in subheaders if s.startswith("Thema:")]) == 5


def test_older_past_meetings_are_built_only_when_opened_and_page_through(make_app, monkeypatch):
    from sqlmodel import update

    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope
    from stammtisch.models import Meeting
    from tests import factories as f

    make_app()  # migrate and seed
    engine = make_engine(os.environ["DATABASE_URL"])
    now = parse_instant("2021-11-20T12:00:00+01:00")
    field = f.topic_field(engine, now=now)
    ids = [
        f.meeting(
            engine, now=now, days_ahead=7 * n, theme=f"Altes Treffen {n:02d}", topic_field_id=field
        )
        for n in range(1, 26)
    ]
    with session_scope(engine) as s:
        s.exec(
            update(Meeting)
            .where(Meeting.id == ids[0])
            .values(documentation_url="https://example.org/doku (2021)")
        )
        s.commit()
    engine.dispose()
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    at = make_app()
    assert not at.exception
    [older] = [e for e in at.expander if e.label.startswith("Ältere Termine")]
    total = len(ids) + 5  # and the five seed meetings
    assert older.label == f"Ältere Termine ({total - 6})"
    assert "Altes Treffen 01" not in texts(at)  # not sent while closed
    at.session_state["past.open"] = True
    at.run()
    shown = texts(at)
    assert "Altes Treffen 19" in shown and "Altes Treffen 01" not in shown
    assert any("Seite 1 von 2" in c.value for c in at.caption)
    at.button(key="past.next").click().run()
    lines = [m.value for m in at.markdown if "Altes Treffen 01" in m.value]
    assert lines and "[Dokumentation](<https://example.org/doku%20%282021%29>)" in lines[0]


def test_calendar_subscription_address_once_opened(make_app):
    at = make_app()
    # The address block (and the browser code for it) is built only on request.
    assert not at.code
    at.session_state["calendar.open"] = True
    at.run()
    assert not at.exception, at.exception
    [address] = at.code
    assert address.value.endswith("/kalender.ics")
    assert "Internetkalender (Abonnement)" in texts(at)
