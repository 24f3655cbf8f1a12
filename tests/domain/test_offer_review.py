"""The team reviews impulse offers: transitions, notes, accepting onto a meeting."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from stammtisch import meetings, offer_review
from stammtisch.bootstrap import init_database
from stammtisch.db import session_scope
from stammtisch.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from stammtisch.models import Impulse, Mail, MailStatus, OfferState
from stammtisch.organizers import OrganizerIdentity
from tests import factories as f


@pytest.fixture
def actor(engine, now):
    init_database(engine, now=now)
    return f.organizer(engine, now=now)


@pytest.mark.parametrize(
    "call",
    [
        lambda s, a, now: offer_review.list_offers(session=s, actor=a),
        lambda s, a, now: offer_review.move(
            session=s, actor=a, offer_id=1, to_state=OfferState.DECLINED, now=now
        ),
    ],
)
def test_offer_review_refuses_without_organizer(engine, now, actor, call):
    for bad in (None, OrganizerIdentity(id=actor.id, name="jemand", display_name="")):
        with session_scope(engine) as s, pytest.raises(PermissionDenied):
            call(s, bad, now)


def test_accepting_an_offer_puts_it_on_the_public_meeting(engine, now, actor):
    mid = f.meeting(engine, now=now)
    oid = f.offer(engine, now=now, preferred_meeting_id=mid)
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
    oid = f.offer(engine, now=now)
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
    oid = f.offer(engine, now=now)
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
    oid = f.offer(engine, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=oid,
            data=offer_review.AcceptInput(meeting_id=past, title="Titel", presenter="Kim"),
            now=now,
        )
    assert "meeting_id" in err.value.errors


# --- exact messages, log entries and listing ------------------------------------------------


def test_review_steps_are_logged_with_where_they_came_from(engine, now, actor):
    mid = f.meeting(engine, now=now)
    oid = f.offer(engine, now=now)
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=oid, to_state=OfferState.IN_DISCUSSION, now=now
        )
    assert f.last_audit(engine) == (
        "offer.in_discussion",
        actor.name,
        "offer",
        oid,
        {"from": "submitted"},
    )
    with session_scope(engine) as s:
        offer_review.set_note(session=s, actor=actor, offer_id=oid, note="  ", now=now)
    assert f.last_audit(engine) == ("offer.note", actor.name, "offer", oid, {})
    with session_scope(engine) as s:
        impulse_id = offer_review.accept(
            session=s,
            actor=actor,
            offer_id=oid,
            data=offer_review.AcceptInput(
                meeting_id=mid,
                title="Dorfladen Plus",
                presenter="Kim Beispiel",
                organisation="Dorfverein",
                description="Wie ein Laden zum Treffpunkt wurde.",
            ),
            now=now,
        )
    assert f.last_audit(engine) == (
        "offer.accepted",
        actor.name,
        "offer",
        oid,
        {"meeting_id": mid, "impulse_id": impulse_id},
    )
    with session_scope(engine) as s:
        impulse = s.get(Impulse, impulse_id)
        [view] = offer_review.list_offers(session=s, actor=actor)
    assert (impulse.organisation, impulse.description, impulse.offer_id) == (
        "Dorfverein",
        "Wie ein Laden zum Treffpunkt wurde.",
        oid,
    )
    assert (view.state, view.internal_note) == ("accepted", "")


def test_review_refusals_say_why(engine, now, actor):
    oid = f.offer(engine, now=now)
    past = f.meeting(engine, now=now, days_ahead=-5)
    accept = offer_review.AcceptInput
    cases = [
        (
            accept(meeting_id=None, title="Dorfladen", presenter="Kim"),
            {"meeting_id": "Bitte wählen Sie den Termin, an dem der Impuls stattfindet."},
        ),
        (
            accept(meeting_id=past, title="Dorfladen", presenter="Kim"),
            {"meeting_id": "Bitte wählen Sie einen kommenden, nicht abgesagten Termin."},
        ),
        (
            accept(meeting_id=999, title="Dorfladen", presenter="Kim"),
            {"meeting_id": "Bitte wählen Sie einen kommenden, nicht abgesagten Termin."},
        ),
    ]
    for data, errors in cases:
        with session_scope(engine) as s, pytest.raises(ValidationError) as err:
            offer_review.accept(session=s, actor=actor, offer_id=oid, data=data, now=now)
        assert err.value.errors == errors
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        offer_review.set_note(session=s, actor=actor, offer_id=oid, note="x" * 5001, now=now)
    assert err.value.errors == {
        "internal_note": "Die Notiz ist zu lang (höchstens 5000 Zeichen, jetzt 5001)."
    }
    for call in (
        lambda s: offer_review.set_note(session=s, actor=actor, offer_id=999, note="x", now=now),
        lambda s: offer_review.move(
            session=s, actor=actor, offer_id=999, to_state=OfferState.DECLINED, now=now
        ),
    ):
        with session_scope(engine) as s, pytest.raises(NotFound) as err:
            call(s)
        assert err.value.message == "Dieses Angebot gibt es nicht."
    with session_scope(engine) as s, pytest.raises(ValueError, match=r"^use accept\(\) to"):
        offer_review.move(
            session=s, actor=actor, offer_id=oid, to_state=OfferState.ACCEPTED, now=now
        )


# --- the decision mail ------------------------------------------------------------------------

TEAM_MESSAGE = "Danke für <b>Ihr</b> Angebot & bis bald!\nZweite Zeile von Leon."


def _decision_mails(engine, offer_id: int) -> list[Mail]:
    with session_scope(engine) as s:
        return list(
            s.exec(
                select(Mail).where(Mail.offer_id == offer_id, Mail.kind == "offer_decision")
            ).all()
        )


def test_accepting_mails_the_decision_with_the_meeting_and_the_teams_message(engine, now, actor):
    mid = f.meeting(engine, now=now, theme="Lebendige Orte")
    oid = f.offer(engine, now=now, name="Ada Beispiel", email="ada.b@example.org")
    with session_scope(engine) as s:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=oid,
            data=offer_review.AcceptInput(
                meeting_id=mid, title="Dorfladen Plus", presenter="Ada", message=TEAM_MESSAGE
            ),
            now=now,
        )
    [decision] = _decision_mails(engine, oid)
    assert decision.subject == "Strukturwandel-Stammtisch: Ihr Impuls ist angenommen"
    assert (decision.to_address, decision.to_name) == ("ada.b@example.org", "Ada Beispiel")
    assert (decision.meeting_id, decision.status) == (mid, MailStatus.QUEUED)
    text = decision.body_text
    assert text.startswith("Hallo Ada Beispiel,")
    assert "Ihr Impuls ist angenommen" in text and "Lebendige Orte" in text
    assert "Eine Nachricht aus dem Team:\n> Danke für <b>Ihr</b> Angebot & bis bald!" in text
    assert "> Zweite Zeile von Leon." in text
    # The HTML part shows the message as written, never as markup.
    assert "Danke für &lt;b&gt;Ihr&lt;/b&gt; Angebot &amp; bis bald!" in decision.body_html
    assert "<b>Ihr</b>" not in decision.body_html


def test_declining_mails_its_own_wording_and_the_message_only_when_given(engine, now, actor):
    with_message = f.offer(engine, now=now, name="Ada Beispiel")
    without = f.offer(engine, now=now, name="Bo Beispiel")
    for oid, message in ((with_message, TEAM_MESSAGE), (without, None)):
        with session_scope(engine) as s:
            offer_review.move(
                session=s,
                actor=actor,
                offer_id=oid,
                to_state=OfferState.DECLINED,
                now=now,
                message=message,
            )
    [declined] = _decision_mails(engine, with_message)
    assert declined.subject == "Strukturwandel-Stammtisch: Zu Ihrem Impuls-Angebot"
    assert "leider nicht ins Programm" in declined.body_text
    assert "angenommen" not in declined.body_text and declined.meeting_id is None
    assert "> Zweite Zeile von Leon." in declined.body_text
    [plain] = _decision_mails(engine, without)
    assert plain.to_name == "Bo Beispiel"
    assert "Nachricht aus dem Team" not in plain.body_text + plain.body_html


def test_putting_an_offer_in_discussion_mails_nobody(engine, now, actor):
    oid = f.offer(engine, now=now)
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=oid, to_state=OfferState.IN_DISCUSSION, now=now
        )
    assert _decision_mails(engine, oid) == []


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_a_rolled_back_decision_queues_no_mail(engine, now, actor, monkeypatch, decision):
    mid = f.meeting(engine, now=now)
    oid = f.offer(engine, now=now)

    def broken_audit(*_args, **_kwargs):
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(offer_review, "record", broken_audit)
    with session_scope(engine) as s, pytest.raises(RuntimeError):
        if decision == "accept":
            offer_review.accept(
                session=s,
                actor=actor,
                offer_id=oid,
                data=offer_review.AcceptInput(
                    meeting_id=mid, title="Titel", presenter="Kim", message=TEAM_MESSAGE
                ),
                now=now,
            )
        else:
            offer_review.move(
                session=s,
                actor=actor,
                offer_id=oid,
                to_state=OfferState.DECLINED,
                now=now,
                message=TEAM_MESSAGE,
            )
    assert _decision_mails(engine, oid) == []
    with session_scope(engine) as s:
        [view] = offer_review.list_offers(session=s, actor=actor)
    assert view.state == "submitted"
