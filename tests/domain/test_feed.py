"""The public calendar feed: every meeting not over yet, cancelled ones marked, no link."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from stammtisch import feed, ics, meeting_admin, meetings
from stammtisch.db import session_scope
from stammtisch.models import MeetingStatus
from tests import factories as f

LINK = "https://zoom.us/j/555000111"
PAGE = "https://stammtisch.example.org/"


def _events(engine, now) -> dict[str, object]:
    calendar = Calendar.from_ical(feed.upcoming_feed(engine, now=now, page_url=PAGE))
    assert calendar["X-WR-CALNAME"] == ics.CALENDAR_NAME
    assert calendar["METHOD"] == "PUBLISH" and calendar.decoded("REFRESH-INTERVAL") == timedelta(
        hours=6
    )
    return {str(e["SUMMARY"]).split(": ", 1)[1]: e for e in calendar.walk("VEVENT")}


def test_feed_marks_cancelled_meetings_and_never_carries_the_link(engine, now):
    planned = f.meeting(engine, now=now, theme="Geplant", online_link=LINK)
    cancelled = f.meeting(engine, now=now, days_ahead=20, theme="Abgesagt", online_link=LINK)
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=f.team(engine, now=now),
            meeting_id=cancelled,
            status=MeetingStatus.CANCELLED,
            now=now,
        )
    events = _events(engine, now)
    assert {name: str(e["STATUS"]) for name, e in events.items()} == {
        "Geplant": "CONFIRMED",
        "Abgesagt": "CANCELLED",
    }
    assert str(events["Abgesagt"]["UID"]) == f"meeting-{cancelled}@strukturwandel-stammtisch"
    assert str(events["Geplant"]["UID"]) == f"meeting-{planned}@strukturwandel-stammtisch"
    for event in events.values():
        assert event["URL"] == PAGE and event["LOCATION"].startswith("Online (Zoom)")
    assert LINK.encode() not in feed.upcoming_feed(engine, now=now, page_url=PAGE)


def test_a_meeting_leaves_the_feed_when_it_ends(engine, now):
    f.meeting(engine, now=now, theme="Heute")
    with session_scope(engine) as s:
        [view] = meetings.list_upcoming(session=s, now=now)
    second = timedelta(seconds=1)
    assert list(_events(engine, view.starts_at)) == ["Heute"]  # running: still there
    assert list(_events(engine, view.ends_at - second)) == ["Heute"]
    assert _events(engine, view.ends_at) == {}
    assert _events(engine, view.ends_at + second) == {}
