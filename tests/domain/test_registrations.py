"""The registration rules: validation, duplicates, capacity, waitlist, cancellation."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import func, select

from stammtisch import meeting_admin, registrations
from stammtisch.db import make_engine, session_scope, write_transaction
from stammtisch.errors import FORM, AlreadyRegistered, NotFound, ValidationError
from stammtisch.models import Attendance, Registration, RegistrationStatus
from tests import factories as f


def _count(engine) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(Registration)).one()


def test_register_confirms_and_hands_out_link_and_token(engine, now):
    meeting_id = f.meeting(engine, now=now)
    receipt = f.register(engine, meeting_id, 1, now=now)
    assert receipt.status == RegistrationStatus.CONFIRMED
    assert receipt.online_link == "https://zoom.us/j/123456789"
    assert receipt.waitlist_position is None
    assert len(receipt.token) >= 43  # 32 random bytes, URL-safe base64
    with session_scope(engine) as s:
        row = s.get(Registration, receipt.registration_id)
        assert row.token_hash == registrations.hash_token(receipt.token)
        assert receipt.token not in (row.token_hash, row.participant_key)
        assert row.consent_at == now
        assert row.email_normalized == "person1@example.org"


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"name": ""}, "name", "Namen"),
        ({"name": "x"}, "name", "zu kurz"),
        ({"name": "x" * 121}, "name", "zu lang"),
        ({"email": ""}, "email", "E-Mail-Adresse an"),
        ({"email": "keine-adresse"}, "email", "gültige E-Mail-Adresse"),
        ({"email": "a@b"}, "email", "gültige E-Mail-Adresse"),
        ({"federal_state": "bayern"}, "federal_state", "Bundesland"),
        ({"consent": False}, "consent", "zu"),
    ],
)
def test_register_rejects_bad_input_with_german_message_per_field(
    engine, now, overrides, field, fragment
):
    meeting_id = f.meeting(engine, now=now)
    with pytest.raises(ValidationError) as err:
        f.register(engine, meeting_id, 1, now=now, **overrides)
    assert fragment in err.value.errors[field]
    assert _count(engine) == 0


def test_register_reports_every_bad_field_at_once(engine, now):
    meeting_id = f.meeting(engine, now=now)
    with pytest.raises(ValidationError) as err:
        f.register(engine, meeting_id, 1, now=now, name="", email="nope", consent=False)
    assert set(err.value.errors) == {"name", "email", "consent"}


def test_register_same_email_twice_answers_alike_and_mails_a_fresh_link(engine, now):
    """Nobody can test whether an address is registered; its owner gets their link again."""
    meeting_id = f.meeting(engine, now=now)
    first = f.register(engine, meeting_id, 1, now=now, email="Anna.Beispiel@Example.org")
    later = now + timedelta(hours=1)
    again = f.register(
        engine, meeting_id, 2, now=later, email="anna.beispiel@EXAMPLE.ORG ", confirm=False
    )
    # Sent once more within the pause: the same answer, but no further mail.
    f.register(engine, meeting_id, 2, now=later, email="anna.beispiel@example.org", confirm=False)
    assert f.mail_kinds(engine, "anna.beispiel@example.org") == [
        "confirm_request",
        "registration_confirmed",
        "already_registered",
    ]
    fresh = f.register(engine, meeting_id, 3, now=now, email="neu@example.org", confirm=False)
    assert (again.status, again.token, again.registration_id) == ("pending", None, None)
    assert (fresh.status, fresh.token, fresh.registration_id) == ("pending", None, None)
    assert _count(engine) == 2  # Anna once, the new address once
    token = f.link_token(engine, "anna.beispiel@example.org")
    assert token != first.token
    with session_scope(engine) as s:
        # The fresh link and the one Anna already has both lead to her registration.
        for link in (token, first.token):
            details = registrations.find_by_token(session=s, token=link, now=now)
            assert (details.name, details.status) == ("Person 1", "confirmed")


def test_without_confirmation_a_known_address_is_told_and_mailed(engine, now):
    meeting_id = f.meeting(engine, now=now)
    data = f.registration_input(1, email="Anna.Beispiel@Example.org")
    with session_scope(engine) as s:
        registrations.register(
            session=s, meeting_id=meeting_id, data=data, now=now, confirmation=False
        )
    with session_scope(engine) as s, pytest.raises(AlreadyRegistered) as err:
        registrations.register(
            session=s,
            meeting_id=meeting_id,
            data=f.registration_input(2, email="anna.beispiel@EXAMPLE.ORG "),
            now=now,
            confirmation=False,
        )
    assert "bereits eine Anmeldung" in err.value.message
    assert _count(engine) == 1
    kinds = f.mail_kinds(engine, "anna.beispiel@example.org")
    assert kinds == ["registration_confirmed", "already_registered"]


def test_register_again_after_cancelling_is_allowed(engine, now):
    meeting_id = f.meeting(engine, now=now)
    first = f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=first.token, now=now)
    again = f.register(engine, meeting_id, 1, now=now)
    assert again.status == RegistrationStatus.CONFIRMED


def test_same_email_may_register_for_two_meetings(engine, now):
    a = f.meeting(engine, now=now)
    b = f.meeting(engine, now=now, days_ahead=50)
    f.register(engine, a, 1, now=now)
    assert f.register(engine, b, 1, now=now).status == RegistrationStatus.CONFIRMED


def test_full_meeting_puts_people_on_the_waitlist_in_arrival_order(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=2)
    results = [f.register(engine, meeting_id, n, now=now) for n in range(5)]
    assert [r.status for r in results] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [r.waitlist_position for r in results] == [None, None, 1, 2, 3]
    assert all(r.online_link is None for r in results[2:])


def test_cancelling_a_confirmed_place_promotes_the_first_waiting(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=2)
    people = [f.register(engine, meeting_id, n, now=now) for n in range(4)]
    with session_scope(engine) as s:
        result = registrations.cancel(session=s, token=people[0].token, now=now)
    assert result.promoted_registration_ids == (people[2].registration_id,)
    with session_scope(engine) as s:
        promoted = registrations.find_by_token(session=s, token=people[2].token, now=now)
        still_waiting = registrations.find_by_token(session=s, token=people[3].token, now=now)
        assert f.status_counts(engine, meeting_id, now=now) == {
            "confirmed": 2,
            "waitlisted": 1,
            "cancelled": 1,
        }
    assert promoted.status == "confirmed"
    assert promoted.online_link == "https://zoom.us/j/123456789"
    assert still_waiting.waitlist_position == 1
    assert still_waiting.online_link is None


def test_cancelling_a_waitlisted_place_promotes_nobody(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    people = [f.register(engine, meeting_id, n, now=now) for n in range(3)]
    with session_scope(engine) as s:
        result = registrations.cancel(session=s, token=people[1].token, now=now)
    assert result.promoted_registration_ids == ()
    with session_scope(engine) as s:
        assert (
            registrations.find_by_token(session=s, token=people[2].token, now=now).waitlist_position
            == 1
        )


def test_cancel_twice_is_harmless(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    people = [f.register(engine, meeting_id, n, now=now) for n in range(3)]
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=people[0].token, now=now)
    with session_scope(engine) as s:
        second = registrations.cancel(session=s, token=people[0].token, now=now)
    assert second.was_status == "cancelled"
    assert second.promoted_registration_ids == ()
    with session_scope(engine) as s:
        assert f.status_counts(engine, meeting_id, now=now)["confirmed"] == 1


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000])
def test_unknown_token_reveals_nothing(engine, now, token):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s:
        assert registrations.find_by_token(session=s, token=token, now=now) is None
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        registrations.cancel(session=s, token=token, now=now)
    assert "Person" not in err.value.message and "@" not in err.value.message


def test_token_opens_only_its_own_registration(engine, now):
    meeting_id = f.meeting(engine, now=now)
    a = f.register(engine, meeting_id, "a", now=now)
    b = f.register(engine, meeting_id, "b", now=now)
    with session_scope(engine) as s:
        assert (
            registrations.find_by_token(session=s, token=a.token, now=now).email
            == "persona@example.org"
        )
        assert (
            registrations.find_by_token(session=s, token=b.token, now=now).email
            == "personb@example.org"
        )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"registration_state": "not_open"}, "noch nicht geöffnet"),
        ({"registration_state": "closed"}, "geschlossen"),
        ({"status": "cancelled"}, "abgesagt"),
        ({"days_ahead": -3}, "Vergangenheit"),
    ],
)
def test_register_refused_when_meeting_does_not_take_registrations(engine, now, kwargs, fragment):
    meeting_id = f.meeting(engine, now=now, **kwargs)
    with pytest.raises(ValidationError) as err:
        f.register(engine, meeting_id, 1, now=now)
    assert fragment in err.value.errors[FORM]
    assert _count(engine) == 0


def test_register_for_unknown_meeting(engine, now):
    with pytest.raises(NotFound):
        f.register(engine, 9999, 1, now=now)


def test_meeting_without_link_confirms_without_link(engine, now):
    meeting_id = f.meeting(engine, now=now, online_link=None)
    receipt = f.register(engine, meeting_id, 1, now=now)
    assert receipt.is_confirmed and receipt.online_link is None


def test_failed_cancellation_writes_nothing(engine, now, monkeypatch):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    people = [f.register(engine, meeting_id, n, now=now) for n in range(2)]

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(registrations, "fill_free_places", boom)
    with session_scope(engine) as s, pytest.raises(RuntimeError):
        registrations.cancel(session=s, token=people[0].token, now=now + timedelta(minutes=1))
    with session_scope(engine) as s:
        row = s.get(Registration, people[0].registration_id)
        assert row.status == "confirmed" and row.cancelled_at is None


def test_participant_key_is_stable_per_person_and_not_the_email(engine, now):
    a = f.meeting(engine, now=now)
    b = f.meeting(engine, now=now, days_ahead=40)
    r1 = f.register(engine, a, 1, now=now, email="Eva@Example.org")
    r2 = f.register(engine, b, 1, now=now, email="eva@example.org")
    with session_scope(engine) as s:
        k1 = s.get(Registration, r1.registration_id).participant_key
        k2 = s.get(Registration, r2.registration_id).participant_key
        # The privacy tools find a person's rows by the same pseudonym.
        looked_up = registrations.participant_key(s, "EVA@example.org")
    assert k1 == k2 == looked_up and "eva" not in k1


def test_duplicate_leaves_no_address_in_the_postgresql_log(request, now):
    """A refused second registration is no database error: the server logs nothing."""
    from tests.conftest import TEMPLATE_DB, _pg_database

    server = request.getfixturevalue("pg_server")
    with _pg_database(server, TEMPLATE_DB) as url:
        engine = make_engine(url)
        try:
            meeting = f.meeting(engine, now=now)
            f.register(engine, meeting, 1, now=now, email="nicht.ins.log@example.org")
            # With confirmation the second send is no error at all; without, the INSERT's
            # ON CONFLICT DO NOTHING keeps the server quiet.
            f.register(engine, meeting, 2, now=now, email="Nicht.Ins.Log@example.org")
            with session_scope(engine) as s, pytest.raises(AlreadyRegistered):
                registrations.register(
                    session=s,
                    meeting_id=meeting,
                    data=f.registration_input(3, email="NICHT.ins.log@example.org"),
                    now=now + timedelta(hours=1),
                    confirmation=False,
                )
        finally:
            engine.dispose()
    assert "nicht.ins.log" not in (server.root / "server.log").read_text(errors="replace")


def test_registering_bumps_the_data_version_once_and_a_refusal_not_at_all(engine, now):
    from stammtisch.db import read_data_version

    meeting = f.meeting(engine, now=now)
    closed = f.meeting(engine, now=now, registration_state="closed")
    before = read_data_version(engine)
    f.register(engine, meeting, 1, now=now, email="eva@example.org", confirm=False)
    assert read_data_version(engine) == before + 1  # other processes' caches turn stale
    f.confirm_registration(engine, f.link_token(engine, "eva@example.org"), now=now)
    assert read_data_version(engine) == before + 2
    with pytest.raises(ValidationError):
        f.register(engine, closed, 2, now=now, email="eva@example.org")
    assert read_data_version(engine) == before + 2


def test_attendance_write_itself_refuses_a_meeting_that_has_not_begun(engine, now):
    """The rule lives in the write, so neither the form nor the import can bypass it."""
    meeting_id = f.meeting(engine, now=now)
    reg = f.register(engine, meeting_id, 1, now=now)
    with (
        session_scope(engine) as s,
        pytest.raises(ValidationError) as err,
        write_transaction(s),
    ):
        registrations.write_attendance(s, [reg.registration_id], Attendance.YES, now)
    assert "erst ab Beginn" in err.value.errors["attendance"]
    start = now + timedelta(days=14, hours=5)
    with session_scope(engine) as s, write_transaction(s):
        registrations.write_attendance(s, [reg.registration_id], Attendance.YES, start)
    with session_scope(engine) as s:
        assert s.get(Registration, reg.registration_id).attendance == Attendance.YES


# --- what the owner's link shows, positions per meeting, the cancellation's result ---------


def test_the_owners_link_shows_every_field_of_the_registration(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    later = now + timedelta(minutes=5)
    receipt = f.register(
        engine, meeting_id, 2, now=later, organisation="BUND", federal_state="thueringen"
    )
    with session_scope(engine) as s:
        details = registrations.find_by_token(session=s, token=receipt.token, now=now)
    assert details == registrations.RegistrationDetails(
        registration_id=receipt.registration_id,
        meeting_id=meeting_id,
        name="Person 2",
        email="person2@example.org",
        organisation="BUND",
        federal_state="thueringen",
        status="waitlisted",
        waitlist_position=1,
        online_link=None,  # only a confirmed place sees the link
        created_at=later,
    )


def test_waitlist_positions_count_only_people_waiting_for_the_same_meeting(engine, now):
    first = f.meeting(engine, now=now, capacity=1)
    second = f.meeting(engine, now=now, capacity=1)
    f.register(engine, first, "a1", now=now)
    early = f.register(engine, first, "a2", now=now)  # waits for the first meeting
    f.register(engine, first, "a3", now=now)  # waits too
    f.register(engine, second, "b1", now=now)  # confirmed in the second
    waiting = f.register(engine, second, "b2", now=now)
    later = f.register(engine, second, "b3", now=now)
    assert (waiting.waitlist_position, later.waitlist_position) == (1, 2)
    with session_scope(engine) as s:
        assert (
            registrations.find_by_token(session=s, token=later.token, now=now).waitlist_position
            == 2
        )
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=early.token, now=now)
    with session_scope(engine) as s:
        assert (
            registrations.find_by_token(session=s, token=later.token, now=now).waitlist_position
            == 2
        )
    with session_scope(engine) as s:
        counts = [
            registrations.count_with_status(s, m, RegistrationStatus.CONFIRMED)
            for m in (first, second)
        ]
    assert counts == [1, 1]


def test_cancelling_returns_what_happened_and_stamps_the_time(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    second = f.register(engine, meeting_id, 2, now=now)
    later = now + timedelta(hours=3)
    with session_scope(engine) as s:
        result = registrations.cancel(session=s, token=first.token, now=later)
    assert result == registrations.CancellationResult(
        registration_id=first.registration_id,
        meeting_id=meeting_id,
        was_status="confirmed",
        promoted_registration_ids=(second.registration_id,),
    )
    with session_scope(engine) as s:
        assert s.get(Registration, first.registration_id).cancelled_at == later
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        registrations.cancel(session=s, token="x" * 201, now=later)
    assert err.value.message == registrations.UNKNOWN_TOKEN_MESSAGE


def test_participant_key_needs_the_installation_secret(engine, now):
    from stammtisch.models import SiteSetting

    with session_scope(engine) as s:
        s.delete(s.get(SiteSetting, "participant_salt"))
        s.commit()
    with (
        session_scope(engine) as s,
        pytest.raises(RuntimeError, match=r"^participant_salt missing: run the migrations$"),
    ):
        registrations.participant_key(s, "ada@example.org")


def test_register_refusals_in_full(engine, now):
    meeting_id = f.meeting(engine, now=now)
    receipt = f.register(engine, meeting_id, 1, now=now)
    assert receipt.meeting_id == meeting_id
    with session_scope(engine) as s, pytest.raises(AlreadyRegistered) as err:
        registrations.register(
            session=s,
            meeting_id=meeting_id,
            data=f.registration_input(2, email="PERSON1@example.org"),
            now=now,
            confirmation=False,
        )
    assert err.value.message == registrations.ALREADY_REGISTERED_MESSAGE
    with pytest.raises(NotFound) as err:
        f.register(engine, 4711, 3, now=now)
    assert err.value.message == "Diesen Termin gibt es nicht."
    with pytest.raises(ValidationError) as err:
        f.register(engine, meeting_id, 4, now=now, organisation="o" * 201)
    assert err.value.errors == {
        "organisation": "Die Organisation ist zu lang (höchstens 200 Zeichen, jetzt 201)."
    }


def test_register_needs_the_installation_secret(engine, now):
    from stammtisch.models import SiteSetting

    meeting_id = f.meeting(engine, now=now)
    with session_scope(engine) as s:
        s.delete(s.get(SiteSetting, "participant_salt"))
        s.commit()
    with pytest.raises(RuntimeError, match=r"^participant_salt missing: run the migrations$"):
        f.register(engine, meeting_id, 1, now=now)


def test_free_places_go_only_to_people_waiting_for_that_meeting(engine, now):
    actor = f.team(engine, now=now)
    first = f.meeting(engine, now=now, capacity=1)
    second = f.meeting(engine, now=now, capacity=1)
    f.register(engine, second, "b1", now=now)
    other = f.register(engine, second, "b2", now=now)  # waits for the second meeting
    f.register(engine, first, "a1", now=now)
    mine = f.register(engine, first, "a2", now=now)
    with session_scope(engine) as s:
        current = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == first
        )
    with session_scope(engine) as s:
        promoted = meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=first,
            data=dataclasses.replace(current.as_input(), capacity=5),
            now=now,
        )
    assert promoted == [mine.registration_id]
    with session_scope(engine) as s:
        assert s.get(Registration, other.registration_id).status == "waitlisted"


def test_locking_a_meeting_that_does_not_exist_says_so_in_german(engine, now):
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        registrations.lock_meeting(s, 4711)
    assert err.value.message == "Diesen Termin gibt es nicht."


def _pending(engine, meeting_id, n, now):
    """A registration sent but not confirmed: its status, expiry and address."""
    f.register(engine, meeting_id, n, now=now, confirm=False)
    email = f"person{n}@example.org"
    with session_scope(engine) as s:
        row = s.exec(
            select(Registration).where(
                Registration.meeting_id == meeting_id, Registration.email == email
            )
        ).one()
        return row.status, row.expires_at, row.email


def test_an_unconfirmed_registration_lasts_48_hours_or_until_the_start(engine, now):
    later = f.meeting(engine, now=now, days_ahead=14)
    soon = f.meeting(engine, now=now, days_ahead=1)
    with session_scope(engine) as s:
        starts = registrations.get_meeting(session=s, meeting_id=soon).starts_at
    assert _pending(engine, later, "a", now)[:2] == ("pending", now + timedelta(hours=48))
    assert _pending(engine, soon, "b", now)[:2] == ("pending", starts)


def test_an_unconfirmed_registration_is_purged_at_its_expiry_not_before(engine, now):
    meeting_id = f.meeting(engine, now=now)
    other = f.meeting(engine, now=now)
    _, expires, email = _pending(engine, meeting_id, "a", now)
    _pending(engine, other, "a", now)  # the same address, another meeting
    _pending(engine, meeting_id, "b", now)
    f.register(engine, meeting_id, "c", now=now)  # confirmed: never purged
    with session_scope(engine) as s, write_transaction(s):
        assert registrations.purge_expired(s, expires - timedelta(microseconds=1)) == 0
    with session_scope(engine) as s, write_transaction(s):
        key = registrations.email_key(email)
        assert registrations.purge_expired(s, expires, meeting_id=meeting_id, key=key) == 1
    with session_scope(engine) as s, write_transaction(s):
        assert registrations.purge_expired(s, expires, meeting_id=meeting_id) == 1  # "b"
    with session_scope(engine) as s, write_transaction(s):
        assert registrations.purge_expired(s, expires) == 1  # "a" for the other meeting
    with session_scope(engine) as s:
        left = s.exec(select(Registration.status)).all()
    assert left == ["confirmed"]


def test_a_link_confirms_until_just_before_the_expiry(engine, now):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "late", now=now, confirm=False)
    f.register(engine, meeting_id, "ontime", now=now, confirm=False)
    expiry = now + registrations.PENDING_LIFETIME
    with pytest.raises(ValidationError) as err:
        f.confirm_registration(engine, f.link_token(engine, "personlate@example.org"), now=expiry)
    assert err.value.errors == {FORM: registrations.EXPIRED_MESSAGE}
    token = f.link_token(engine, "personontime@example.org")
    receipt = f.confirm_registration(engine, token, now=expiry - timedelta(seconds=1))
    assert receipt.status == RegistrationStatus.CONFIRMED


def test_after_the_expiry_the_same_address_may_register_again(engine, now):
    meeting_id = f.meeting(engine, now=now)
    _, expires, _ = _pending(engine, meeting_id, "a", now)
    _pending(engine, meeting_id, "a", expires)
    with session_scope(engine) as s:
        rows = s.exec(select(Registration.expires_at)).all()
    assert rows == [expires + registrations.PENDING_LIFETIME]  # the expired one made room
    assert (
        f.mail_kinds(engine, "persona@example.org")[-1]
        == f.mail_kinds(engine, "persona@example.org")[0]
    )  # a new confirmation request, not "already registered"


def _placed(engine, meeting_id, n, now, **overrides):
    """A registration where confirmation by mail is switched off: a place (or the
    waitlist) at once."""
    with session_scope(engine) as s:
        return registrations.register(
            session=s,
            meeting_id=meeting_id,
            data=f.registration_input(n, **overrides),
            now=now,
            confirmation=False,
        )


def test_without_confirmation_places_are_taken_at_once_and_stored_in_full(engine, now):
    from stammtisch.db import read_data_version

    open_ended = f.meeting(engine, now=now)
    one_place = f.meeting(engine, now=now, capacity=1)
    before = read_data_version(engine)
    first = _placed(engine, open_ended, "a", now, organisation="BUND", federal_state="thueringen")
    assert read_data_version(engine) == before + 1  # other processes' caches turn stale
    second = _placed(engine, open_ended, "b", now)  # no limit: a place for everyone
    assert (first.status, second.status) == ("confirmed", "confirmed")
    assert [_placed(engine, one_place, n, now).status for n in "cd"] == ["confirmed", "waitlisted"]
    with session_scope(engine) as s:
        row = s.get(Registration, first.registration_id)
        stored = (row.name, row.organisation, row.federal_state, row.placed_at, row.created_at)
    assert stored == (f.registration_input("a").name, "BUND", "thueringen", now, now)


def test_without_confirmation_refusals_in_full(engine, now):
    from stammtisch.models import SiteSetting

    with pytest.raises(NotFound) as err:
        _placed(engine, 4711, "a", now)
    assert err.value.message == "Diesen Termin gibt es nicht."
    meeting_id = f.meeting(engine, now=now)
    with session_scope(engine) as s:
        s.delete(s.get(SiteSetting, "participant_salt"))
        s.commit()
    with pytest.raises(RuntimeError, match=r"^participant_salt missing: run the migrations$"):
        _placed(engine, meeting_id, "a", now)


def test_a_lost_link_is_sent_again_for_each_active_registration_ahead(engine, now):
    from stammtisch.db import read_data_version
    from stammtisch.models import Mail

    email = "lena@example.org"
    early = now - timedelta(days=3)
    # Registered in another order than the meetings' order (the mails follow the meetings).
    pending_for = f.meeting(engine, now=now, days_ahead=12)
    f.register(engine, pending_for, "q", now=now, email=email, confirm=False, name="Lena Q")
    expired_for = f.meeting(engine, now=now, days_ahead=2)  # the soonest: expired pending
    f.register(engine, expired_for, "x", now=early, email=email, confirm=False)
    full = f.meeting(engine, now=now, days_ahead=8, capacity=1)
    f.register(engine, full, "other", now=now)
    f.register(engine, full, "w", now=now, email=email, name="Lena W")  # waits
    placed = f.meeting(engine, now=now, days_ahead=5)
    old = f.register(engine, placed, "p", now=now, email=email, name="Lena P")
    gone_for = f.meeting(engine, now=now, days_ahead=6)
    gone = f.register(engine, gone_for, "g", now=now, email=email)
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=gone.token, now=now)
    past = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17)
    f.register(engine, past, "o", now=now - timedelta(days=10), email=email)
    with session_scope(engine) as s:
        last_id = s.exec(select(func.max(Mail.id))).one()
    before = read_data_version(engine)
    with session_scope(engine) as s:
        answer = registrations.send_fresh_links(session=s, email=" LENA@example.org", now=now)
    assert answer == registrations.LINKS_SENT_MESSAGE
    assert read_data_version(engine) == before  # nothing any page shows has changed
    with session_scope(engine) as s:
        sent = s.exec(select(Mail).where(Mail.id > last_id).order_by(Mail.id)).all()
        pending = s.exec(select(Registration).where(Registration.meeting_id == pending_for)).one()
        mailed = [(m.kind, m.meeting_id, m.registration_id, m.to_name, m.expires_at) for m in sent]
        ids = {
            r.meeting_id: r.id
            for r in s.exec(select(Registration).where(Registration.email == email)).all()
        }
        fresh = [m.secret for m in sent]
    # Soonest first; the expired one skipped, the rest still sent.
    assert mailed == [
        ("link_again", placed, ids[placed], "Lena P", None),
        ("link_again", full, ids[full], "Lena W", None),
        ("link_again", pending_for, ids[pending_for], "Lena Q", pending.expires_at),
    ]
    with session_scope(engine) as s:
        assert registrations.find_by_token(session=s, token=old.token, now=now) is None
        assert registrations.find_by_token(session=s, token=fresh[0], now=now).meeting_id == placed


# --- who is told what on cancelling and confirming; attendance figures; fresh links ----------


def _mails(engine, address: str):
    """The mails queued to ``address``, oldest first: (kind, status, secret, text)."""
    from stammtisch.models import Mail

    with session_scope(engine) as s:
        rows = s.exec(select(Mail).where(Mail.to_address == address).order_by(Mail.id)).all()
        return [(m.kind, m.status, m.secret, " ".join(m.body_text.split())) for m in rows]


def test_cancelling_by_link_tells_the_person_and_drops_their_unsent_mails(engine, now) -> None:
    """The person who cancels is mailed a confirmation in their words, and the mail about
    their place that had not gone out yet is not sent any more (nor its link)."""
    meeting_id = f.meeting(engine, now=now)
    placed = f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=placed.token, now=now)
    mails = _mails(engine, "person1@example.org")
    assert [(kind, status, secret) for kind, status, secret, _ in mails] == [
        ("confirm_request", "expired", None),
        ("registration_confirmed", "expired", None),
        ("cancellation", "queued", None),
    ]
    text = mails[-1][3]
    assert "Sie haben sich abgemeldet." in text
    assert "das Team" not in text


def test_cancelling_an_unconfirmed_registration_mails_no_cancellation(engine, now) -> None:
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, confirm=False)
    token = f.link_token(engine, "person1@example.org")
    with session_scope(engine) as s:
        result = registrations.cancel(session=s, token=token, now=now)
    assert result.was_status == "pending"
    assert [(k, st, sec) for k, st, sec, _ in _mails(engine, "person1@example.org")] == [
        ("confirm_request", "expired", None)
    ]


def test_a_cancellation_by_the_team_is_mailed_as_such(engine, now) -> None:
    from stammtisch import registration_admin

    meeting_id = f.meeting(engine, now=now)
    placed = f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s:
        registration_admin.cancel_for(
            session=s,
            actor=f.team(engine, now=now),
            registration_id=placed.registration_id,
            now=now,
        )
    kind, status, _, text = _mails(engine, "person1@example.org")[-1]
    assert (kind, status) == ("cancellation", "queued")
    assert "das Team des Strukturwandel-Stammtischs hat Ihre Anmeldung storniert." in text
    assert "Sie haben sich abgemeldet" not in text


def test_cancel_locked_without_anyone_to_tell_mails_nobody(engine, now) -> None:
    """``tell=None`` (the erasure of a person) cancels silently, also a confirmed place."""
    meeting_id = f.meeting(engine, now=now)
    placed = f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s, write_transaction(s):
        meeting = registrations.lock_meeting(s, meeting_id)
        row = registrations.lock_registration(s, placed.registration_id)
        registrations.cancel_locked(s, row, meeting, now, tell=None)
    kinds = [kind for kind, *_ in _mails(engine, "person1@example.org")]
    assert kinds == ["confirm_request", "registration_confirmed"]
    assert f.status_counts(engine, meeting_id, now=now)["cancelled"] == 1


def test_the_owners_link_says_whether_the_place_came_from_the_waitlist(engine, now) -> None:
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now)
    other = f.meeting(engine, now=now)
    direct = f.register(engine, other, 3, now=now)
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=first.token, now=now)
    with session_scope(engine) as s:
        moved_up = registrations.find_by_token(session=s, token=waiting.token, now=now)
        placed_at_once = registrations.find_by_token(session=s, token=direct.token, now=now)
    assert (moved_up.status, moved_up.promoted) == ("confirmed", True)
    assert (placed_at_once.status, placed_at_once.promoted) == ("confirmed", False)


def test_attendance_figures_count_confirmed_places_only(engine, now) -> None:
    """ "Teilgenommen" and "nicht gekommen" count confirmed places with "ja" / "nein";
    waiting or cancelled people with an attendance value and unknown attendance do not."""
    from stammtisch import registration_admin

    meeting_id = f.meeting(engine, now=now, capacity=5)
    people = {n: f.register(engine, meeting_id, n, now=now) for n in "abcuvdeg"}
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=people["g"].token, now=now)
    start = now + timedelta(days=14, hours=5)
    values = {
        "a": Attendance.YES,
        "b": Attendance.NO,
        "c": Attendance.NO,  # "u" and "v" stay unknown
        "d": Attendance.YES,  # waiting
        "e": Attendance.NO,  # waiting
        "g": Attendance.YES,  # cancelled
    }
    for n, value in values.items():
        with session_scope(engine) as s, write_transaction(s):
            registrations.write_attendance(s, [people[n].registration_id], value, start)
    with session_scope(engine) as s:
        counts = registration_admin.counts(
            session=s, actor=f.team(engine, now=now), meeting_id=meeting_id
        )
    assert (counts.confirmed, counts.waitlisted, counts.cancelled) == (5, 2, 1)
    assert (counts.attended, counts.absent) == (1, 2)


def test_confirming_an_unknown_link_says_so_in_german(engine, now) -> None:
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now)
    with pytest.raises(NotFound) as err:
        f.confirm_registration(engine, "A" * 43, now=now)
    assert err.value.message == registrations.UNKNOWN_TOKEN_MESSAGE


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_link_replaced_while_waiting_for_the_lock_is_unknown(engine, now, monkeypatch, action):
    """The row is read again under the lock: if "Link verloren?" gave the registration a new
    link while this request waited, the old link is unknown (and nothing changes)."""
    from stammtisch.tokens import issue_fresh_token

    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, confirm=False)
    token = f.link_token(engine, "person1@example.org")
    real_lock = registrations.lock_meeting

    def lock_after_a_fresh_link(session, locked_id):
        meeting = real_lock(session, locked_id)
        row = session.exec(select(Registration).where(Registration.meeting_id == locked_id)).one()
        issue_fresh_token(row, keep_previous=False)  # committed by the other request
        session.add(row)
        return meeting

    monkeypatch.setattr(registrations, "lock_meeting", lock_after_a_fresh_link)
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        getattr(registrations, action)(session=s, token=token, now=now)
    assert err.value.message == registrations.UNKNOWN_TOKEN_MESSAGE
    with session_scope(engine) as s:
        assert s.exec(select(Registration.status)).all() == ["pending"]


def test_confirming_expires_the_unsent_requests_and_answers_in_full(engine, now) -> None:
    """A confirmation request or "already registered" mail not sent yet would only confuse
    once the registration is confirmed: neither goes out, and their links are dropped."""
    meeting_id = f.meeting(engine, now=now)
    address = "person1@example.org"
    f.register(engine, meeting_id, 1, now=now, confirm=False)
    later = now + timedelta(minutes=11)  # after the pause: the form again mails a fresh link
    f.register(engine, meeting_id, 1, now=later, confirm=False)
    receipt = f.confirm_registration(engine, f.link_token(engine, address), now=later)
    mails = _mails(engine, address)
    assert [(kind, status, secret) for kind, status, secret, _ in mails[:2]] == [
        ("confirm_request", "expired", None),
        ("already_registered", "expired", None),
    ]
    kind, status, secret, text = mails[2]
    assert (kind, status) == ("registration_confirmed", "queued")
    assert secret == receipt.token
    assert "https://zoom.us/j/123456789" in text  # the place's mail carries the Zoom link
    assert receipt == registrations.RegistrationReceipt(
        registration_id=receipt.registration_id,
        meeting_id=meeting_id,
        token=receipt.token,
        status="confirmed",
        waitlist_position=None,
        online_link="https://zoom.us/j/123456789",
        email=address,
    )


def test_the_waitlist_mail_names_the_position(engine, now) -> None:
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    f.register(engine, meeting_id, 2, now=now)
    f.register(engine, meeting_id, 3, now=now)
    kind, _, _, text = _mails(engine, "person3@example.org")[-1]
    assert kind == "waitlisted"
    assert "Sie stehen auf der Warteliste, auf Position 2." in text


def test_a_place_taken_inside_the_reminder_window_gets_no_reminder(engine, now) -> None:
    """The time of confirmation is kept: whoever confirmed shortly before the meeting just
    got the link and is not reminded again."""
    from stammtisch import notify

    meeting_id = f.meeting(engine, now=now, days_ahead=14)
    with session_scope(engine) as s:
        starts = registrations.get_meeting(session=s, meeting_id=meeting_id).starts_at
    f.register(engine, meeting_id, "early", now=now)
    late = f.register(engine, meeting_id, "late", now=starts - timedelta(hours=10))
    with session_scope(engine) as s:
        row = s.get(Registration, late.registration_id)
        assert row.placed_at == starts - timedelta(hours=10)
    with session_scope(engine) as s, write_transaction(s):
        queued = notify.queue_due_reminders(s, now=starts - timedelta(hours=5), hours=24)
    assert queued == 1
    assert f.mail_kinds(engine, "personearly@example.org")[-1] == "reminder"
    assert "reminder" not in f.mail_kinds(engine, "personlate@example.org")


def test_no_fresh_link_for_a_cancelled_meeting(engine, now) -> None:
    from stammtisch import meeting_admin as admin
    from stammtisch.models import MeetingStatus

    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now)
    with session_scope(engine) as s:
        admin.set_status(
            session=s,
            actor=f.team(engine, now=now),
            meeting_id=meeting_id,
            status=MeetingStatus.CANCELLED,
            now=now,
            notify_count=1,
        )
    before = f.mail_kinds(engine, "person1@example.org")
    with session_scope(engine) as s:
        registrations.send_fresh_links(session=s, email="person1@example.org", now=now)
    assert f.mail_kinds(engine, "person1@example.org") == before


def test_a_fresh_link_for_an_unconfirmed_registration_until_just_before_its_expiry(
    engine, now
) -> None:
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "due", now=now, confirm=False)
    f.register(engine, meeting_id, "left", now=now + timedelta(seconds=1), confirm=False)
    expiry = now + registrations.PENDING_LIFETIME
    for address in ("persondue@example.org", "personleft@example.org"):
        with session_scope(engine) as s:
            registrations.send_fresh_links(session=s, email=address, now=expiry)
    assert [kind for kind, *_ in _mails(engine, "persondue@example.org")] == ["confirm_request"]
    kind, _, _, text = _mails(engine, "personleft@example.org")[-1]
    assert kind == "link_again"
    assert "Hallo Person left," in text


def test_cancelling_while_a_fresh_link_is_issued_says_the_link_is_unknown(engine, now) -> None:
    """A real race (on PostgreSQL the cancellation reads the old link, then waits for the
    meeting's lock while "Link verloren?" replaces it): the German message, not a crash."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from stammtisch.tokens import issue_fresh_token

    meeting_id = f.meeting(engine, now=now)
    placed = f.register(engine, meeting_id, 1, now=now)

    def cancel() -> registrations.CancellationResult:
        with session_scope(engine) as s:
            return registrations.cancel(session=s, token=placed.token, now=now)

    with ThreadPoolExecutor(max_workers=1) as pool:
        with session_scope(engine) as s, write_transaction(s):
            registrations.lock_meeting(s, meeting_id)
            row = s.get(Registration, placed.registration_id)
            issue_fresh_token(row, keep_previous=False)
            s.add(row)
            s.flush()
            pending = pool.submit(cancel)
            time.sleep(0.5)  # the cancellation now waits for the meeting's lock
        error = pending.exception(timeout=30)
    assert isinstance(error, NotFound)
    assert error.message == registrations.UNKNOWN_TOKEN_MESSAGE
    assert f.status_counts(engine, meeting_id, now=now)["confirmed"] == 1


def test_the_same_confirmation_sent_many_times_at_once_counts_once(engine, now) -> None:
    """Each click decides on the row as it is after the meeting's lock (read again, locked,
    not the copy read before): one place, one turn in the queue, one mail."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    meeting_id = f.meeting(engine, now=now, capacity=5)
    f.register(engine, meeting_id, 1, now=now, confirm=False)
    token = f.link_token(engine, "person1@example.org")
    barrier = threading.Barrier(8)

    def confirm(_n: int) -> registrations.RegistrationReceipt:
        barrier.wait()
        with session_scope(engine) as s:
            return registrations.confirm(session=s, token=token, now=now)

    with ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(confirm, range(8)))
    assert {r.status for r in receipts} == {"confirmed"}
    assert f.mail_kinds(engine, "person1@example.org") == [
        "confirm_request",
        "registration_confirmed",
    ]
    with session_scope(engine) as s:
        assert s.exec(select(Registration.place_order)).all() == [1]


# --- the form's messages, the receipts and mails, what the owner's link shows -------------


def _mails_to(engine, address: str) -> list[tuple]:
    """(kind, meeting id, registration id, to_name, secret, body) of every mail to
    ``address``, oldest first."""
    from stammtisch.models import Mail

    with session_scope(engine) as s:
        rows = s.exec(select(Mail).where(Mail.to_address == address).order_by(Mail.id)).all()
        return [
            (m.kind, m.meeting_id, m.registration_id, m.to_name, m.secret, m.body_text)
            for m in rows
        ]


def _registration_of(engine, meeting_id: int, address: str) -> Registration:
    with session_scope(engine) as s:
        row = s.exec(
            select(Registration).where(
                Registration.meeting_id == meeting_id,
                Registration.email == address,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        ).one()
        s.expunge(row)
        return row


def test_registration_messages_per_field_in_full(engine, now):
    """The form shows these sentences next to the fields."""
    meeting_id = f.meeting(engine, now=now)
    expected = {
        "name": ({"name": ""}, "Bitte geben Sie Ihren Namen an."),
        "short": ({"name": "x"}, "Ihr Name ist zu kurz (mindestens 2 Zeichen)."),
        "state": (
            {"federal_state": "bayern"},
            "Bitte wählen Sie ein Bundesland aus der Liste.",
        ),
        "consent": ({"consent": False}, "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."),
    }
    for overrides, message in expected.values():
        with pytest.raises(ValidationError) as err:
            f.register(engine, meeting_id, 1, now=now, **overrides)
        assert list(err.value.errors.values()) == [message]


@pytest.mark.parametrize("state", [None, ""])
def test_the_federal_state_may_be_left_out(engine, now, state):
    meeting_id = f.meeting(engine, now=now)
    receipt = f.register(engine, meeting_id, 1, now=now, federal_state=state)
    assert receipt.status == RegistrationStatus.CONFIRMED
    with session_scope(engine) as s:
        assert s.get(Registration, receipt.registration_id).federal_state is None


def test_participant_keys_of_two_addresses_differ(engine, now):
    meeting_id = f.meeting(engine, now=now)
    a = f.register(engine, meeting_id, "a", now=now)
    b = f.register(engine, meeting_id, "b", now=now)
    with session_scope(engine) as s:
        keys = {s.get(Registration, r.registration_id).participant_key for r in (a, b)}
        assert keys == {
            registrations.participant_key(s, "persona@example.org"),
            registrations.participant_key(s, "personb@example.org"),
        }
    assert len(keys) == 2


def test_the_form_answers_pending_and_mails_the_confirmation_link(engine, now):
    meeting_id = f.meeting(engine, now=now)
    receipt = f.register(engine, meeting_id, 1, now=now, confirm=False)
    assert receipt == registrations.RegistrationReceipt(
        registration_id=None,
        meeting_id=meeting_id,
        token=None,
        status=RegistrationStatus.PENDING,
        waitlist_position=None,
        online_link=None,
        email="person1@example.org",
    )
    row = _registration_of(engine, meeting_id, "person1@example.org")
    [(kind, meeting, registration_id, to_name, secret, body)] = _mails_to(
        engine, "person1@example.org"
    )
    assert (kind, meeting, registration_id, to_name) == (
        "confirm_request",
        meeting_id,
        row.id,
        "Person 1",
    )
    assert body.startswith("Hallo Person 1,")
    assert registrations.hash_token(secret) == row.token_hash


def test_the_owners_link_shows_a_pending_registration_and_its_deadline(engine, now):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, confirm=False)
    token = f.link_token(engine, "person1@example.org")
    with session_scope(engine) as s:
        details = registrations.find_by_token(session=s, token=token, now=now)
    assert details.is_pending
    assert details.expires_at == now + registrations.PENDING_LIFETIME
    assert (details.cancelled_by_team, details.promoted, details.online_link) == (
        False,
        False,
        None,
    )


def test_after_the_expiry_the_new_confirmation_mail_belongs_to_the_new_registration(engine, now):
    meeting_id = f.meeting(engine, now=now)
    _, expires, email = _pending(engine, meeting_id, "a", now)
    _pending(engine, meeting_id, "a", expires)
    row = _registration_of(engine, meeting_id, email)
    newest = _mails_to(engine, email)[-1]
    assert newest[:3] == ("confirm_request", meeting_id, row.id)
    assert registrations.hash_token(newest[4]) == row.token_hash


def test_sending_again_purges_only_this_addresses_expired_registration_for_this_meeting(
    engine, now
):
    """Expired registrations of other meetings or other people wait for the housekeeping;
    the known address is mailed its link as usual."""
    here = f.meeting(engine, now=now)
    there = f.meeting(engine, now=now)
    _pending(engine, there, "anna", now)  # Anna's, another meeting
    _pending(engine, here, "bob", now)  # someone else's, this meeting
    f.register(engine, here, "anna", now=now)  # Anna's place here
    later = now + registrations.PENDING_LIFETIME + timedelta(hours=1)
    receipt = f.register(engine, here, "anna", now=later, confirm=False)
    assert receipt.status == RegistrationStatus.PENDING
    anna = _registration_of(engine, here, "personanna@example.org")
    assert anna.status == RegistrationStatus.CONFIRMED
    assert _mails_to(engine, "personanna@example.org")[-1][:3] == (
        "already_registered",
        here,
        anna.id,
    )
    with session_scope(engine) as s:
        left = s.exec(
            select(Registration.meeting_id, Registration.email).where(
                Registration.status == RegistrationStatus.PENDING
            )
        ).all()
    assert sorted(left) == sorted(
        [(there, "personanna@example.org"), (here, "personbob@example.org")]
    )


def test_a_known_address_is_mailed_the_link_of_its_own_active_registration(engine, now):
    """Not another person's, not another meeting's, not a cancelled one's."""
    elsewhere = f.meeting(engine, now=now)  # comes first by id and in every index
    here = f.meeting(engine, now=now)
    email = "personanna@example.org"
    f.register(engine, here, "first", now=now)  # somebody else, registered earlier
    f.register(engine, elsewhere, "anna", now=now)  # Anna, another meeting
    gone = f.register(engine, here, "anna", now=now)
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=gone.token, now=now)
    f.register(engine, here, "anna", now=now)
    active = _registration_of(engine, here, email)
    later = now + timedelta(hours=1)
    f.register(engine, here, "anna", now=later, confirm=False)
    kind, meeting, registration_id, _, secret, _ = _mails_to(engine, email)[-1]
    assert (kind, meeting, registration_id) == ("already_registered", here, active.id)
    with session_scope(engine) as s:
        details = registrations.find_by_token(session=s, token=secret, now=later)
    assert (details.registration_id, details.status) == (active.id, "confirmed")
    # Without confirmation by mail the same rule holds.
    with pytest.raises(AlreadyRegistered):
        _placed(engine, here, "anna", later + timedelta(hours=1))
    assert _mails_to(engine, email)[-1][:3] == ("already_registered", here, active.id)
    assert [m[0] for m in _mails_to(engine, "personfirst@example.org")] == [
        "confirm_request",
        "registration_confirmed",
    ]


