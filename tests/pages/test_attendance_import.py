"""The Zoom import on "Anmeldungen & Teilnahme" (AppTest): file content shown as written,
reports too large for a meeting refused or confirmed, nothing kept after the import."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stammtisch import imports
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Meeting
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts
from ui import attendance_import

NOW = parse_instant(SEED_NOW)
HEADER = "Name (Original Name),User Email,Duration (Minutes)\n"
TRACKER = "![](http://tracker.example/x)"


@pytest.fixture
def meeting(make_organizer_app, app_db) -> int:
    """A meeting three days ago (17.11.2021) with Erika and two people called Finn."""
    make_organizer_app()  # migrates and seeds the app database
    engine = make_engine(app_db)
    meeting_id = f.meeting(engine, now=NOW - timedelta(days=20), days_ahead=17, theme="Wasser")
    before = NOW - timedelta(days=10)
    f.register(engine, meeting_id, "e", now=before, name="Erika Beispiel", email="e@example.org")
    for n in (1, 2):
        f.register(engine, meeting_id, n, now=before, name="Finn Albrecht", email=f"f{n}@e.org")
    engine.dispose()
    return meeting_id


def _upload(make_organizer_app, meeting_id: int, text: str):
    at = make_organizer_app("pages/orga_anmeldungen.py")
    at.selectbox(key="reg.meeting").set_value(meeting_id).run()
    [uploader] = at.file_uploader
    uploader.set_value(("zoom.csv", text.encode(), "text/csv")).run()
    assert not at.exception, at.exception
    return at


def _people(count: int) -> str:
    return HEADER + "".join(f"Gast {n},gast{n}@example.org,30\n" for n in range(count))


def _buttons(at) -> list[str]:
    return [b.label for b in at.button]


def _markdown_sources(at) -> str:
    """Every piece of Markdown the page sends: bodies, headings and widget labels (not
    tables, whose cells are plain text)."""
    parts = []
    for node in at.main:
        for attribute in ("value", "label"):
            value = getattr(node, attribute, None)
            if isinstance(value, str):
                parts.append(value)
    return "\n".join(parts)


def test_an_import_error_quoting_a_cell_shows_it_as_written(make_organizer_app, meeting):
    """A duration cell with a Markdown image once made the organizer's browser load it."""
    at = _upload(make_organizer_app, meeting, HEADER + f"Erika Beispiel,e@example.org,{TRACKER}\n")
    [error] = at.error
    assert error.value.startswith("Zeile 2\\: „\\!\\[\\]\\(http\\:\u2060//tracker\\.example/x\\)“")
    assert TRACKER not in _markdown_sources(at)
    assert f"Zeile 2: „{TRACKER[:30]}“ ist keine Dauer in Minuten" in texts(at).replace(
        "\u2060", ""
    )


def test_names_from_the_report_are_shown_as_written(make_organizer_app, meeting):
    """A name that fits two registrations is asked about in a label; names nobody
    registered with are listed in a table: neither is Markdown."""
    report = (
        HEADER
        + f"{TRACKER} (Finn Albrecht),,50\n"  # display name with an image, original name Finn
        + "**Fremd** [klick](http://evil.example),,40\n"
    )
    at = _upload(make_organizer_app, meeting, report)
    question = at.selectbox(key=f"zoom.choice.{meeting}.0").label
    assert question.startswith("„\\!\\[\\]\\(http\\:\u2060//tracker\\.example/x\\) \\(Finn")
    # The unregistered name is a table cell, never a Markdown element.
    tables = [t.value for t in at.dataframe]
    assert any("**Fremd** [klick](http://evil.example)" in list(t.iloc[:, 0]) for t in tables)
    sources = _markdown_sources(at)
    assert TRACKER not in sources and "[klick](http" not in sources


def test_a_report_with_more_people_than_zoom_holds_is_refused(make_organizer_app, app_db, meeting):
    at = _upload(make_organizer_app, meeting, _people(20_000))
    assert [e.value for e in at.error] == [
        "Der Bericht nennt mehr als 1\\.000 verschiedene Personen – so viele fasst kein "
        "Zoom\\-Meeting \\(höchstens 1\\.000 Teilnehmende\\)\\. Bitte prüfen Sie, ob das der "
        "Teilnahmebericht dieses Treffens ist\\."
    ]
    assert "Teilnahme übernehmen" not in _buttons(at)
    assert _unregistered(app_db, meeting) == 0


def _unregistered(app_db: str, meeting_id: int) -> int:
    """Attendance without registration recorded for the meeting."""
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        value = s.get(Meeting, meeting_id).unregistered_attendees
    engine.dispose()
    return value


