"""Data protection services on both databases: retention, access, erasure and the one
e-mail key."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlmodel import select

from stammtisch import privacy
from stammtisch.db import session_scope
from stammtisch.models import ImpulseOffer, Registration
from tests import factories as f


@pytest.fixture
def actor(engine, now):
    return f.team(engine, now=now)


def test_erasure_finds_an_offer_whose_address_differs_only_in_unicode_case(engine, now, actor):
    offer_id = f.offer(engine, now=now, email="ÖKO@Example.org", name="Öko Beispiel")
    other = f.offer(engine, now=now, email="oeko@example.org", name="Jemand anderes")
    with session_scope(engine) as s:
        summary = privacy.person_summary(session=s, actor=actor, email="öko@example.org", now=now)
    assert summary.offers == 1
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="öko@example.org", now=now)
    assert result.offers == 1
    with session_scope(engine) as s:
        erased, kept = s.get(ImpulseOffer, offer_id), s.get(ImpulseOffer, other)
        assert (erased.name, erased.email) == (privacy.ERASED, "")
        assert (kept.name, kept.email) == ("Jemand anderes", "oeko@example.org")


def test_erasure_and_access_find_registrations_written_in_another_case(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now, email="ÄNNE@Example.org", name="Änne")
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="änne@EXAMPLE.org", now=now)
    assert [r["name"] for r in data["anmeldungen"]] == ["Änne"]
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="änne@example.org", now=now)
    assert (result.registrations, result.cancelled) == (1, 1)
    with session_scope(engine) as s:
        row = s.exec(select(Registration)).one()
        assert (row.name, row.email, row.status) == (None, None, "cancelled")


def test_figures_survive_anonymisation(engine, known_history, now):
    before = f.meeting_stats(engine)
    actor = f.organizer(engine, now=now)
    with session_scope(engine) as s:
        result = privacy.apply_retention(session=s, actor=actor, now=now + timedelta(days=400))
    assert result.anonymised == 8
    after = f.meeting_stats(engine)
    pd.testing.assert_frame_equal(before, after)
