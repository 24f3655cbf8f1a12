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
