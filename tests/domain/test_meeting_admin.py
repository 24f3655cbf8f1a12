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
from stammtisch.errors import FORM, NotFound, PermissionDenied, ValidationError
from stammtisch.meetings import ImpulseInput, MeetingInput
from stammtisch.models import Impulse, MeetingStatus
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


# --- audit entries, exact messages and edges ------------------------------------------------


def _impulses(engine, mid):
    with session_scope(engine) as s:
        return [i.title for i in meetings.get_meeting(session=s, meeting_id=mid).impulses]


def _move(engine, actor, impulse_id, step, now):
    with session_scope(engine) as s:
        meeting_admin.move_impulse(
            session=s, actor=actor, impulse_id=impulse_id, step=step, now=now
        )


def test_impulses_are_added_moved_within_bounds_removed_and_logged(engine, now, actor):
    mid = f.meeting(engine, now=now)
    ids = {}
    for title in ("Aal", "Bär", "Chor"):
        with session_scope(engine) as s:
            ids[title] = meeting_admin.add_impulse(
                session=s, actor=actor, meeting_id=mid, data=ImpulseInput(title, "Kim"), now=now
            )
        assert f.last_audit(engine) == (
            "impulse.add",
            actor.name,
            "impulse",
            ids[title],
            {"meeting_id": mid},
        )
    _move(engine, actor, ids["Bär"], -1, now)
    assert _impulses(engine, mid) == ["Bär", "Aal", "Chor"]
    assert f.last_audit(engine) == (
        "impulse.move",
        actor.name,
        "impulse",
        ids["Bär"],
        {"position": 1},
    )
    _move(engine, actor, ids["Chor"], -1, now)  # ids no longer follow the order
    assert _impulses(engine, mid) == ["Bär", "Chor", "Aal"]
    _move(engine, actor, ids["Bär"], 5, now)  # far past the end: last
    assert _impulses(engine, mid) == ["Chor", "Aal", "Bär"]
    assert f.last_audit(engine)[4] == {"position": 3}
    _move(engine, actor, ids["Bär"], 1, now)  # already last: stays
    assert f.last_audit(engine)[4] == {"position": 3}
    _move(engine, actor, ids["Aal"], 1, now)  # second-to-last to last
    assert _impulses(engine, mid) == ["Chor", "Bär", "Aal"]
    _move(engine, actor, ids["Aal"], -5, now)  # far before the start: first
    assert _impulses(engine, mid) == ["Aal", "Chor", "Bär"]
    with session_scope(engine) as s:
        positions = {i.title: i.position for i in s.exec(select(Impulse))}
    assert positions == {"Aal": 1, "Chor": 2, "Bär": 3}
    with session_scope(engine) as s:
        meeting_admin.remove_impulse(session=s, actor=actor, impulse_id=ids["Chor"], now=now)
    assert f.last_audit(engine) == (
        "impulse.remove",
        actor.name,
        "impulse",
        ids["Chor"],
        {"meeting_id": mid, "title": "Chor"},
    )
    for call in (
        lambda s: meeting_admin.remove_impulse(session=s, actor=actor, impulse_id=999, now=now),
        lambda s: meeting_admin.move_impulse(
            session=s, actor=actor, impulse_id=999, step=1, now=now
        ),
    ):
        with session_scope(engine) as s, pytest.raises(NotFound) as err:
            call(s)
        assert err.value.message == "Diesen Impuls gibt es nicht."


def test_series_refuses_no_dates_and_logs_the_meetings(engine, now, actor):
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.create_series(
            session=s, actor=actor, proposals=[], template=_input(now), now=now
        )
    assert err.value.errors == {"proposals": "Bitte wählen Sie mindestens einen Termin."}
    drafts = propose_series(first_day=date(2022, 3, 7), count=2)
    with session_scope(engine) as s:
        ids = meeting_admin.create_series(
            session=s, actor=actor, proposals=drafts, template=_input(now), now=now
        )
    assert f.last_audit(engine) == ("meeting.series", actor.name, None, None, {"meetings": ids})


