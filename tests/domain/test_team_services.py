"""Organizer services for meetings, series, impulses, moderation and impulse offers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from stammtisch import meeting_admin, meetings, moderation, offer_review, offers, suggestions
from stammtisch.bootstrap import init_database
from stammtisch.date_proposals import propose_series
from stammtisch.db import session_scope
from stammtisch.errors import InvalidTransition, PermissionDenied, ValidationError
from stammtisch.meetings import ImpulseInput, MeetingInput
from stammtisch.models import (
    AuditEntry,
    Impulse,
    MeetingStatus,
    ModerationState,
    OfferState,
    Suggestion,
)
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


def _actions(engine) -> list[str]:
    with session_scope(engine) as s:
        return [e.action for e in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


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
    assert _actions(engine)[-2:] == ["meeting.create", "meeting.update"]


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
        lambda s, a, now: moderation.list_suggestions(session=s, actor=a),
        lambda s, a, now: moderation.decide(
            session=s, actor=a, suggestion_id=1, to_state=ModerationState.APPROVED, now=now
        ),
        lambda s, a, now: offer_review.list_offers(session=s, actor=a),
        lambda s, a, now: offer_review.move(
            session=s, actor=a, offer_id=1, to_state=OfferState.DECLINED, now=now
        ),
    ],
)
def test_team_services_refuse_without_organizer(engine, now, actor, call):
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
    assert _actions(engine).count("meeting.update") == 8


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


def test_weltkindertag_moves_a_date_because_of_thuringia():
    drafts = propose_series(first_day=date(2027, 9, 6), every_weeks=2, count=2)
    assert drafts[1].day == date(2027, 9, 27) and "Thüringen" in drafts[1].note


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


def _suggest(engine, now, text, voters=()):
    with session_scope(engine) as s:
        sid = suggestions.submit_suggestion(
            session=s, data=suggestions.SuggestionInput(text=text), now=now
        )
    f.decide(engine, sid, ModerationState.APPROVED, now=now)
    for voter in voters:
        with session_scope(engine) as s:
            suggestions.vote(session=s, suggestion_id=sid, voter_key=voter, now=now)
    return sid


def test_merge_adds_votes_counting_each_voter_once(engine, now, actor):
    target = _suggest(engine, now, "Bürgerenergie im Revier", voters=["a", "b"])
    duplicate = _suggest(engine, now, "Energiegenossenschaften", voters=["b", "c", "d"])
    with session_scope(engine) as s:
        votes = moderation.merge(
            session=s, actor=actor, duplicate_id=duplicate, target_id=target, now=now
        )
    assert votes == 4
    with session_scope(engine) as s:
        dup = s.get(Suggestion, duplicate)
        assert (dup.state, dup.merged_into_id) == ("merged", target)
        public = suggestions.list_public_suggestions(session=s)
    assert [p.id for p in public] == [target]
    with session_scope(engine) as s, pytest.raises(InvalidTransition):
        moderation.merge(session=s, actor=actor, duplicate_id=duplicate, target_id=target, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        moderation.merge(session=s, actor=actor, duplicate_id=target, target_id=target, now=now)


def test_pending_queue_approve_reject_and_refile(engine, now, actor):
    with session_scope(engine) as s:
        sid = suggestions.submit_suggestion(
            session=s,
            data=suggestions.SuggestionInput(text="Was wird aus den Tagebauseen?"),
            now=now,
        )
    with session_scope(engine) as s:
        assert [i.id for i in moderation.list_suggestions(session=s, actor=actor)] == [sid]
    with session_scope(engine) as s:
        moderation.set_topic_field(
            session=s, actor=actor, suggestion_id=sid, topic_field_id=1, now=now
        )
    with session_scope(engine) as s:
        moderation.decide(
            session=s, actor=actor, suggestion_id=sid, to_state=ModerationState.REJECTED, now=now
        )
    with session_scope(engine) as s:
        assert moderation.list_suggestions(session=s, actor=actor) == []
        assert suggestions.count_pending(session=s) == 0
    assert _actions(engine)[-2:] == ["suggestion.topic_field", "suggestion.rejected"]


def _offer(engine, now, meeting_id=None):
    with session_scope(engine) as s:
        return offers.submit_impulse_offer(
            session=s,
            data=offers.ImpulseOfferInput(
                title="Dorfladen Plus",
                description="Wie ein Dorfladen zum Treffpunkt wurde.",
                name="Kim Beispiel",
                email="kim@example.org",
                organisation="Dorfverein",
                preferred_meeting_id=meeting_id,
            ),
            now=now,
        )


def test_accepting_an_offer_puts_it_on_the_public_meeting(engine, now, actor):
    mid = f.meeting(engine, now=now)
    oid = _offer(engine, now, mid)
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=oid, to_state=OfferState.IN_DISCUSSION, now=now
        )
    with session_scope(engine) as s:
        offer_review.set_note(
            session=s, actor=actor, offer_id=oid, note="Telefonat am Montag", now=now
        )
    with session_scope(engine) as s:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=oid,
            data=offer_review.AcceptInput(
                meeting_id=mid,
                title="Dorfladen Plus",
                presenter="Kim Beispiel",
                organisation="Dorfverein",
            ),
            now=now,
        )
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=mid)
        [offer] = offer_review.list_offers(session=s, actor=actor)
    assert [(i.title, i.presenter) for i in view.impulses] == [("Dorfladen Plus", "Kim Beispiel")]
    assert (offer.state, offer.internal_note) == ("accepted", "Telefonat am Montag")
    assert "Telefonat" not in repr(view)


def test_offer_transitions_are_checked(engine, now, actor):
    oid = _offer(engine, now)
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=oid, to_state=OfferState.DECLINED, now=now
        )
    with session_scope(engine) as s, pytest.raises(InvalidTransition) as err:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=oid,
            data=offer_review.AcceptInput(meeting_id=2, title="Titel", presenter="Kim"),
            now=now,
        )
    assert "abgelehnt" in err.value.message


def test_double_accept_race_creates_one_impulse(engine, now, actor):
    mid = f.meeting(engine, now=now)
    oid = _offer(engine, now)
    barrier = threading.Barrier(6)

    def accept(_):
        barrier.wait()
        with session_scope(engine) as s:
            try:
                offer_review.accept(
                    session=s,
                    actor=actor,
                    offer_id=oid,
                    data=offer_review.AcceptInput(
                        meeting_id=mid, title="Dorfladen", presenter="Kim"
                    ),
                    now=now,
                )
                return "ok"
            except InvalidTransition:
                return "refused"

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(accept, range(6)))
    assert results.count("ok") == 1
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Impulse)).one() == 1


def test_accept_refuses_past_or_cancelled_meeting(engine, now, actor):
    past = f.meeting(engine, now=now, days_ahead=-5)
    oid = _offer(engine, now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=oid,
            data=offer_review.AcceptInput(meeting_id=past, title="Titel", presenter="Kim"),
            now=now,
        )
    assert "meeting_id" in err.value.errors
