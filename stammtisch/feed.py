"""The public calendar feed, independent of any web framework."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from stammtisch import ics, meetings
from stammtisch.db import session_scope


def upcoming_feed(engine: Engine, *, now: datetime, page_url: str | None) -> bytes:
    """iCalendar feed of all meetings that have not ended; never with the meeting link."""
    with session_scope(engine) as session:
        upcoming = meetings.list_upcoming(session=session, now=now)
    return ics.feed_ics(upcoming, now=now, page_url=page_url)
