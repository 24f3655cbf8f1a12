"""Team pages show what visitors typed exactly as written, also in labels and headings
(AppTest: the Markdown the page sends holds the text escaped, never as Markdown)."""

from __future__ import annotations

from datetime import timedelta

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine
from tests import factories as f
from tests.pages.conftest import SEED_NOW

NOW = parse_instant(SEED_NOW)
TRACKER = "![](http://tracker.example/x)"
ESCAPED = "\\!\\[\\]\\(http\\:\u2060//tracker\\.example/x\\)"


def test_a_visitors_name_in_the_offer_form_labels_is_escaped(make_organizer_app, app_db):
    """Widget labels are Markdown (images included): the offer's name was put in raw."""
    make_organizer_app()
    engine = make_engine(app_db)
    offer_id = f.offer(engine, now=NOW, name=f"Ada {TRACKER}")
    engine.dispose()
    at = make_organizer_app("pages/orga_impulse.py")
    at.session_state[f"offer.decline.{offer_id}.open"] = True
    at.session_state[f"accept.{offer_id}.open"] = True
    at.run()
    assert not at.exception, at.exception
    labels = [a.label for a in at.text_area if a.label.startswith("Persönliche Nachricht")]
    assert labels == [f"Persönliche Nachricht an Ada {ESCAPED} (freiwillig, kommt in die Mail)"] * 2


def test_the_theme_in_the_dashboard_heading_is_escaped(make_organizer_app, app_db):
    """A theme can be a visitor's suggestion taken over in one click (Themenplanung)."""
    make_organizer_app()
    engine = make_engine(app_db)
    early = NOW - timedelta(days=15)
    meeting_id = f.meeting(engine, now=early, days_ahead=10, theme=f"Wasser {TRACKER}")
    f.register(engine, meeting_id, 1, now=early)
    engine.dispose()
    at = make_organizer_app("pages/orga_dashboard.py")
    assert not at.exception, at.exception
    [heading] = [h.value for h in at.header if h.value.startswith("Letztes Treffen")]
    assert heading == f"Letztes Treffen: Mo, 15.11.2021 – Wasser {ESCAPED}"


def test_the_address_in_the_erasure_question_is_escaped(make_organizer_app):
    at = make_organizer_app("pages/orga_datenschutz.py")
    at.text_input(key="person.email").input("__leon__@example.org")
    at.button(key="person.erase").click().run()
    assert not at.exception, at.exception
    [question] = [w.value for w in at.warning if w.value.startswith("Zu ")]
    assert question.startswith("Zu **\\_\\_leon\\_\\_\u2060@example\\.org** gespeichert:")
