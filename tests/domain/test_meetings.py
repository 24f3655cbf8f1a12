"""Creating meetings and reading their public views."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from stammtisch import meeting_admin, meetings
from stammtisch.db import session_scope
from stammtisch.errors import NotFound, ValidationError
from tests import factories as f


def _input(tf, now, **kw):
    start = now + timedelta(days=10)
    values = {
        "theme": "Lebendige Orte",
        "starts_at": start,
        "ends_at": start + timedelta(minutes=90),
        "primary_topic_field_id": tf,
    }
    values.update(kw)
    return meetings.MeetingInput(**values)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"theme": ""}, "theme"),
        ({"starts_at": None}, "starts_at"),
        ({"ends_at": None}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "viele"}, "capacity"),
        ({"online_link": "javascript:alert(1)"}, "online_link"),
        ({"primary_topic_field_id": 999}, "primary_topic_field_id"),
        ({"registration_state": "maybe"}, "registration_state"),
    ],
)
def test_create_meeting_validation(engine, now, kw, field):
    tf = f.topic_field(engine, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.create_meeting(
            session=s, actor=f.team(engine, now=now), data=_input(tf, now, **kw), now=now
        )
    assert field in err.value.errors


def test_end_must_follow_start(engine, now):
    tf = f.topic_field(engine, now=now)
    data = _input(tf, now)
    data = dataclasses.replace(data, ends_at=data.starts_at - timedelta(minutes=1))
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.create_meeting(session=s, actor=f.team(engine, now=now), data=data, now=now)
    assert "nach dem Beginn" in err.value.errors["ends_at"]


def test_public_view_never_carries_the_online_link(engine, now):
    meeting_id = f.meeting(engine, now=now, online_link="https://zoom.us/j/987654321")
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=meeting_id)
    assert "987654321" not in repr(view)
    assert "online_link" not in {fld.name for fld in dataclasses.fields(view)}


def test_views_count_registrations_and_list_impulses(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    f.register(engine, meeting_id, 2, now=now)
    f.impulse(
        engine, meeting_id, now=now, title="Bürgerenergie", presenter="Kim", organisation="BEG"
    )
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=meeting_id)
    assert (view.confirmed_count, view.waitlist_count, view.is_full) == (1, 1, True)
    assert [i.title for i in view.impulses] == ["Bürgerenergie"]
    with session_scope(engine) as s, pytest.raises(NotFound):
        meetings.get_meeting(session=s, meeting_id=4242)


def test_cancelled_meeting_stays_upcoming_but_not_past(engine, now):
    meeting_id = f.meeting(engine, now=now, status="cancelled")
    with session_scope(engine) as s:
        assert [m.id for m in meetings.list_upcoming(session=s, now=now)] == [meeting_id]
        assert meetings.list_past(session=s, now=now + timedelta(days=60)) == []
