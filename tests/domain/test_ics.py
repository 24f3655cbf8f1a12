"""The personal calendar file of one meeting, read back as a calendar program reads it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from icalendar import Calendar

from stammtisch import ics, meeting_admin, meetings
from stammtisch.clock import BERLIN
from stammtisch.db import session_scope
from stammtisch.models import MeetingStatus
from tests import factories as f

LINK = "https://zoom.us/j/555000111"


def _view(engine, meeting_id):
    with session_scope(engine) as s:
        return meetings.get_meeting(session=s, meeting_id=meeting_id)


def _set_status(engine, now, meeting_id, status):
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=f.team(engine, now=now), meeting_id=meeting_id, status=status, now=now
        )


def _event(data: bytes):
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_the_file_carries_the_meeting_in_berlin_time_with_its_link(engine, now):
    mid = f.meeting(engine, now=now, theme="Wasser im Revier", online_link=LINK)
    f.impulse(engine, mid, now=now, title="Seen", presenter="Kim", organisation="BUND")
    f.impulse(engine, mid, now=now, title="Grundwasser", presenter="Ada")
    view = _view(engine, mid)
    calendar, event = _event(ics.meeting_ics(view, now=now, online_link=LINK))
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == ics.PRODID
    assert str(event["UID"]) == f"meeting-{mid}@strukturwandel-stammtisch"
    assert event["SUMMARY"] == "Strukturwandel-Stammtisch: Wasser im Revier"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start, end) == (view.starts_at, view.ends_at)
    assert str(start.tzinfo) == str(BERLIN) and (start.hour, start.minute) == (17, 0)
    assert str(end.tzinfo) == str(BERLIN) and (end.hour, end.minute) == (18, 30)
    assert event.decoded("DTSTAMP") == now
    assert event["LOCATION"] == LINK and event["URL"] == LINK
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DESCRIPTION"] == (
        "Worum es geht.\n\nImpulse:\n\n- Seen (Kim, BUND)\n\n- Grundwasser (Ada)"
        f"\n\nZoom-Link: {LINK}"
    )
    assert [str(c) for c in event["CATEGORIES"].cats] == list(view.topic_fields)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_without_the_link_the_file_points_to_the_registration(engine, now):
    view = _view(engine, f.meeting(engine, now=now, online_link=LINK))
    _, event = _event(
        ics.meeting_ics(view, now=now, online_link=None, page_url="https://example.org/termine")
    )
    assert event["LOCATION"] == "Online (Zoom) – Link nach Anmeldung"
    assert event["URL"] == "https://example.org/termine"
    assert event["DESCRIPTION"].endswith("Anmeldung: https://example.org/termine")
    assert LINK not in ics.meeting_ics(view, now=now, online_link=None).decode()
    _, bare = _event(ics.meeting_ics(view, now=now, online_link=None))
    assert "URL" not in bare and bare["DESCRIPTION"] == "Worum es geht."


def test_cancelled_meeting_file_says_cancelled_until_the_team_plans_it_again(engine, now):
    mid = f.meeting(engine, now=now, online_link=LINK)
    _, before = _event(ics.meeting_ics(_view(engine, mid), now=now, online_link=LINK))
    _set_status(engine, now, mid, MeetingStatus.CANCELLED)
    view = _view(engine, mid)
    data = ics.meeting_ics(view, now=now + timedelta(minutes=1), online_link=LINK)
    _, cancelled = _event(data)
    _set_status(engine, now, mid, MeetingStatus.PLANNED)
    _, again = _event(ics.meeting_ics(_view(engine, mid), now=now, online_link=LINK))
    assert [str(e["STATUS"]) for e in (before, cancelled, again)] == [
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
    ]
    # The same UID, so a calendar that imported the meeting marks it cancelled.
    assert cancelled["UID"] == before["UID"] and b"STATUS:CANCELLED" in data


def test_a_blank_description_gives_an_empty_one(engine, now):
    view = dataclasses.replace(_view(engine, f.meeting(engine, now=now)), description="  ")
    _, event = _event(ics.meeting_ics(view, now=now, online_link=None))
    assert event["DESCRIPTION"] == ""


def test_without_a_description_the_text_begins_with_what_follows(engine, now):
    view = dataclasses.replace(_view(engine, f.meeting(engine, now=now)), description=" ")
    page = "https://example.org/termine"
    _, event = _event(ics.meeting_ics(view, now=now, online_link=None, page_url=page))
    assert event["DESCRIPTION"] == f"Anmeldung: {page}"


def _head(data: bytes) -> list[str]:
    """The calendar's own lines, before its first component (in any order)."""
    lines = data.decode().split("\r\n")
    end = next(i for i, line in enumerate(lines[1:], 1) if line.startswith("BEGIN:"))
    return sorted(lines[:end])


def test_calendar_lines_of_the_personal_file_and_the_feed(engine, now):
    view = _view(engine, f.meeting(engine, now=now, online_link=LINK))
    assert _head(ics.meeting_ics(view, now=now, online_link=LINK)) == sorted(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{ics.PRODID}",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
        ]
    )
    assert _head(ics.feed_ics([view], now=now, page_url=None)) == sorted(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{ics.PRODID}",
            "CALSCALE:GREGORIAN",
            "NAME:Strukturwandel-Stammtisch",
            "X-WR-CALNAME:Strukturwandel-Stammtisch",
            "X-WR-TIMEZONE:Europe/Berlin",
            "METHOD:PUBLISH",
            "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
            "X-PUBLISHED-TTL:PT6H",
        ]
    )


def test_the_feed_carries_each_meeting_as_the_personal_file_does_without_the_link(engine, now):
    mid = f.meeting(engine, now=now, online_link=LINK)
    f.impulse(engine, mid, now=now, title="Seen", presenter="Kim", organisation="BUND")
    view = _view(engine, mid)
    page = "https://example.org/termine"
    [event] = Calendar.from_ical(ics.feed_ics([view], now=now, page_url=page)).walk("VEVENT")
    _, personal = _event(ics.meeting_ics(view, now=now, online_link=None, page_url=page))
    assert event.to_ical() == personal.to_ical()
    assert event["DESCRIPTION"] == (
        f"Worum es geht.\n\nImpulse:\n\n- Seen (Kim, BUND)\n\nAnmeldung: {page}"
    )
    assert event.decoded("DTSTAMP") == now and event.decoded("DTSTART") == view.starts_at


def test_a_place_on_the_waitlist_gives_a_tentative_entry_without_the_link(engine, now):
    view = _view(engine, f.meeting(engine, now=now, online_link=LINK))
    calendar, event = _event(ics.meeting_ics(view, now=now, online_link=LINK, tentative=True))
    assert str(event["STATUS"]) == "TENTATIVE"
    assert LINK not in calendar.to_ical().decode()


def test_a_cancelled_meeting_is_a_cancel_message_with_a_higher_sequence(engine, now):
    mid = f.meeting(engine, now=now, online_link=LINK)
    _, before = _event(ics.meeting_ics(_view(engine, mid), now=now, online_link=LINK))
    _set_status(engine, now, mid, MeetingStatus.CANCELLED)
    calendar, cancelled = _event(ics.meeting_ics(_view(engine, mid), now=now, online_link=LINK))
    assert calendar["METHOD"] == "CANCEL"
    assert (before["SEQUENCE"], cancelled["SEQUENCE"]) == (0, 1)