def test_status_changes_messages_documentation_and_log(engine, now, actor):
    mid = f.meeting(engine, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=mid, status=MeetingStatus.HELD, now=now
        )
    assert err.value.errors == {
        "status": "Als stattgefunden lässt sich ein Treffen erst ab seinem Beginn markieren."
    }
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=mid, status=MeetingStatus.PLANNED, now=now
        )
    assert err.value.errors == {"status": "Dieses Treffen ist bereits „geplant“."}
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=mid, status=MeetingStatus.CANCELLED, now=now
        )
    assert f.last_audit(engine) == (
        "meeting.cancelled",
        actor.name,
        "meeting",
        mid,
        {"notified": 0},
    )
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=mid, status=MeetingStatus.PLANNED, now=now
        )
    started = now + timedelta(days=14, hours=5)
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=mid,
            status=MeetingStatus.HELD,
            now=started,
            documentation_url="https://example.org/protokoll",
            documentation_text="Protokoll und Folien",
        )
    assert f.last_audit(engine) == ("meeting.held", actor.name, "meeting", mid, {})
    with session_scope(engine) as s:
        held = _admin(s, actor, mid)
    assert (held.status, held.documentation_url, held.documentation_text) == (
        "held",
        "https://example.org/protokoll",
        "Protokoll und Folien",
    )


def test_update_logs_the_changed_fields_and_allows_capacity_equal_to_confirmed(engine, now, actor):
    mid = f.meeting(engine, now=now, capacity=3)
    for n in range(4):
        f.register(engine, mid, n, now=now)
    with session_scope(engine) as s:
        current = _admin(s, actor, mid).as_input()
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.update_meeting(
            session=s, actor=actor, meeting_id=mid, data=replace(current, capacity=2), now=now
        )
    assert err.value.errors == {
        "capacity": "Es sind schon 3 Personen bestätigt. Weniger Plätze gehen nur, wenn vorher "
        "Anmeldungen storniert werden."
    }
    with session_scope(engine) as s:  # exactly as many places as confirmed people: fine
        meeting_admin.update_meeting(
            session=s, actor=actor, meeting_id=mid, data=replace(current, capacity=3), now=now
        )
    assert f.last_audit(engine) == (
        "meeting.update",
        actor.name,
        "meeting",
        mid,
        {"fields": [], "notified": 0, "promoted": []},
    )
    with session_scope(engine) as s:
        promoted = meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=mid,
            data=replace(current, capacity=4, theme="Neues Thema"),
            now=now,
        )
    assert f.last_audit(engine)[4] == {
        "fields": ["capacity", "theme"],
        "notified": 0,
        "promoted": promoted,
    }
    assert len(promoted) == 1


def test_as_input_carries_every_field_for_the_edit_form(engine, now, actor):
    data = _input(
        now,
        description="Worum es geht.",
        further_topic_field_ids=(2, 3),
        registration_state="closed",
        capacity=12,
        online_link="https://zoom.us/j/42",
    )
    with session_scope(engine) as s:
        mid = meeting_admin.create_meeting(session=s, actor=actor, data=data, now=now)
    started = data.starts_at + timedelta(minutes=1)
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=mid,
            status=MeetingStatus.HELD,
            now=started,
            documentation_url="https://example.org/doku",
            documentation_text="Notizen",
        )
    with session_scope(engine) as s:
        again = _admin(s, actor, mid).as_input()
    assert again == replace(
        data,
        further_topic_field_ids=(2, 3),
        documentation_url="https://example.org/doku",
        documentation_text="Notizen",
        status="held",
    )


# --- drafts: only the team sees them ------------------------------------------------------


def test_a_draft_is_invisible_to_visitors_until_it_is_published(engine, now, actor):
    from stammtisch import feed, meetings
    from stammtisch.errors import NotFound

    draft = f.meeting(engine, now=now, status="draft", theme="Leerstand als Chance")
    past_draft = f.meeting(engine, now=now, status="draft", days_ahead=-30, theme="Alt")
    with session_scope(engine) as s:  # the seed's meetings are there, the drafts are not
        upcoming = {m.id for m in meetings.list_upcoming(session=s, now=now)}
        past = {m.id for m in meetings.list_past(session=s, now=now)}
        assert not {draft, past_draft} & (upcoming | past)
        assert meetings.count_past(session=s, now=now) == len(past)
        with pytest.raises(NotFound):
            meetings.get_meeting(session=s, meeting_id=draft)
        assert meetings.get_meeting(session=s, meeting_id=draft, include_drafts=True).id == draft
    assert b"Leerstand" not in feed.upcoming_feed(engine, now=now, page_url=None)
    with pytest.raises(ValidationError) as err:
        f.register(engine, draft, 1, now=now, confirm=False)
    assert "gibt es nicht" in err.value.errors[FORM]
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=draft, status=MeetingStatus.PLANNED, now=now
        )
    with session_scope(engine) as s:
        assert draft in {m.id for m in meetings.list_upcoming(session=s, now=now)}
    assert f.register(engine, draft, 1, now=now).status == "confirmed"
    assert past_draft


