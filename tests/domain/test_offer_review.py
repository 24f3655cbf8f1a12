"""The team reviews impulse offers: transitions, notes, accepting onto a meeting."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

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
    cases.append(
        (
            accept(meeting_id=None, title="", presenter="Kim"),
            {
                "title": "Bitte geben Sie einen Titel an.",
                "meeting_id": "Bitte wählen Sie den Termin, an dem der Impuls stattfindet.",
            },
        )
    )
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


def test_offers_are_counted_per_state(engine, now, actor):
    first, second, third = (f.offer(engine, now=now) for _ in range(3))
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=second, to_state=OfferState.DECLINED, now=now
        )
    with session_scope(engine) as s:
        counts = {
            state: offer_review.count_offers(session=s, actor=actor, state=state)
            for state in (None, OfferState.SUBMITTED, OfferState.DECLINED, OfferState.ACCEPTED)
        }
    assert counts == {
        None: 3,
        OfferState.SUBMITTED: 2,
        OfferState.DECLINED: 1,
        OfferState.ACCEPTED: 0,
    }
    assert first and third


def test_offers_are_listed_newest_first_with_field_and_meeting_names(engine, now, actor):
    field = f.topic_field(engine, now=now, name="Energie")
    meeting_id = f.meeting(engine, now=now, theme="Wasser im Revier")
    old = f.offer(engine, now=now, topic_field_id=field, preferred_meeting_id=meeting_id)
    new = f.offer(engine, now=now - timedelta(days=1))  # submitted later, dated earlier
    newest = f.offer(engine, now=now + timedelta(days=1))

    def listed(**kw):
        with session_scope(engine) as s:
            return offer_review.list_offers(session=s, actor=actor, **kw)

    everything = listed()
    assert [o.id for o in everything] == [newest, old, new]
    assert [(o.topic_field_name, o.preferred_meeting_theme) for o in everything] == [
        (None, None),
        ("Energie", "Wasser im Revier"),
        (None, None),
    ]
    assert [o.id for o in listed(limit=2)] == [newest, old]
    assert [o.id for o in listed(limit=1, offset=2)] == [new]
    assert [o.id for o in listed(limit=5, offset=-3)] == [newest, old, new]


def test_an_accepted_offer_says_where_in_the_programme_it_stands(engine, now, actor):
    from stammtisch.formatting import format_day

    mid = f.meeting(engine, now=now, theme="Wasser im Revier")
    accepted, waiting = f.offer(engine, now=now), f.offer(engine, now=now)
    with session_scope(engine) as s:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=accepted,
            data=offer_review.AcceptInput(meeting_id=mid, title="Seen", presenter="Kim"),
            now=now,
        )
    with session_scope(engine) as s:
        starts = meetings.get_meeting(session=s, meeting_id=mid).starts_at
        in_order = offer_review.list_offers(session=s, actor=actor)
        listed = {o.id: o for o in in_order}
        only_accepted = offer_review.list_offers(session=s, actor=actor, state=OfferState.ACCEPTED)
        only_submitted = offer_review.list_offers(
            session=s, actor=actor, state=OfferState.SUBMITTED
        )
    assert listed[accepted].scheduled_meeting == f"{format_day(starts)} – Wasser im Revier"
    assert listed[waiting].scheduled_meeting is None
    # One row per offer, not one per impulse; sent at the same moment: the later one first.
    assert [o.id for o in in_order] == [waiting, accepted]
    assert [o.id for o in only_accepted] == [accepted]
    assert [o.id for o in only_submitted] == [waiting]


def _decline(engine, now, actor, offer_id, message=None):
    with session_scope(engine) as s:
        offer_review.move(
            session=s,
            actor=actor,
            offer_id=offer_id,
            to_state=OfferState.DECLINED,
            now=now,
            message=message,
        )


def _mails(engine, address):
    from stammtisch.models import Mail

    with session_scope(engine) as s:
        return [
            (m.kind, m.subject, m.body_text)
            for m in s.exec(select(Mail).where(Mail.to_address == address).order_by(Mail.id))
        ]


def test_declining_mails_the_person_with_the_teams_message_and_discussing_does_not(
    engine, now, actor
):
    talked, declined = (f.offer(engine, now=now, email=f"{n}@example.org") for n in ("a", "b"))
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=talked, to_state=OfferState.IN_DISCUSSION, now=now
        )
    _decline(engine, now, actor, declined, message="  Vielleicht im Frühjahr?  ")
    assert [k for k, _, _ in _mails(engine, "a@example.org")] == ["offer_received"]
    [(first_kind, _, _), (kind, subject, body)] = _mails(engine, "b@example.org")
    assert (first_kind, kind) == ("offer_received", "offer_decision")
    assert subject == "Strukturwandel-Stammtisch: Zu Ihrem Impuls-Angebot"
    assert "diesmal leider nicht ins Programm nehmen" in body
    assert "Vielleicht im Frühjahr?" in body and "Eine Nachricht aus dem Team" in body


def test_a_too_long_message_is_refused_before_anything_changes(engine, now, actor):
    oid = f.offer(engine, now=now, email="c@example.org")
    with pytest.raises(ValidationError) as err:
        _decline(engine, now, actor, oid, message="x" * 3001)
    assert err.value.errors == {
        "message": "Die Nachricht ist zu lang (höchstens 3000 Zeichen, jetzt 3001)."
    }
    with session_scope(engine) as s:
        [offer] = offer_review.list_offers(session=s, actor=actor)
    assert offer.state == OfferState.SUBMITTED
    assert [k for k, _, _ in _mails(engine, "c@example.org")] == ["offer_received"]
    _decline(engine, now, actor, oid, message="x" * 3000)  # exactly the limit: sent
    assert "x" * 3000 in _mails(engine, "c@example.org")[-1][2]


def test_accepting_mails_the_acceptance_with_the_meeting_and_the_teams_message(engine, now, actor):
    mid = f.meeting(engine, now=now, theme="Wasser im Revier")
    oid = f.offer(engine, now=now, email="d@example.org")

    def accept(message):
        with session_scope(engine) as s:
            offer_review.accept(
                session=s,
                actor=actor,
                offer_id=oid,
                data=offer_review.AcceptInput(
                    meeting_id=mid, title="Seen", presenter="Kim", message=message
                ),
                now=now,
            )

    with pytest.raises(ValidationError) as err:
        accept("x" * 3001)
    assert err.value.errors == {
        "message": "Die Nachricht ist zu lang (höchstens 3000 Zeichen, jetzt 3001)."
    }
    accept(" Wir freuen uns! ")
    [(_, _, _), (kind, subject, body)] = _mails(engine, "d@example.org")
    assert (kind, subject) == (
        "offer_decision",
        "Strukturwandel-Stammtisch: Ihr Impuls ist angenommen",
    )
    assert "Wasser im Revier" in body and "Wir freuen uns!" in body
