"""The waitlist and cancellation choices on "Anmeldungen & Teilnahme" (AppTest): every
entry has its own label, anonymised ones included, and a choice never outlives its
meeting. Found by the visitor sequences (tests/pages/test_visitor_sequences.py)."""

from __future__ import annotations

from datetime import timedelta

from stammtisch import privacy
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from tests import factories as f
from tests.pages.conftest import SEED_NOW

NOW = parse_instant(SEED_NOW)


def _erase(engine, address: str) -> None:
    with session_scope(engine) as s:
        privacy.erase_person(session=s, actor=f.team(engine, now=NOW), email=address, now=NOW)


def test_anonymised_registrations_are_told_apart_and_choices_stay_with_their_meeting(
    make_organizer_app, app_db
):
    make_organizer_app()
    engine = make_engine(app_db)
    early = NOW - timedelta(days=30)
    meetings = [
        f.meeting(engine, now=early, days_ahead=days, theme=f"Vorbei {days}") for days in (10, 20)
    ]
    for meeting_id in meetings:
        for n in (1, 2, 3):
            f.register(engine, meeting_id, n, now=early)
    # An erasure anonymises registrations of meetings that are over: no name, no address.
    _erase(engine, "person1@example.org")
    _erase(engine, "person2@example.org")
    engine.dispose()

    at = make_organizer_app("pages/orga_anmeldungen.py")
    at.session_state["reg.meeting"] = meetings[0]
    at.run()
    choice = _cancel_choice(at)
    labels = choice.options
    assert len(set(labels)) == 3 and not any("None" in label for label in labels)
    assert sum("(anonymisiert)" in label for label in labels) == 2
    choice.set_value(_ids(meetings[0])[1]).run()

    at.session_state["reg.meeting"] = meetings[1]
    at.run()
    assert not at.exception, at.exception
    assert _cancel_choice(at).value in _ids(meetings[1])


def _cancel_choice(at):
    [choice] = [s for s in at.selectbox if s.label == "Anmeldung im Auftrag stornieren"]
    return choice


def _ids(meeting_id: int) -> list[int]:
    import os

    from sqlmodel import select

    from stammtisch.models import Registration

    engine = make_engine(os.environ["DATABASE_URL"])
    with session_scope(engine) as s:
        ids = s.exec(
            select(Registration.id)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.id)
        ).all()
    engine.dispose()
    return list(ids)