def test_series_create_drafts_and_only_drafts_can_be_deleted(engine, now, actor):
    from stammtisch.date_proposals import propose_series

    field = f.topic_field(engine, now=now)
    proposals = propose_series(first_day=(now + timedelta(days=7)).date(), count=2)
    template = meetings.MeetingInput(
        theme="Thema folgt", starts_at=None, ends_at=None, primary_topic_field_id=field
    )
    with session_scope(engine) as s:
        ids = meeting_admin.create_series(
            session=s, actor=actor, proposals=proposals, template=template, now=now
        )
    with session_scope(engine) as s:
        statuses = {m.id: m.status for m in meeting_admin.list_meetings(session=s, actor=actor)}
    assert [statuses[i] for i in ids] == ["draft", "draft"]
    with session_scope(engine) as s:
        meeting_admin.delete_draft(session=s, actor=actor, meeting_id=ids[0], now=now)
    assert f.last_audit(engine) == (
        "meeting.delete_draft",
        actor.name,
        "meeting",
        ids[0],
        {"theme": "Thema folgt"},
    )
    published = f.meeting(engine, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.delete_draft(session=s, actor=actor, meeting_id=published, now=now)
    assert err.value.errors == {
        "status": "Löschen lässt sich nur ein Entwurf; ein veröffentlichtes Treffen sagen Sie ab."
    }
    with session_scope(engine) as s:
        left = {m.id for m in meeting_admin.list_meetings(session=s, actor=actor)}
    assert ids[0] not in left and {ids[1], published} <= left
    assert "meeting.delete_draft" in f.audit_actions(engine)


def test_the_list_counts_confirmed_and_waiting_people_per_meeting_newest_first(engine, now, actor):
    from stammtisch import registrations

    later = f.meeting(engine, now=now, days_ahead=20, capacity=1)
    twin = f.meeting(engine, now=now, days_ahead=20)  # the same start: the newer id first
    sooner = f.meeting(engine, now=now, days_ahead=10)
    empty = f.meeting(engine, now=now, days_ahead=5)
    f.register(engine, later, "a", now=now)  # the one place
    f.register(engine, later, "b", now=now)  # waits
    gone = f.register(engine, later, "c", now=now)  # waits, then cancels
    f.register(engine, later, "d", now=now, confirm=False)  # pending: holds nothing
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=gone.token, now=now)
    for n in range(3):
        f.register(engine, sooner, f"s{n}", now=now)
    f.register(engine, twin, "t", now=now)
    with session_scope(engine) as s:
        listed = meeting_admin.list_meetings(session=s, actor=actor)
    ours = {later, twin, sooner, empty}
    assert [(m.id, m.confirmed, m.waitlisted) for m in listed if m.id in ours] == [
        (twin, 1, 0),
        (later, 1, 1),
        (sooner, 3, 0),
        (empty, 0, 0),
    ]
    assert all(type(m.confirmed) is int and type(m.waitlisted) is int for m in listed)


def _status(engine, now, actor, meeting_id, status, count=None):
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            status=status,
            now=now,
            notify_count=count,
        )


def _state_of(engine, meeting_id):
    from stammtisch.models import Meeting

    with session_scope(engine) as s:
        row = s.get(Meeting, meeting_id)
        return row.status, row.ics_sequence


def test_cancelling_and_planning_again_ask_first_and_tell_everyone_registered(engine, now, actor):
    from stammtisch.errors import NeedsConfirmation

    mid = f.meeting(engine, now=now, capacity=1)
    f.register(engine, mid, "a", now=now)  # confirmed
    f.register(engine, mid, "b", now=now)  # waiting
    f.register(engine, mid, "p", now=now, confirm=False)  # pending: not told
    with pytest.raises(NeedsConfirmation) as asked:
        _status(engine, now, actor, mid, MeetingStatus.CANCELLED)
    assert (asked.value.count, asked.value.message) == (
        2,
        "Wir schreiben 2 Personen eine Mail über die Absage. Bitte bestätigen Sie das.",
    )
    with pytest.raises(NeedsConfirmation):
        _status(engine, now, actor, mid, MeetingStatus.CANCELLED, count=1)  # a stale number
    assert _state_of(engine, mid) == (MeetingStatus.PLANNED, 0)
    _status(engine, now, actor, mid, MeetingStatus.CANCELLED, count=2)
    assert _state_of(engine, mid) == (MeetingStatus.CANCELLED, 1)
    assert f.last_audit(engine) == (
        "meeting.cancelled",
        actor.name,
        "meeting",
        mid,
        {"notified": 2},
    )
    assert f.mail_kinds(engine, "persona@example.org")[-1] == "meeting_cancelled"
    assert f.mail_kinds(engine, "personb@example.org")[-1] == "meeting_cancelled"
    assert "meeting_cancelled" not in f.mail_kinds(engine, "personp@example.org")
    with pytest.raises(NeedsConfirmation) as asked:
        _status(engine, now, actor, mid, MeetingStatus.PLANNED)
    assert asked.value.message == (
        "Wir schreiben 2 Personen eine Mail über das Stattfinden. Bitte bestätigen Sie das."
    )
    _status(engine, now, actor, mid, MeetingStatus.PLANNED, count=2)
    assert _state_of(engine, mid) == (MeetingStatus.PLANNED, 2)
    assert f.last_audit(engine) == ("meeting.planned", actor.name, "meeting", mid, {"notified": 2})
    assert f.mail_kinds(engine, "persona@example.org")[-1] == "meeting_replanned"


