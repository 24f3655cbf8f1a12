"""Calendar files (iCalendar, RFC 5545) built with the ``icalendar`` library.

Two kinds: the personal file a person downloads after registering (with the online
meeting link), and the public subscribable feed of all upcoming meetings (never with
the link). Times are written in Europe/Berlin with the VTIMEZONE included, so Outlook,
Thunderbird and phones show them right.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from stammtisch.clock import BERLIN
from stammtisch.meetings import MeetingView

PRODID = "-//Strukturwandel-Stammtisch//Stammtisch//DE"
CALENDAR_NAME = "Strukturwandel-Stammtisch"
UID_DOMAIN = "strukturwandel-stammtisch"


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.prodid = PRODID
    cal.version = "2.0"
    cal.calscale = "GREGORIAN"
    if name:
        cal.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME for older clients
        cal.add("X-WR-TIMEZONE", "Europe/Berlin")
    return cal


def _event(
    meeting: MeetingView,
    *,
    now: datetime,
    online_link: str | None,
    page_url: str | None,
    tentative: bool = False,
) -> Event:
    # The library's typed properties rather than names as strings: a misspelt property
    # is an AttributeError, not a line calendars silently ignore.
    event = Event()
    event.uid = f"meeting-{meeting.id}@{UID_DOMAIN}"
    event.DTSTAMP = now
    # Raised with every change of time, link or status: a calendar that imported an
    # earlier file replaces its entry (same UID) instead of keeping the old one.
    event.sequence = meeting.ics_sequence
    event.start = meeting.starts_at.astimezone(BERLIN)
    event.end = meeting.ends_at.astimezone(BERLIN)
    event.summary = f"Strukturwandel-Stammtisch: {meeting.theme}"
    lines = [meeting.description.strip()] if meeting.description.strip() else []
    if meeting.impulses:
        lines.append("Impulse:")
        lines.extend(
            f"- {i.title} ({i.presenter}{', ' + i.organisation if i.organisation else ''})"
            for i in meeting.impulses
        )
    if online_link:
        lines.append(f"Zoom-Link: {online_link}")
        event.location = online_link
        event.url = online_link
    else:
        event.location = "Online (Zoom) – Link nach Anmeldung"
        if page_url:
            event.url = page_url
            lines.append(f"Anmeldung: {page_url}")
    event.description = "\n\n".join(lines)
    event.categories = list(meeting.topic_fields)
    if meeting.is_cancelled:
        event.status = "CANCELLED"
    elif tentative:
        event.status = "TENTATIVE"
    else:
        event.status = "CONFIRMED"
    return event


def meeting_ics(
    meeting: MeetingView,
    *,
    now: datetime,
    online_link: str | None,
    page_url: str | None = None,
    tentative: bool = False,
) -> bytes:
    """The personal calendar file for one meeting (with the link for registered people).

    ``tentative`` for a place on the waitlist (``STATUS:TENTATIVE``, no link); a
    cancelled meeting gives ``METHOD:CANCEL`` and ``STATUS:CANCELLED``, so calendars that
    imported the meeting remove or mark it.
    """
    cal = _calendar()
    cal.method = "CANCEL" if meeting.is_cancelled else "PUBLISH"
    cal.add_component(
        _event(
            meeting,
            now=now,
            online_link=None if tentative else online_link,
            page_url=page_url,
            tentative=tentative,
        )
    )
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_ics(meetings: Iterable[MeetingView], *, now: datetime, page_url: str | None) -> bytes:
    """The public feed of upcoming meetings; it never contains an online-meeting link."""
    cal = _calendar(CALENDAR_NAME)
    cal.method = "PUBLISH"
    # REFRESH-INTERVAL needs VALUE=DURATION (RFC 7986), which the typed property omits.
    cal.add("REFRESH-INTERVAL", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", "PT6H")
    for meeting in meetings:
        cal.add_component(_event(meeting, now=now, online_link=None, page_url=page_url))
    cal.add_missing_timezones()
    return cal.to_ical()
