"""Small factories for tests: real rows through the real services."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import Engine

from stammtisch import meetings, organizers, registrations, topics
from stammtisch.clock import BERLIN
from stammtisch.db import session_scope
from stammtisch.models import RegistrationState

_seq = count(1)


def topic_field(engine: Engine, *, now: datetime, name: str | None = None) -> int:
    with session_scope(engine) as s:
        return topics.create_topic_field(
            session=s, name=name or f"Themenfeld {next(_seq)}", description="Beschreibung", now=now
        ).id


def meeting(
    engine: Engine,
    *,
    now: datetime,
    days_ahead: int = 14,
    capacity: int | None = None,
    registration_state: str = RegistrationState.OPEN,
    topic_field_id: int | None = None,
    online_link: str | None = "https://zoom.us/j/123456789",
    theme: str | None = None,
    status: str = "planned",
) -> int:
    if topic_field_id is None:
        topic_field_id = topic_field(engine, now=now)
    start = (
        (now + timedelta(days=days_ahead))
        .astimezone(BERLIN)
        .replace(hour=17, minute=0, second=0, microsecond=0)
    )
    with session_scope(engine) as s:
        return meetings.create_meeting(
            session=s,
            data=meetings.MeetingInput(
                theme=theme or f"Testtreffen {next(_seq)}",
                description="Worum es geht.",
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
                primary_topic_field_id=topic_field_id,
                registration_state=registration_state,
                capacity=capacity,
                online_link=online_link,
                status=status,
            ),
            now=now,
        )


def registration_input(n: int | str, **overrides) -> registrations.RegistrationInput:
    values = {
        "name": f"Person {n}",
        "email": f"person{n}@example.org",
        "organisation": None,
        "federal_state": "sachsen",
        "consent": True,
    }
    values.update(overrides)
    return registrations.RegistrationInput(**values)


def register(engine: Engine, meeting_id: int, n: int | str, *, now: datetime, **overrides):
    with session_scope(engine) as s:
        return registrations.register(
            session=s, meeting_id=meeting_id, data=registration_input(n, **overrides), now=now
        )


def organizer(engine: Engine, *, now: datetime, name: str = "orga", **kw):
    """A new organizer account; the identity a logged-in session would carry."""
    with session_scope(engine) as s:
        view = organizers.add_organizer(
            session=s, name=name, password="ein-langes-passwort", now=now, **kw
        )
    return organizers.OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)
