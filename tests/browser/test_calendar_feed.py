"""The subscribable calendar feed served next to the app."""

from __future__ import annotations

import urllib.request

import pytest
from icalendar import Calendar

from stammtisch import registrations
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from tests.browser.conftest import SEED_NOW

pytestmark = pytest.mark.browser


def test_feed_lists_upcoming_meetings_without_the_link(seed_app_db):
    base, db_url = seed_app_db
    # Someone registered: the feed must still not carry the private link.
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        registrations.register(
            session=s,
            meeting_id=2,
            now=parse_instant(SEED_NOW),
            data=registrations.RegistrationInput(name="Eva", email="eva@example.org", consent=True),
        )
    engine.dispose()
    with urllib.request.urlopen(base + "/kalender.ics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/calendar")
        body = resp.read()
    assert b"zoom.us" not in body
    cal = Calendar.from_ical(body)
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == [
        "Strukturwandel-Stammtisch: Engagement & Zivilgesellschaft",
        "Strukturwandel-Stammtisch: Lebendige Orte",
        "Strukturwandel-Stammtisch: Jugendbeteiligung",
        "Strukturwandel-Stammtisch: Stiftungen & Engagement",
    ]
    first = events[0]["dtstart"].dt
    assert (first.hour, first.minute, str(first.tzinfo)) == (17, 0, "Europe/Berlin")
    assert events[0]["uid"] == "meeting-2@strukturwandel-stammtisch"