def test_the_per_address_limit_holds_for_the_form_from_any_network(engine, now):
    from stammtisch.rate_limits import Action, RateLimited, Requester, Rule, Scope

    meeting_id = f.meeting(engine, now=now)
    rules = {(Action.REGISTRATION, Scope.EMAIL): (Rule(2, timedelta(hours=1)),)}
    for n in range(2):
        with session_scope(engine) as s:
            registrations.register(
                session=s,
                meeting_id=meeting_id,
                data=f.registration_input("anna"),
                now=now,
                requester=Requester(address=f"198.51.100.{n + 1}", at=now, rules=rules),
            )
    with pytest.raises(RateLimited) as err, session_scope(engine) as s:
        registrations.register(
            session=s,
            meeting_id=meeting_id,
            data=f.registration_input("anna"),
            now=now,
            requester=Requester(address="192.0.2.9", at=now, rules=rules),
        )
    assert err.value.errors[FORM].startswith(
        "Für diese E-Mail-Adresse gab es in der letzten Stunde schon 2 Anmeldungen."
    )


def test_without_confirmation_the_receipt_and_the_mail_say_place_or_position(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    link = "https://zoom.us/j/123456789"
    placed = _placed(engine, meeting_id, "a", now)
    waiting = [_placed(engine, meeting_id, n, now) for n in ("b", "c")]
    for receipt in (placed, *waiting):
        with session_scope(engine) as s:
            row = s.get(Registration, receipt.registration_id)
            assert row.token_hash == registrations.hash_token(receipt.token)
    assert placed == registrations.RegistrationReceipt(
        registration_id=placed.registration_id,
        meeting_id=meeting_id,
        token=placed.token,
        status=RegistrationStatus.CONFIRMED,
        waitlist_position=None,
        online_link=link,
        email="persona@example.org",
    )
    assert waiting[1] == registrations.RegistrationReceipt(
        registration_id=waiting[1].registration_id,
        meeting_id=meeting_id,
        token=waiting[1].token,
        status=RegistrationStatus.WAITLISTED,
        waitlist_position=2,
        online_link=None,
        email="personc@example.org",
    )
    [(kind, _, registration_id, _, secret, body)] = _mails_to(engine, "persona@example.org")
    assert (kind, registration_id, secret) == (
        "registration_confirmed",
        placed.registration_id,
        placed.token,
    )
    assert link in body
    for n, (receipt, position) in enumerate(zip(waiting, (1, 2), strict=True)):
        [(kind, _, _, _, secret, body)] = _mails_to(engine, f"person{'bc'[n]}@example.org")
        assert (kind, secret) == ("waitlisted", receipt.token)
        assert f"auf Position {position}." in body and link not in body


def test_without_confirmation_a_token_that_exists_already_writes_nothing(engine, now, monkeypatch):
    """The last line of defence: a clash in the database leaves nothing half-written and
    the person the usual sentence."""
    meeting_id = f.meeting(engine, now=now)
    first = _placed(engine, meeting_id, "a", now)
    monkeypatch.setattr(registrations, "new_token", lambda: first.token)
    with pytest.raises(AlreadyRegistered) as err:
        _placed(engine, meeting_id, "b", now)
    assert err.value.message == registrations.ALREADY_REGISTERED_MESSAGE
    assert _count(engine) == 1
    assert _mails_to(engine, "personb@example.org") == []


def test_the_owners_link_says_who_cancelled_and_who_moved_up(engine, now):
    from stammtisch import registration_admin

    meeting_id = f.meeting(engine, now=now, capacity=2)
    people = [f.register(engine, meeting_id, n, now=now) for n in range(4)]

    def details(receipt):
        with session_scope(engine) as s:
            found = registrations.find_by_token(session=s, token=receipt.token, now=now)
        return (found.status, found.cancelled_by_team, found.promoted)

    assert details(people[0]) == ("confirmed", False, False)  # a place at once
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=people[0].token, now=now)
    with session_scope(engine) as s:
        registration_admin.cancel_for(
            session=s,
            actor=f.team(engine, now=now),
            registration_id=people[1].registration_id,
            now=now,
        )
    assert [details(p) for p in people] == [
        ("cancelled", False, False),  # by the person
        ("cancelled", True, False),  # by the team
        ("confirmed", False, True),  # moved up
        ("confirmed", False, True),
    ]


def test_reading_a_link_locks_no_row_on_postgresql(request, now):
    """The page behind a personal link only reads: it must not hold the row (a cancellation
    or promotion would wait for the visitor's session). A row lock (FOR UPDATE) gives the
    transaction an id on PostgreSQL; a plain read does not."""
    from sqlalchemy import text

    from tests.conftest import TEMPLATE_DB, _pg_database

    server = request.getfixturevalue("pg_server")
    with _pg_database(server, TEMPLATE_DB) as url:
        engine = make_engine(url)
        try:
            meeting_id = f.meeting(engine, now=now)
            receipt = f.register(engine, meeting_id, 1, now=now)
            with session_scope(engine) as s:
                details = registrations.find_by_token(session=s, token=receipt.token, now=now)
                assert details.status == "confirmed"
                txid = s.connection().execute(text("SELECT txid_current_if_assigned()"))
                assert txid.scalar() is None
        finally:
            engine.dispose()
