"""Organizer services for meetings: create, edit, capacity, cancel or hold, series, impulses."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from stammtisch import meeting_admin, meetings
from stammtisch.bootstrap import init_database
from stammtisch.date_proposals import propose_series
from stammtisch.db import session_scope
from stammtisch.errors import PermissionDenied, ValidationError
from stammtisch.meetings import ImpulseInput, MeetingInput
from stammtisch.models import MeetingStatus
from stammtisch.organizers import OrganizerIdentity
from tests import factories as f


@pytest.fixture
def actor(engine, now):
    init_database(engine, now=now)
    return f.organizer(engine, now=now)


def _input(now, **kw):
    start = (now + timedelta(days=30)).replace(hour=16, minute=0, second=0, microsecond=0)
    values = {
        "theme": "Wasser im Revier",
        "starts_at": start,
        "ends_at": start + timedelta(minutes=90),
        "primary_topic_field_id": 1,
        "registration_state": "open",
    }
    values.update(kw)
    return MeetingInput(**values)


def _admin(session, actor, meeting_id):
    return next(
        m for m in meeting_admin.list_meetings(session=session, actor=actor) if m.id == meeting_id
    )


def test_create_update_and_audit(engine, now, actor):
    with session_scope(engine) as s:
        mid = meeting_admin.create_meeting(session=s, actor=actor, data=_input(now), now=now)
    with session_scope(engine) as s:
        meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=mid,
            data=_input(now, theme="Wasser und Seen", further_topic_field_ids=[2, 3]),
            now=now,
        )
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=mid)
    assert view.theme == "Wasser und Seen" and len(view.topic_fields) == 3
    assert f.audit_actions(engine)[-2:] == ["meeting.create", "meeting.update"]


@pytest.mark.parametrize(
    "call",
    [
        lambda s, a, now: meeting_admin.list_meetings(session=s, actor=a),
        lambda s, a, now: meeting_admin.create_meeting(
            session=s, actor=a, data=_input(now), now=now
        ),
        lambda s, a, now: meeting_admin.set_status(
            session=s, actor=a, meeting_id=2, status=MeetingStatus.CANCELLED, now=now
        ),
        lambda s, a, now: meeting_admin.add_impulse(
            session=s, actor=a, meeting_id=2, data=ImpulseInput("Titel", "Kim"), now=now
        ),
    ],
)
def test_meeting_services_refuse_without_organizer(engine, now, actor, call):
    for bad in (None, OrganizerIdentity(id=actor.id, name="jemand", display_name="")):
        with session_scope(engine) as s, pytest.raises(PermissionDenied):
            call(s, bad, now)


def test_raising_capacity_promotes_waiting_in_order_and_lowering_is_refused(engine, now, actor):
    mid = f.meeting(engine, now=now, capacity=1)
    people = [f.register(engine, mid, n, now=now) for n in range(4)]
    with session_scope(engine) as s:
        current = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == mid
        )
    with session_scope(engine) as s:
        promoted = meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=mid,
            data=replace(current.as_input(), capacity=3),
            now=now,
        )
    assert promoted == [people[1].registration_id, people[2].registration_id]
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=mid,
            data=replace(current.as_input(), capacity=2),
            now=now,
        )
    assert "schon 3 Personen" in err.value.errors["capacity"]


def test_concurrent_edits_leave_a_consistent_meeting(engine, now, actor):
    mid = f.meeting(engine, now=now, capacity=5)
    with session_scope(engine) as s:
        base = _admin(s, actor, mid)
    barrier = threading.Barrier(8)

    def edit(n):
        barrier.wait()
        with session_scope(engine) as s:
            meeting_admin.update_meeting(
                session=s,
                actor=actor,
                meeting_id=mid,
                data=replace(base.as_input(), theme=f"Fassung {n}", capacity=5 + n),
                now=now,
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(edit, range(8)))
    with session_scope(engine) as s:
        final = _admin(s, actor, mid)
    n = int(final.theme.split()[-1])
    assert final.capacity == 5 + n  # theme and capacity come from the same edit
    assert f.audit_actions(engine).count("meeting.update") == 8


def test_cancel_and_hold_with_documentation(engine, now, actor):
    mid = f.meeting(engine, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=mid, status=MeetingStatus.HELD, now=now
        )
    later = now + timedelta(days=30)
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=mid,
            status=MeetingStatus.HELD,
            now=later,
            documentation_url="https://example.org/doku",
            documentation_text="Protokoll",
        )
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=mid)
    assert (view.status, view.documentation_url) == ("held", "https://example.org/doku")
    with session_scope(engine) as s, pytest.raises(ValidationError):
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=mid, status=MeetingStatus.CANCELLED, now=later
        )


def test_series_skips_holidays_and_is_all_or_nothing(engine, now, actor):
    drafts = propose_series(first_day=date(2022, 3, 7), count=3)
    assert [d.day for d in drafts] == [date(2022, 3, 7), date(2022, 4, 25), date(2022, 5, 30)]
    assert "Ostermontag" in drafts[1].note
    with session_scope(engine) as s:
        before = s.exec(select(func.count()).select_from(meeting_admin.Meeting)).one()
    with session_scope(engine) as s, pytest.raises(ValidationError):
        meeting_admin.create_series(
            session=s, actor=actor, proposals=drafts, template=_input(now, theme=""), now=now
        )
    with session_scope(engine) as s:
        ids = meeting_admin.create_series(
            session=s, actor=actor, proposals=drafts, template=_input(now), now=now
        )
    with session_scope(engine) as s:
        after = s.exec(select(func.count()).select_from(meeting_admin.Meeting)).one()
    assert len(ids) == 3 and after == before + 3


def test_impulse_order(engine, now, actor):
    mid = f.meeting(engine, now=now)
    ids = []
    for title in ("Erster Impuls", "Zweiter Impuls", "Dritter Impuls"):
        with session_scope(engine) as s:
            ids.append(
                meeting_admin.add_impulse(
                    session=s, actor=actor, meeting_id=mid, data=ImpulseInput(title, "Kim"), now=now
                )
            )
    with session_scope(engine) as s:
        meeting_admin.move_impulse(session=s, actor=actor, impulse_id=ids[2], step=-1, now=now)
    with session_scope(engine) as s:
        meeting_admin.remove_impulse(session=s, actor=actor, impulse_id=ids[0], now=now)
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=mid)
    assert [i.title for i in view.impulses] == ["Dritter Impuls", "Zweiter Impuls"]
