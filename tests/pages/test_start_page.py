"""The start page lists the series from the database."""

from __future__ import annotations

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
