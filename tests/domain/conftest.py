"""Fixtures shared by the domain tests of several modules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from stammtisch.db import session_scope
from stammtisch.models import Attendance, Meeting, Registration
from tests import factories as f


@pytest.fixture
def known_history(engine, now):
    """Three meetings in two topic fields, people who return, known attendance.

    m1 (field A, cap 2): ann(SN) ben(ST) confirmed, cat(TH) waitlisted; ann yes, ben no
    m2 (field B):        ann(SN) dan(other) eve(no state) confirmed, fay cancelled; all yes
    m3 (field A, future): ben(ST) confirmed
    """
    a = f.topic_field(engine, now=now, name="Feld A")
    b = f.topic_field(engine, now=now, name="Feld B")
    early = now - timedelta(days=120)
    m1 = f.meeting(engine, now=early, days_ahead=10, capacity=2, topic_field_id=a, theme="Eins")
    m2 = f.meeting(engine, now=early, days_ahead=60, topic_field_id=b, theme="Zwei")
    m3 = f.meeting(engine, now=now, days_ahead=20, topic_field_id=a, theme="Drei")
    people = {
        "ann": "sachsen",
        "ben": "sachsen-anhalt",
        "cat": "thueringen",
        "dan": "other",
        "eve": None,
        "fay": "sachsen",
    }

    def reg(meeting, who, when):
        return f.register(
            engine, meeting, who, now=when, email=f"{who}@example.org", federal_state=people[who]
        )

    for who in ("ann", "ben", "cat"):
        reg(m1, who, early)
    for who in ("ann", "dan", "eve", "fay"):
        reg(m2, who, early)
    reg(m3, "ben", now)
    with session_scope(engine) as s:
        rows = s.exec(select(Registration)).all()
        for r in rows:
            key = (r.meeting_id, r.email)
            if key == (m1, "ann@example.org"):
                r.attendance = Attendance.YES
            elif key == (m1, "ben@example.org"):
                r.attendance = Attendance.NO
            elif r.meeting_id == m2:
                r.attendance = Attendance.YES
                if r.email == "fay@example.org":
                    r.status = "cancelled"
            s.add(r)
        meeting = s.get(Meeting, m2)
        meeting.unregistered_attendees = 2
        s.add(meeting)
        s.commit()
    return {"a": a, "b": b, "m1": m1, "m2": m2, "m3": m3}