def test_one_person_is_asked_about_as_one(engine, now, actor):
    from stammtisch.errors import NeedsConfirmation

    mid = f.meeting(engine, now=now)
    f.register(engine, mid, "a", now=now)
    with pytest.raises(NeedsConfirmation) as asked:
        _status(engine, now, actor, mid, MeetingStatus.CANCELLED)
    assert asked.value.message == (
        "Wir schreiben eine Person eine Mail über die Absage. Bitte bestätigen Sie das."
    )


def test_publishing_a_draft_tells_nobody_registered_but_announces_it(engine, now, actor):
    mid = f.meeting(engine, now=now, status="draft")
    f.subscribe(engine, now=now, email="news@example.org")
    _status(engine, now, actor, mid, MeetingStatus.PLANNED)  # nobody to ask about
    assert _state_of(engine, mid) == (MeetingStatus.PLANNED, 0)
    assert f.last_audit(engine) == ("meeting.planned", actor.name, "meeting", mid, {"announced": 1})


def test_marking_a_meeting_held_tells_nobody_and_keeps_its_sequence(engine, now, actor):
    mid = f.meeting(engine, now=now - timedelta(days=3), days_ahead=1)
    f.register(engine, mid, "a", now=now - timedelta(days=3))
    _status(engine, now, actor, mid, MeetingStatus.HELD)  # no question, no mail
    assert _state_of(engine, mid) == (MeetingStatus.HELD, 0)
    assert f.last_audit(engine) == ("meeting.held", actor.name, "meeting", mid, {})
    assert f.mail_kinds(engine, "persona@example.org")[-1] != "meeting_cancelled"


def _update(engine, now, actor, meeting_id, count=None, **changes):
    with session_scope(engine) as s:
        current = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == meeting_id
        )
    with session_scope(engine) as s:
        return meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            data=replace(current.as_input(), **changes),
            now=now,
            notify_count=count,
        )


def test_a_new_time_or_link_asks_first_and_names_what_changed(engine, now, actor):
    from stammtisch.errors import NeedsConfirmation

    mid = f.meeting(engine, now=now, capacity=1)
    f.register(engine, mid, "a", now=now)  # confirmed
    f.register(engine, mid, "b", now=now)  # waiting
    _, sequence = _state_of(engine, mid)
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=mid)
    later = {
        "starts_at": view.starts_at + timedelta(hours=1),
        "ends_at": view.ends_at + timedelta(hours=1),
    }
    link = {"online_link": "https://zoom.us/j/999888777"}
    cases = [
        (later, 2, "die neue Zeit"),  # a new time: everyone confirmed or waiting
        (link, 1, "den neuen Zoom-Link"),  # a new link: the confirmed only
        ({**later, **link}, 2, "die neue Zeit und den neuen Zoom-Link"),
    ]
    for changes, people, what in cases:
        with pytest.raises(NeedsConfirmation) as asked:
            _update(engine, now, actor, mid, **changes)
        who = "eine Person" if people == 1 else f"{people} Personen"
        assert (asked.value.count, asked.value.message) == (
            people,
            f"Wir schreiben {who} eine Mail über {what}. Bitte bestätigen Sie das.",
        )
    assert _state_of(engine, mid)[1] == sequence  # nothing changed while asking
    _update(engine, now, actor, mid, count=1, **link)
    assert _state_of(engine, mid)[1] == sequence + 1
    _update(engine, now, actor, mid, theme="Ein neues Thema")  # neither: nobody asked
    assert _state_of(engine, mid)[1] == sequence + 1