def test_a_report_far_larger_than_the_registrations_asks_first(make_organizer_app, app_db, meeting):
    """Three registrations make 59 people plausible; 200 are applied only on "Ja"."""
    at = _upload(make_organizer_app, meeting, _people(200))
    assert (
        "Der Bericht nennt 200 Personen, das Treffen hat aber nur 3 Anmeldungen. Alle 200 "
        "nicht Zugeordneten zählen dann als Teilnahme ohne Anmeldung. Ist das wirklich der "
        "Teilnahmebericht dieses Treffens?"
    ) in texts(at)
    assert "Teilnahme übernehmen" not in _buttons(at)
    assert "Ja, alle 200 Personen übernehmen" in _buttons(at)
    # A long list is one table, not one element per name.
    assert sum(1 for _ in at.main) < 150
    [table] = [t.value for t in at.dataframe if "Im Bericht" in t.value.columns]
    assert len(table) == 200
    assert _unregistered(app_db, meeting) == 0
    at.button(key="reg.import.many").click().run()
    assert not at.exception, at.exception
    assert _unregistered(app_db, meeting) == 200
    assert any(
        "Übernommen: 0 Teilnehmende mit Anmeldung, 200 ohne Anmeldung" in s.value
        for s in at.success
    )


def test_cancelling_a_large_report_applies_nothing_and_keeps_nothing(
    make_organizer_app, app_db, meeting
):
    at = _upload(make_organizer_app, meeting, _people(200))
    assert attendance_import.PARSED in at.session_state
    at.button(key="reg.import.cancel").click().run()
    assert not at.exception, at.exception
    assert _unregistered(app_db, meeting) == 0
    assert attendance_import.PARSED not in at.session_state
    [uploader] = at.file_uploader
    assert uploader.value is None  # a fresh, empty upload field
    assert "Ja, alle 200 Personen übernehmen" not in _buttons(at)


def test_an_applied_report_is_not_kept(make_organizer_app, meeting):
    """Before, the parsed report stayed in a cache shared by all sessions and the preview
    with its button stayed on the page after the import."""
    at = _upload(make_organizer_app, meeting, HEADER + "Erika Beispiel,e@example.org,40\n")
    at.button(key="reg.import").click().run()
    assert not at.exception, at.exception
    assert any("Übernommen: 1 Teilnehmende mit Anmeldung" in s.value for s in at.success)
    assert "Teilnahme übernehmen" not in _buttons(at)
    assert at.file_uploader[0].value is None
    assert attendance_import.PARSED not in at.session_state
    assert not hasattr(attendance_import, "_parsed")  # no st.cache_data of uploads


def test_the_plausible_size_is_the_domains(make_organizer_app, meeting):
    at = _upload(make_organizer_app, meeting, _people(imports.plausible_participants(3)))
    assert "Teilnahme übernehmen" in _buttons(at)


def test_many_questions_are_paged_and_the_answers_kept(make_organizer_app, app_db, meeting):
    """Twelve names that fit two registrations each: ten questions per page, answers on
    one page survive turning to the other, and the import waits for all of them."""
    engine = make_engine(app_db)
    before = NOW - timedelta(days=10)
    names = [f"Doppel Person{n:02d}" for n in range(12)]
    for n, name in enumerate(names):
        for k in (1, 2):
            f.register(engine, meeting, f"d{n}-{k}", now=before, name=name)
    engine.dispose()
    at = _upload(make_organizer_app, meeting, HEADER + "".join(f"{n},,30\n" for n in names))
    first_page = [s for s in at.selectbox if s.key.startswith(f"zoom.choice.{meeting}.")]
    assert len(first_page) == attendance_import.QUESTIONS_PAGE
    for question in first_page:
        question.set_value(attendance_import.NOBODY)
    at.run()
    assert at.button(key="reg.import").disabled
    at.button(key=f"zoom.questions.{meeting}.next").click().run()
    rest = [s for s in at.selectbox if s.key.startswith(f"zoom.choice.{meeting}.")]
    assert [s.key.rsplit(".", 1)[1] for s in rest] == ["10", "11"]
    for question in rest:
        question.set_value(attendance_import.NOBODY).run()
    assert not at.button(key="reg.import").disabled
    at.button(key=f"zoom.questions.{meeting}.prev").click().run()
    again = [s for s in at.selectbox if s.key.startswith(f"zoom.choice.{meeting}.")]
    assert [s.value for s in again] == [attendance_import.NOBODY] * 10
    at.button(key="reg.import").click().run()
    assert not at.exception, at.exception
    assert _unregistered(app_db, meeting) == 12
