"""Organizer services for registrations: search, counts, waitlist, cancellation, attendance."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from stammtisch import meeting_admin, privacy, registrations
from stammtisch import registration_admin as ra
from stammtisch.db import session_scope
from stammtisch.errors import (
    InvalidTransition,
    NeedsConfirmation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from stammtisch.models import AuditEntry, Mail, Meeting, MeetingStatus, Registration
from stammtisch.organizers import OrganizerIdentity, add_organizer
from tests import factories as f


@pytest.fixture
def actor(engine, now) -> OrganizerIdentity:
    """An organizer in the fresh, unseeded database (so ids start at 1)."""
    return f.organizer(engine, now=now)


def _past_meeting(engine, now) -> int:
    """A meeting that took place three days before ``now``, with three registrations."""
    meeting_id = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17)
    before = now - timedelta(days=10)
    f.register(
        engine,
        meeting_id,
        "e",
        now=before,
        name="Erika Beispiel",
        email="erika@example.org",
        organisation="BUND Leipzig",
    )
    f.register(
        engine, meeting_id, "z", now=before, name="ZOË ÖZTÜRK", email="Zoe.Oeztuerk@Example.org"
    )
    f.register(engine, meeting_id, "k", now=before, name="Kim 100% Doe", email="kim@example.org")
    return meeting_id


def _audit(engine, action: str) -> list[AuditEntry]:
    with session_scope(engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _status(engine, registration_id: int) -> tuple[str, str]:
    with session_scope(engine) as s:
        row = s.get(Registration, registration_id)
        return row.status, row.attendance


# --- permissions --------------------------------------------------------------------------

SERVICES = {
    "list": lambda s, a, ids, now: ra.list_registrations(session=s, actor=a, meeting_id=ids[0]),
    "counts": lambda s, a, ids, now: ra.counts(session=s, actor=a, meeting_id=ids[0]),
    "promote": lambda s, a, ids, now: ra.promote(
        session=s, actor=a, registration_id=ids[2], now=now
    ),
    "cancel": lambda s, a, ids, now: ra.cancel_for(
        session=s, actor=a, registration_id=ids[1], now=now
    ),
    "attendance": lambda s, a, ids, now: ra.set_attendance(
        session=s, actor=a, registration_ids=[ids[1]], attendance="unknown", now=now
    ),
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_without_organizer_is_refused(engine, now, actor, name):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now).registration_id
    second = f.register(engine, meeting_id, 2, now=now).registration_id
    with session_scope(engine) as s:
        organizer_id = add_organizer(
            session=s, name="inaktiv", password="ein-langes-passwort", now=now
        ).id
    stale = OrganizerIdentity(id=organizer_id, name="jemand-anderes", display_name="x")
    for bad in (None, stale, OrganizerIdentity(id=actor.id + 99, name="x", display_name="x")):
        with session_scope(engine) as s, pytest.raises(PermissionDenied):
            SERVICES[name](s, bad, (meeting_id, first, second), now)
    assert (_status(engine, first), _status(engine, second)) == (
        ("confirmed", "unknown"),
        ("waitlisted", "unknown"),
    )
    assert _audit(engine, "registration.promote") == []


# --- listing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("erika", ["Erika Beispiel"]),
        ("öztürk", ["ZOË ÖZTÜRK"]),  # non-ASCII case folding, in SQL on both databases
        ("zoë", ["ZOË ÖZTÜRK"]),
        ("ZOE.OEZTUERK@", ["ZOË ÖZTÜRK"]),  # e-mail address
        ("bund leip", ["Erika Beispiel"]),  # organisation
        ("100%", ["Kim 100% Doe"]),  # % is taken literally
        ("%", ["Kim 100% Doe"]),
        ("_", []),
        ("  ", ["Erika Beispiel", "ZOË ÖZTÜRK", "Kim 100% Doe"]),
        ("niemand", []),
    ],
)
def test_list_registrations_search_case_insensitive(engine, now, actor, search, expected):
    meeting_id = _past_meeting(engine, now)
    with session_scope(engine) as s:
        page = ra.list_registrations(session=s, actor=actor, meeting_id=meeting_id, search=search)
    assert [r.name for r in page.rows] == expected
    assert page.total == len(expected)


def test_list_registrations_status_filter_and_paging(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=2)
    for n in range(5):
        f.register(engine, meeting_id, n, now=now)
    other = f.meeting(engine, now=now)
    f.register(engine, other, "x", now=now)
    with session_scope(engine) as s:
        waiting = ra.list_registrations(
            session=s, actor=actor, meeting_id=meeting_id, status="waitlisted", limit=2, offset=1
        )
    assert waiting.total == 3
    assert [r.name for r in waiting.rows] == ["Person 3", "Person 4"]
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        ra.list_registrations(session=s, actor=actor, meeting_id=meeting_id, status="bogus")
    assert err.value.errors == {"status": "Bitte wählen Sie einen Status."}


def test_counts_per_status_and_attendance(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, meeting_id)
        meeting.unregistered_attendees = 4
        s.add(meeting)
        s.commit()
    with session_scope(engine) as s:
        ra.set_attendance(
            session=s, actor=actor, registration_ids=[1, 2], attendance="yes", now=now
        )
    with session_scope(engine) as s:
        ra.set_attendance(session=s, actor=actor, registration_ids=[3], attendance="no", now=now)
    with session_scope(engine) as s:
        counts = ra.counts(session=s, actor=actor, meeting_id=meeting_id)
    assert (counts.confirmed, counts.waitlisted, counts.cancelled) == (3, 0, 0)
    assert (counts.attended, counts.absent, counts.unregistered_attendees) == (2, 1, 4)
    assert counts.attended_total == 6
    with session_scope(engine) as s, pytest.raises(NotFound):
        ra.counts(session=s, actor=actor, meeting_id=999)


# --- waitlist -----------------------------------------------------------------------------


def test_promote_when_full_needs_explicit_over_capacity(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    f.register(engine, meeting_id, 2, now=now)
    second_waiting = f.register(engine, meeting_id, 3, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        ra.promote(session=s, actor=actor, registration_id=second_waiting.registration_id, now=now)
    assert "Alle 1 Plätze sind vergeben" in err.value.errors["over_capacity"]
    assert _status(engine, second_waiting.registration_id)[0] == "waitlisted"
    assert _audit(engine, "registration.promote") == []
    # The organizer picks the second person waiting, past the first, beyond capacity.
    with session_scope(engine) as s:
        ra.promote(
            session=s,
            actor=actor,
            registration_id=second_waiting.registration_id,
            now=now,
            over_capacity=True,
        )
    assert _status(engine, second_waiting.registration_id)[0] == "confirmed"
    with session_scope(engine) as s:
        assert f.status_counts(engine, meeting_id, now=now) == {
            "confirmed": 2,
            "waitlisted": 1,
            "cancelled": 0,
        }
    [entry] = _audit(engine, "registration.promote")
    assert entry.actor_name == "orga" and entry.object_id == second_waiting.registration_id
    assert json.loads(entry.details)["over_capacity"] is True


def test_promote_with_free_place_needs_no_flag(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, meeting_id)
        meeting.capacity = 5  # raised directly, without filling: a free place and a waitlist
        s.add(meeting)
        s.commit()
    with session_scope(engine) as s:
        ra.promote(session=s, actor=actor, registration_id=waiting.registration_id, now=now)
    assert _status(engine, waiting.registration_id)[0] == "confirmed"
    with session_scope(engine) as s, pytest.raises(InvalidTransition) as err:
        ra.promote(session=s, actor=actor, registration_id=first.registration_id, now=now)
    assert "bereits „angemeldet“" in err.value.message
    with session_scope(engine) as s, pytest.raises(NotFound):
        ra.promote(session=s, actor=actor, registration_id=999, now=now)


# --- cancelling on someone's behalf -------------------------------------------------------


def test_cancel_for_promotes_first_waiting_and_is_audited(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    second = f.register(engine, meeting_id, 2, now=now)
    third = f.register(engine, meeting_id, 3, now=now)
    with session_scope(engine) as s:
        promoted = ra.cancel_for(
            session=s, actor=actor, registration_id=first.registration_id, now=now
        )
    assert promoted == (second.registration_id,)
    assert _status(engine, first.registration_id)[0] == "cancelled"
    assert _status(engine, third.registration_id)[0] == "waitlisted"
    [entry] = _audit(engine, "registration.cancel")
    assert json.loads(entry.details)["promoted"] == [second.registration_id]
    with session_scope(engine) as s, pytest.raises(InvalidTransition) as err:
        ra.cancel_for(session=s, actor=actor, registration_id=first.registration_id, now=now)
    assert "bereits „storniert“" in err.value.message
    # The owner's own link no longer shows a place.
    with session_scope(engine) as s:
        assert (
            registrations.find_by_token(session=s, token=first.token, now=now).status == "cancelled"
        )


def test_cancel_for_waitlisted_promotes_nobody(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now)
    with session_scope(engine) as s:
        assert (
            ra.cancel_for(session=s, actor=actor, registration_id=waiting.registration_id, now=now)
            == ()
        )


def test_cancel_for_after_the_meeting_is_refused(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    with session_scope(engine) as s, pytest.raises(InvalidTransition) as err:
        ra.cancel_for(session=s, actor=actor, registration_id=1, now=now)
    assert "Teilnahme „nein“" in err.value.message
    assert _status(engine, 1)[0] == "confirmed"
    assert meeting_id


# --- attendance by hand -------------------------------------------------------------------


def test_set_attendance_for_many_and_audited(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    with session_scope(engine) as s:
        assert (
            ra.set_attendance(
                session=s, actor=actor, registration_ids=[2, 1, 1], attendance="yes", now=now
            )
            == 2
        )
    assert [_status(engine, i)[1] for i in (1, 2, 3)] == ["yes", "yes", "unknown"]
    [entry] = _audit(engine, "registration.attendance")
    assert json.loads(entry.details) == {
        "ids": [1, 2],
        "attendance": "yes",
        "moved_from_unregistered": 0,
    }
    assert (entry.object_type, entry.object_id) == ("meeting", meeting_id)


@pytest.mark.parametrize(
    ("ids", "value", "error", "field"),
    [
        ([1], "vielleicht", ValidationError, "attendance"),
        ([], "yes", ValidationError, "registration_ids"),
        (["x"], "yes", ValidationError, "registration_ids"),
        ([1, 999], "yes", NotFound, None),
    ],
)
def test_set_attendance_bad_input_changes_nothing(engine, now, actor, ids, value, error, field):
    _past_meeting(engine, now)
    with session_scope(engine) as s, pytest.raises(error) as err:
        ra.set_attendance(session=s, actor=actor, registration_ids=ids, attendance=value, now=now)
    if field:
        assert field in err.value.errors
    assert _status(engine, 1)[1] == "unknown"
    assert _audit(engine, "registration.attendance") == []


def test_set_attendance_before_the_meeting_only_unknown(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    reg = f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        ra.set_attendance(
            session=s, actor=actor, registration_ids=[reg.registration_id], attendance="no", now=now
        )
    assert "erst ab Beginn" in err.value.errors["attendance"]
    with session_scope(engine) as s:
        ra.set_attendance(
            session=s,
            actor=actor,
            registration_ids=[reg.registration_id],
            attendance="unknown",
            now=now,
        )


# --- exact messages, audit entries and edges ----------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("a\\b", ["A\\B Verein"]),  # a backslash is a backslash, not an escape
        ("a_b", ["A_B Verein"]),  # _ is taken literally, not "any character"
        ("a%b", []),
    ],
)
def test_search_takes_backslash_and_underscore_literally(engine, now, actor, search, expected):
    meeting_id = f.meeting(engine, now=now)
    for n, name in enumerate(["A\\B Verein", "A_B Verein", "AB Verein", "AxB Verein"]):
        f.register(engine, meeting_id, n, now=now, name=name)
    with session_scope(engine) as s:
        page = ra.list_registrations(session=s, actor=actor, meeting_id=meeting_id, search=search)
    assert [r.name for r in page.rows] == expected


def test_list_in_arrival_order_with_page_bounds_and_the_anonymised_flag(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    f.register(engine, meeting_id, 2, now=now)  # waits, then moves up
    f.register(engine, meeting_id, 3, now=now)  # waits
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=first.token, now=now)
    with session_scope(engine) as s:
        privacy.erase_person(session=s, actor=actor, email="person3@example.org", now=now)

    def page(**kw):
        with session_scope(engine) as s:
            return ra.list_registrations(session=s, actor=actor, meeting_id=meeting_id, **kw)

    everyone = page()
    # Arrival order, whatever the status (the status index would sort differently).
    assert [(r.id, r.status, r.anonymised) for r in everyone.rows] == [
        (1, "cancelled", False),
        (2, "confirmed", False),
        (3, "cancelled", True),
    ]
    assert (everyone.total, everyone.offset, everyone.limit) == (3, 0, 100)
    one = page(limit=0, offset=-5)  # at least one row, never a negative offset
    assert ([r.id for r in one.rows], one.offset, one.limit) == ([1], 0, 1)
    last = page(limit=1, offset=2)
    assert ([r.id for r in last.rows], last.total, last.offset, last.limit) == ([3], 3, 2, 1)
    assert page(limit=10_000).limit == ra.MAX_PAGE


def test_counts_absent_only_among_confirmed_and_unknown_meeting_message(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    confirmed = f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now)
    during = now + timedelta(days=14, hours=5, minutes=10)  # the meeting is running
    with session_scope(engine) as s:
        ra.set_attendance(
            session=s,
            actor=actor,
            registration_ids=[confirmed.registration_id, waiting.registration_id],
            attendance="no",
            now=during,
        )
    with session_scope(engine) as s:
        counts = ra.counts(session=s, actor=actor, meeting_id=meeting_id)
    assert (counts.confirmed, counts.waitlisted, counts.absent, counts.attended) == (1, 1, 1, 0)
    assert counts.total == 2
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        ra.counts(session=s, actor=actor, meeting_id=999)
    assert err.value.message == "Diesen Termin gibt es nicht."


def test_promote_messages_and_audit_entry(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now).registration_id
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        ra.promote(session=s, actor=actor, registration_id=waiting, now=now)
    assert err.value.errors == {
        "over_capacity": "Alle 1 Plätze sind vergeben. Wenn die Person trotzdem nachrücken "
        "soll, bestätigen Sie bitte „auch wenn alle Plätze vergeben sind“."
    }
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        ra.promote(session=s, actor=actor, registration_id=999, now=now)
    assert err.value.message == "Diese Anmeldung gibt es nicht."
    with session_scope(engine) as s:
        ra.promote(session=s, actor=actor, registration_id=waiting, now=now, over_capacity=True)
    [entry] = f.audit_entries(engine, "registration.promote")
    assert (entry.actor_name, entry.object_type, entry.object_id) == (
        actor.name,
        "registration",
        waiting,
    )
    assert entry.details == {
        "meeting_id": meeting_id,
        "over_capacity": True,
        "confirmed_after": 2,
        "capacity": 1,
    }


def test_promote_refused_for_a_cancelled_meeting(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now).registration_id
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            status=MeetingStatus.CANCELLED,
            now=now,
            notify_count=2,
        )
    with session_scope(engine) as s, pytest.raises(InvalidTransition) as err:
        ra.promote(session=s, actor=actor, registration_id=waiting, now=now, over_capacity=True)
    assert err.value.message == (
        "Dieser Termin wurde abgesagt; seine Anmeldungen lassen sich nicht mehr ändern."
    )
    assert _status(engine, waiting)[0] == "waitlisted"


def test_cancel_for_writes_the_time_and_a_full_audit_entry(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now).registration_id
    second = f.register(engine, meeting_id, 2, now=now).registration_id
    later = now + timedelta(hours=2)
    with session_scope(engine) as s:
        ra.cancel_for(session=s, actor=actor, registration_id=first, now=later)
    with session_scope(engine) as s:
        assert s.get(Registration, first).cancelled_at == later
    [entry] = f.audit_entries(engine, "registration.cancel")
    assert (entry.actor_name, entry.object_type, entry.object_id, entry.at) == (
        actor.name,
        "registration",
        first,
        later,
    )
    assert entry.details == {"meeting_id": meeting_id, "was": "confirmed", "promoted": [second]}


@pytest.mark.parametrize(
    ("ids", "value", "errors"),
    [
        ([1], "vielleicht", {"attendance": "Bitte wählen Sie „ja“, „nein“ oder „unbekannt“."}),
        ([], "yes", {"registration_ids": "Bitte wählen Sie Anmeldungen aus."}),
        (["x"], "yes", {"registration_ids": "Ungültige Auswahl."}),
        (
            list(range(1, ra.MAX_BULK + 2)),
            "yes",
            {"registration_ids": "Höchstens 5000 Anmeldungen auf einmal."},
        ),
    ],
)
def test_set_attendance_refusals_say_why(engine, now, actor, ids, value, errors):
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        ra.set_attendance(session=s, actor=actor, registration_ids=ids, attendance=value, now=now)
    assert err.value.errors == errors


def test_set_attendance_takes_up_to_the_bulk_limit_and_names_missing_rows(engine, now, actor):
    _past_meeting(engine, now)
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        ra.set_attendance(
            session=s,
            actor=actor,
            registration_ids=list(range(1, ra.MAX_BULK + 1)),  # exactly the limit: allowed
            attendance="yes",
            now=now,
        )
    assert err.value.message == "Mindestens eine dieser Anmeldungen gibt es nicht (mehr)."


def test_attendance_for_two_meetings_is_logged_without_one_meeting(engine, now, actor):
    first = _past_meeting(engine, now)
    second = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17)
    other = f.register(engine, second, "o", now=now - timedelta(days=10)).registration_id
    with session_scope(engine) as s:
        ra.set_attendance(
            session=s, actor=actor, registration_ids=[1, other], attendance="yes", now=now
        )
    [entry] = f.audit_entries(engine, "registration.attendance")
    assert (entry.actor_name, entry.object_type, entry.object_id) == (actor.name, None, None)
    assert entry.details == {
        "ids": [1, other],
        "attendance": "yes",
        "moved_from_unregistered": 0,
    }
    assert first != second


# --- the mails of a cancellation by the team ------------------------------------------------


def _mails_to(engine, address: str) -> list[Mail]:
    with session_scope(engine) as s:
        return list(s.exec(select(Mail).where(Mail.to_address == address).order_by(Mail.id)).all())


def test_cancel_for_mails_the_team_wording_and_the_promoted_person_gets_the_link(
    engine, now, actor
):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now, name="Erika Beispiel")
    second = f.register(engine, meeting_id, 2, now=now)
    with session_scope(engine) as s:
        ra.cancel_for(session=s, actor=actor, registration_id=first.registration_id, now=now)
    cancelled = _mails_to(engine, "person1@example.org")[-1]
    assert cancelled.kind == "cancellation"
    assert cancelled.registration_id == first.registration_id
    assert cancelled.subject.startswith("Strukturwandel-Stammtisch: Abmeldung für den ")
    assert cancelled.body_text.startswith("Hallo Erika Beispiel,")
    assert "das Team des Strukturwandel-Stammtischs hat Ihre Anmeldung storniert" in (
        cancelled.body_text
    )
    assert "Sie haben sich abgemeldet" not in cancelled.body_text
    # The person who moved up gets the Zoom link and a fresh personal link (in ``secret``).
    promoted = _mails_to(engine, "person2@example.org")[-1]
    assert (promoted.kind, promoted.registration_id) == ("promoted", second.registration_id)
    assert "nachgerückt" in promoted.subject
    assert "https://zoom.us/j/123456789" in promoted.body_text and promoted.ics
    assert promoted.secret and promoted.secret != second.token
    with session_scope(engine) as s:
        details = registrations.find_by_token(session=s, token=promoted.secret, now=now)
    assert details.status == "confirmed"


def test_a_self_cancellation_mails_the_persons_own_wording(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    own = f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=own.token, now=now)
    cancelled = _mails_to(engine, "person1@example.org")[-1]
    assert cancelled.kind == "cancellation"
    assert "Sie haben sich abgemeldet" in cancelled.body_text
    assert "hat Ihre Anmeldung storniert" not in cancelled.body_text


def test_cancel_for_a_waiting_person_mails_only_that_person(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now)
    f.register(engine, meeting_id, 3, now=now)
    before = f.mail_kinds_of_meeting(engine, meeting_id)
    with session_scope(engine) as s:
        ra.cancel_for(session=s, actor=actor, registration_id=waiting.registration_id, now=now)
    assert sorted(f.mail_kinds_of_meeting(engine, meeting_id)) == sorted([*before, "cancellation"])
    assert _mails_to(engine, "person2@example.org")[-1].kind == "cancellation"


def test_a_rolled_back_cancel_for_queues_no_mail(engine, now, actor, monkeypatch):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    f.register(engine, meeting_id, 2, now=now)
    before = f.mail_kinds_of_meeting(engine, meeting_id)

    def broken_audit(*_args, **_kwargs):
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(ra, "record", broken_audit)
    with session_scope(engine) as s, pytest.raises(RuntimeError):
        ra.cancel_for(session=s, actor=actor, registration_id=first.registration_id, now=now)
    assert f.mail_kinds_of_meeting(engine, meeting_id) == before
    assert _status(engine, first.registration_id)[0] == "confirmed"


def _counted_by_zoom(engine, now, actor):
    """A held meeting with three registrations; Zoom counted two strangers ("Gast 1/2")
    and nobody of the three, so they are absent until the team ticks them."""
    from stammtisch import imports

    meeting_id = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17)
    before = now - timedelta(days=10)
    ids = [
        f.register(engine, meeting_id, n, now=before, name=f"Person {n}").registration_id
        for n in range(3)
    ]
    rep = imports.parse_zoom_report(b"Name (Original Name),User Email\nGast 1,\nGast 2,\n")
    with session_scope(engine) as s:
        imports.apply_import(session=s, actor=actor, meeting_id=meeting_id, report=rep, now=now)
    return meeting_id, ids


def _unregistered(engine, meeting_id) -> int:
    with session_scope(engine) as s:
        return s.get(Meeting, meeting_id).unregistered_attendees


def _attend(engine, now, actor, ids, value="yes", moved=True):
    with session_scope(engine) as s:
        return ra.set_attendance(
            session=s,
            actor=actor,
            registration_ids=ids,
            attendance=value,
            now=now,
            counted_without_registration=moved,
        )


def test_ticking_people_zoom_counted_as_strangers_moves_them_over(engine, now, actor):
    meeting_id, ids = _counted_by_zoom(engine, now, actor)
    assert _unregistered(engine, meeting_id) == 2
    assert _attend(engine, now, actor, [ids[0]]) == 1
    assert _unregistered(engine, meeting_id) == 1
    assert f.last_audit(engine)[0] == "registration.attendance"
    assert f.last_audit(engine)[4]["moved_from_unregistered"] == 1
    _attend(engine, now, actor, [ids[0]])  # already ticked: moves nobody again
    assert _unregistered(engine, meeting_id) == 1
    _attend(engine, now, actor, ids)  # two new, but only one stranger left to move
    assert _unregistered(engine, meeting_id) == 0
    assert f.last_audit(engine)[4]["moved_from_unregistered"] == 1


def test_only_a_yes_moves_someone_over_and_only_when_asked(engine, now, actor):
    meeting_id, ids = _counted_by_zoom(engine, now, actor)
    _attend(engine, now, actor, [ids[0]], value="no")
    _attend(engine, now, actor, [ids[1]], moved=False)
    assert _unregistered(engine, meeting_id) == 2
    with session_scope(engine) as s:
        assert s.get(Registration, ids[1]).attendance == "yes"


def test_moving_strangers_over_takes_one_meeting_at_a_time(engine, now, actor):
    first, ids = _counted_by_zoom(engine, now, actor)
    second, others = _counted_by_zoom(engine, now, actor)
    with pytest.raises(ValidationError) as err:
        _attend(engine, now, actor, [ids[0], others[0]])
    assert err.value.errors == {
        "registration_ids": "Bitte nur Anmeldungen eines Treffens auf einmal."
    }
    assert (_unregistered(engine, first), _unregistered(engine, second)) == (2, 2)
    _attend(engine, now, actor, [ids[0], others[0]], moved=False)  # without moving: fine


def _message(groups, subject="Folien zum Treffen", text="Hier sind die Folien."):
    return ra.MessageInput(subject=subject, text=text, groups=groups)


def _send(engine, now, actor, meeting_id, data, count=None):
    with session_scope(engine) as s:
        return ra.send_message(
            session=s, actor=actor, meeting_id=meeting_id, data=data, now=now, notify_count=count
        )


def _messaged(engine) -> list[tuple[str, str]]:
    from stammtisch.models import Mail

    with session_scope(engine) as s:
        rows = s.exec(select(Mail).where(Mail.kind == "team_message").order_by(Mail.id)).all()
        return [(m.to_address, m.subject) for m in rows]


def test_a_team_message_goes_to_each_chosen_group_and_nobody_else(engine, now, actor):
    from stammtisch.errors import NeedsConfirmation

    meeting_id = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17, capacity=3)
    before = now - timedelta(days=10)
    came, stayed_away, unknown = (
        f.register(engine, meeting_id, n, now=before).registration_id for n in ("c", "s", "u")
    )
    f.register(engine, meeting_id, "w", now=before)  # waits
    gone = f.register(engine, meeting_id, "x", now=before)  # cancels: never written to
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=gone.token, now=before)
    f.register(engine, meeting_id, "p", now=before, confirm=False)  # pending: not written to
    _attend(engine, now, actor, [came], moved=False)
    _attend(engine, now, actor, [stayed_away], value="no", moved=False)
    other = f.meeting(engine, now=now)
    f.register(engine, other, "o", now=now)  # another meeting: never
    expected = {
        ("confirmed",): 3,
        ("waitlisted",): 1,
        ("attended",): 1,
        ("confirmed", "waitlisted"): 4,
        ("waitlisted", "attended"): 2,
    }
    with session_scope(engine) as s:
        reach = {
            g: ra.message_audience(session=s, meeting_id=meeting_id, groups=g) for g in expected
        }
        assert ra.message_audience(session=s, meeting_id=meeting_id, groups=("alle",)) == 0
        assert ra.message_audience(session=s, meeting_id=meeting_id, groups=()) == 0
    assert reach == expected
    with pytest.raises(NeedsConfirmation) as asked:
        _send(engine, now, actor, meeting_id, _message(("waitlisted", "attended")))
    assert (asked.value.count, asked.value.message) == (
        2,
        "Die Nachricht geht an 2 Personen. Bitte bestätigen Sie das.",
    )
    with pytest.raises(NeedsConfirmation) as asked:
        _send(engine, now, actor, meeting_id, _message(("attended",)), count=2)  # stale number
    assert asked.value.message == "Die Nachricht geht an eine Person. Bitte bestätigen Sie das."
    assert _messaged(engine) == []
    assert _send(engine, now, actor, meeting_id, _message(("waitlisted", "attended")), 2) == 2
    assert sorted(a for a, _ in _messaged(engine)) == ["personc@example.org", "personw@example.org"]
    assert {s for _, s in _messaged(engine)} == {
        "Strukturwandel-Stammtisch: Folien zum Treffen (Mi, 17.11.2021, 17:00–18:30 Uhr)"
    }
    action, _, kind, obj, details = f.last_audit(engine)
    assert (action, kind, obj, details) == (
        "meeting.message",
        "meeting",
        meeting_id,
        {"subject": "Folien zum Treffen", "groups": ["waitlisted", "attended"], "recipients": 2},
    )
    assert unknown


def test_a_team_message_needs_subject_text_and_a_known_group(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    for groups in ((), ("alle",), ("confirmed", "alle")):
        with pytest.raises(ValidationError) as err:
            _send(engine, now, actor, meeting_id, _message(groups), count=0)
        assert err.value.errors == {"groups": "Bitte wählen Sie, wer die Nachricht bekommt."}
    with pytest.raises(ValidationError) as err:
        _send(engine, now, actor, meeting_id, _message(("confirmed",), subject="ab", text="kurz"))
    assert err.value.errors == {
        "subject": "Der Betreff ist zu kurz (mindestens 3 Zeichen).",
        "text": "Der Text ist zu kurz (mindestens 10 Zeichen).",
    }
    with pytest.raises(ValidationError) as err:
        _send(engine, now, actor, meeting_id, _message(("confirmed",)), count=0)
    assert err.value.errors == {"groups": "In den gewählten Gruppen ist niemand."}


def test_a_cancellation_by_the_team_tells_the_person_who_cancelled(engine, now, actor):
    from stammtisch.models import Mail

    meeting_id = f.meeting(engine, now=now)
    receipt = f.register(engine, meeting_id, "t", now=now)
    with session_scope(engine) as s:
        ra.cancel_for(session=s, actor=actor, registration_id=receipt.registration_id, now=now)
    with session_scope(engine) as s:
        mail = s.exec(select(Mail).where(Mail.kind == "cancellation")).one()
        assert mail.to_address == "persont@example.org"
        assert "das Team des Strukturwandel-Stammtischs hat Ihre Anmeldung storniert." in (
            mail.body_text
        )
    with session_scope(engine) as s:
        figures = ra.counts(session=s, actor=actor, meeting_id=meeting_id)
    assert (figures.confirmed, figures.cancelled) == (0, 1)


def test_a_team_message_without_subject_or_text_asks_for_both(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now)
    with pytest.raises(ValidationError) as err:
        _send(engine, now, actor, meeting_id, _message(("confirmed",), subject="", text="  "))
    assert err.value.errors == {
        "subject": "Bitte geben Sie einen Betreff an.",
        "text": "Bitte geben Sie einen Text an.",
    }
    assert _messaged(engine) == []


def _team_mails(engine) -> list[Mail]:
    with session_scope(engine) as s:
        return list(s.exec(select(Mail).where(Mail.kind == "team_message").order_by(Mail.id)))


def test_a_team_message_is_one_personal_mail_per_registration_signed_by_the_sender(
    engine, now, actor
):
    """Each mail greets the person, names the sender (display name, else account name),
    belongs to the registration and meeting, and the log names the organizer."""
    meeting_id = f.meeting(engine, now=now, theme="Wasser im Revier")
    first = f.register(engine, meeting_id, "a", now=now, name="Erika Beispiel").registration_id
    kim = f.organizer(engine, now=now, name="kim", display_name="Kim vom Team")
    assert _send(engine, now, kim, meeting_id, _message(("confirmed",)), count=1) == 1
    [sent] = _team_mails(engine)
    assert (sent.to_address, sent.to_name, sent.registration_id, sent.meeting_id) == (
        "persona@example.org",
        "Erika Beispiel",
        first,
        meeting_id,
    )
    assert sent.body_text.startswith("Hallo Erika Beispiel,\n\n")
    assert "Nachricht von Kim vom Team zum Treffen „Wasser im Revier“:\n> " in sent.body_text
    assert f.last_audit(engine)[:4] == ("meeting.message", "kim", "meeting", meeting_id)
    assert f.mail_kinds_of_meeting(engine, meeting_id).count("team_message") == 1
    # Without a display name the account name signs.
    assert _send(engine, now, actor, meeting_id, _message(("confirmed",)), count=1) == 1
    assert "Nachricht von orga zum Treffen" in _team_mails(engine)[-1].body_text
    assert f.last_audit(engine)[1] == actor.name


def test_a_team_message_reaches_only_this_meeting_and_not_the_erased(engine, now, actor):
    """Other meetings' registrants and anonymised registrations (kept as confirmed and
    attended after the meeting, but without an address) are neither counted nor written to."""
    meeting_id = _past_meeting(engine, now)  # Erika, Zoë and Kim, all confirmed
    other = f.meeting(engine, now=now)
    f.register(engine, other, "o", now=now)  # confirmed elsewhere
    with session_scope(engine) as s:
        ra.set_attendance(
            session=s, actor=actor, registration_ids=[1, 2, 3], attendance="yes", now=now
        )
    with session_scope(engine) as s:
        privacy.erase_person(session=s, actor=actor, email="kim@example.org", now=now)
    with session_scope(engine) as s:
        assert s.get(Registration, 3).status == "confirmed"  # past: anonymised, not cancelled
        reach = {
            g: ra.message_audience(session=s, meeting_id=meeting_id, groups=(g,))
            for g in ("confirmed", "attended")
        }
    assert reach == {"confirmed": 2, "attended": 2}
    with pytest.raises(NeedsConfirmation) as asked:
        _send(engine, now, actor, meeting_id, _message(("confirmed",)))
    assert asked.value.count == 2
    assert _send(engine, now, actor, meeting_id, _message(("attended",)), count=2) == 2
    assert [m.to_address for m in _team_mails(engine)] == [
        "erika@example.org",
        "Zoe.Oeztuerk@example.org",  # the domain part as stored, lower-cased
    ]


def test_a_team_message_is_queued_in_arrival_order(engine, now, actor):
    """The mails follow the registrations' order, not the status index (a person who moved
    up past others comes after them)."""
    meeting_id = f.meeting(engine, now=now, capacity=1)
    ids = [f.register(engine, meeting_id, n, now=now).registration_id for n in (1, 2, 3)]
    with session_scope(engine) as s:  # the third person moves up past the second
        ra.promote(session=s, actor=actor, registration_id=ids[2], now=now, over_capacity=True)
    assert _send(engine, now, actor, meeting_id, _message(("confirmed", "waitlisted")), 3) == 3
    assert [m.registration_id for m in _team_mails(engine)] == ids
    assert [m.to_address for m in _team_mails(engine)] == [
        "person1@example.org",
        "person2@example.org",
        "person3@example.org",
    ]