def test_opening_registration_tells_those_who_asked_once(engine, now, actor):
    mid = f.meeting(engine, now=now, registration_state="not_open")
    f.subscribe(engine, now=now, email="wartet@example.org", meeting_id=mid)
    _update(engine, now, actor, mid, theme="Noch zu")  # still not open: nobody told
    assert "subscribers" not in f.last_audit(engine)[4]
    _update(engine, now, actor, mid, registration_state="open")
    assert f.last_audit(engine)[4]["subscribers"] == 1
    _update(engine, now, actor, mid, theme="Schon offen")  # open already: not again
    assert "subscribers" not in f.last_audit(engine)[4]


def test_a_new_published_meeting_is_announced_a_draft_is_not(engine, now, actor):
    f.subscribe(engine, now=now, email="news@example.org")
    with session_scope(engine) as s:
        draft = meeting_admin.create_meeting(
            session=s, actor=actor, data=_input(now, status="draft"), now=now
        )
    assert f.last_audit(engine) == (
        "meeting.create",
        actor.name,
        "meeting",
        draft,
        {"theme": "Wasser im Revier", "announced": 0},
    )
    with session_scope(engine) as s:
        meeting_admin.create_meeting(session=s, actor=actor, data=_input(now), now=now)
    assert f.last_audit(engine)[4] == {"theme": "Wasser im Revier", "announced": 1}
    assert (
        f.mail_kinds(engine, "news@example.org")[-1] != f.mail_kinds(engine, "news@example.org")[0]
    )


def test_only_publishing_a_draft_announces_a_meeting(engine, now, actor):
    """Cancelling, planning again or marking held is no announcement, also not for
    someone who subscribed after the meeting was published."""
    mid = f.meeting(engine, now=now)
    f.subscribe(engine, now=now, email="news@example.org")
    _status(engine, now, actor, mid, MeetingStatus.CANCELLED)
    _status(engine, now, actor, mid, MeetingStatus.PLANNED)
    _status(engine, now + timedelta(days=15), actor, mid, MeetingStatus.HELD)
    assert "news_meeting" not in f.mail_kinds(engine, "news@example.org")
    draft = f.meeting(engine, now=now, status="draft")
    _status(engine, now, actor, draft, MeetingStatus.PLANNED)
    assert f.mail_kinds(engine, "news@example.org").count("news_meeting") == 1


def test_an_edit_keeps_the_meetings_archived_topic_field(engine, now, actor):
    """A field archived after the meeting was planned stays on it when the meeting is
    edited; only new choices must be on offer."""
    from stammtisch import topics

    field = f.topic_field(engine, now=now, name="Altes Feld")
    mid = f.meeting(engine, now=now, topic_field_id=field)
    with session_scope(engine) as s:
        topics.archive_topic_field(session=s, actor=actor, topic_field_id=field, now=now)
    _update(engine, now, actor, mid, theme="Neues Thema")
    with session_scope(engine) as s:
        edited = _admin(s, actor, mid)
    assert (edited.theme, edited.primary_topic_field_id) == ("Neues Thema", field)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        meeting_admin.create_meeting(
            session=s, actor=actor, data=_input(now, primary_topic_field_id=field), now=now
        )
    assert err.value.errors == {
        "primary_topic_field_id": "Dieses Themenfeld ist archiviert. Bitte wählen Sie ein anderes."
    }


def test_a_new_link_is_mailed_to_the_confirmed_and_every_change_counts_up(engine, now, actor):
    """A new Zoom link goes to the confirmed (not to those waiting) with the link; each
    change of link or time raises the calendar sequence by one."""
    from stammtisch.models import Mail

    mid = f.meeting(engine, now=now, capacity=1)
    f.register(engine, mid, "a", now=now)  # confirmed
    f.register(engine, mid, "b", now=now)  # waiting
    assert _state_of(engine, mid)[1] == 0
    _update(engine, now, actor, mid, count=1, online_link="https://zoom.us/j/999888777")
    assert _state_of(engine, mid)[1] == 1
    assert f.last_audit(engine)[4]["notified"] == 1
    assert f.mail_kinds(engine, "persona@example.org")[-1] == "meeting_changed"
    assert "meeting_changed" not in f.mail_kinds(engine, "personb@example.org")
    with session_scope(engine) as s:
        sent = s.exec(select(Mail).where(Mail.kind == "meeting_changed")).one()
        assert "Der Zugangslink zum Zoom-Meeting hat sich geändert." in sent.body_text
        assert "Neuer Zugangslink zum Zoom-Meeting:\nhttps://zoom.us/j/999888777" in (
            sent.body_text
        )
    _update(engine, now, actor, mid, count=1, online_link="https://zoom.us/j/111222333")
    assert _state_of(engine, mid)[1] == 2
