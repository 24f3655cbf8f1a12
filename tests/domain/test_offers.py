"""Impulse offers from visitors: stored as submitted, validated before any write."""

from __future__ import annotations

import pytest

from stammtisch import offers
from stammtisch.db import session_scope
from stammtisch.errors import ValidationError
from stammtisch.models import ImpulseOffer
from tests import factories as f


def test_impulse_offer_is_stored_as_submitted(engine, now):
    meeting_id = f.meeting(engine, now=now)
    oid = f.offer(engine, now=now, preferred_meeting_id=meeting_id)
    with session_scope(engine) as s:
        offer = s.get(ImpulseOffer, oid)
        assert offer.state == "submitted" and offer.preferred_meeting_id == meeting_id


def test_impulse_offer_validation_and_past_meeting(engine, now):
    past = f.meeting(engine, now=now, days_ahead=-10)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        offers.submit_impulse_offer(
            session=s,
            data=offers.ImpulseOfferInput(title="", description="kurz", name="", email="x"),
            now=now,
        )
    assert set(err.value.errors) == {"title", "description", "name", "email"}
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        offers.submit_impulse_offer(
            session=s,
            data=offers.ImpulseOfferInput(
                title="Ein guter Titel",
                description="Eine ausreichend lange Beschreibung.",
                name="Kim",
                email="kim@example.org",
                preferred_meeting_id=past,
            ),
            now=now,
        )
    assert "preferred_meeting_id" in err.value.errors


def _refused(engine, now, **values) -> dict[str, str]:
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        offers.submit_impulse_offer(session=s, data=f.offer_input(**values), now=now)
    return err.value.errors


def test_every_field_is_stored_as_typed(engine, now):
    field = f.topic_field(engine, now=now)
    oid = f.offer(
        engine,
        now=now,
        title="  Dorfladen  Plus ",
        organisation="Dorfverein e.V.",
        topic_field_id=field,
        email="Kim@Example.org",
    )
    with session_scope(engine) as s:
        offer = s.get(ImpulseOffer, oid)
        stored = (offer.title, offer.organisation, offer.email, offer.topic_field_id)
        assert offer.description == f.offer_input().description
        assert (offer.state, offer.internal_note, offer.created_at, offer.updated_at) == (
            "submitted",
            "",
            now,
            now,
        )
    assert stored == ("Dorfladen Plus", "Dorfverein e.V.", "Kim@example.org", field)


def test_refusals_name_each_field_in_german(engine, now):
    assert _refused(engine, now, title="", description="", name="", email="") == {
        "title": "Bitte geben Sie einen Titel an.",
        "description": "Bitte geben Sie eine kurze Beschreibung an.",
        "name": "Bitte geben Sie Ihren Namen an.",
        "email": "Bitte geben Sie Ihre E-Mail-Adresse an.",
    }
    assert _refused(engine, now, organisation="o" * 201) == {
        "organisation": "Die Organisation ist zu lang (höchstens 200 Zeichen, jetzt 201)."
    }
    # The description is named as itself, not as "eine kurze Beschreibung".
    assert _refused(engine, now, description="x" * 19) == {
        "description": "Die Beschreibung ist zu kurz (mindestens 20 Zeichen)."
    }
    assert _refused(engine, now, description="x" * 2001) == {
        "description": "Die Beschreibung ist zu lang (höchstens 2000 Zeichen, jetzt 2001)."
    }
    past = f.meeting(engine, now=now, days_ahead=-3)
    assert _refused(engine, now, topic_field_id=4711, preferred_meeting_id=past) == {
        "topic_field_id": "Bitte wählen Sie ein Themenfeld aus der Liste.",
        "preferred_meeting_id": "Bitte wählen Sie einen kommenden Termin.",
    }
    assert _refused(engine, now, preferred_meeting_id=4711) == {
        "preferred_meeting_id": "Bitte wählen Sie einen kommenden Termin."
    }


def test_the_same_offer_within_a_day_is_stored_and_mailed_once(engine, now):
    from datetime import timedelta

    from stammtisch.errors import AlreadySubmitted

    first = f.offer(engine, now=now, title="Dorfladen", email="Kim@Example.org")
    with pytest.raises(AlreadySubmitted) as err:
        f.offer(engine, now=now + timedelta(hours=2), title=" dorfladen ", email="kim@example.org")
    assert err.value.existing_id == first and "nur einmal" in err.value.message
    # Another address, another title, or the next day: a new offer.
    f.offer(engine, now=now, title="Dorfladen", email="ada@example.org")
    f.offer(engine, now=now, title="Dorfladen 2", email="kim@example.org")
    f.offer(
        engine, now=now + timedelta(days=1, minutes=1), title="Dorfladen", email="kim@example.org"
    )
    assert f.mail_kinds(engine, "kim@example.org") == ["offer_received"] * 3


def test_the_same_offer_counts_as_sent_twice_until_exactly_a_day_has_passed(engine, now):
    from datetime import timedelta

    from stammtisch.errors import AlreadySubmitted

    first = f.offer(engine, now=now, title="Dorfladen", email="kim@example.org")
    almost = now + offers.DOUBLE_SEND_WINDOW - timedelta(microseconds=1)
    with pytest.raises(AlreadySubmitted) as err:
        f.offer(engine, now=almost, title="Dorfladen", email="kim@example.org")
    assert (err.value.existing_id, err.value.message) == (
        first,
        "Dieses Angebot ist heute schon bei uns eingegangen; wir haben es nur einmal "
        "gespeichert. Wir melden uns per E-Mail.",
    )
    again = f.offer(
        engine, now=now + offers.DOUBLE_SEND_WINDOW, title="Dorfladen", email="kim@example.org"
    )
    assert again != first
