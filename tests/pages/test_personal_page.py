""" "Meine Anmeldung" shows exactly one row of its state table: one AppTest per combination
of the meeting's phase and the registration's standing.

Each case builds the registration through the services (register, confirm, wait, move
up, cancel, be cancelled by the team) and then puts the meeting in the phase (its
registration state, places, status, or the clock at its start or end). A few rows cannot
arise through the app (a free place while someone waits); the meeting's columns are set
directly for those, so the page is proven to stay unambiguous anyway.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select, update

from stammtisch import registration_admin, registrations
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope, write_transaction
from stammtisch.models import Meeting, Registration
from stammtisch.personal_page import TABLE, MeetingPhase, Standing
from tests import factories as f
from tests.pages.conftest import SEED_NOW

NOW = parse_instant(SEED_NOW)
ZOOM = "https://zoom.us/j/123456789"
DOCUMENTATION = "Folien und Notizen vom Treffen"


def _registration(engine, meeting_id: int, standing: Standing) -> str:
    """A registration of ``standing`` for the meeting; returns its personal link's token."""
    f.register(engine, meeting_id, "other", now=NOW)  # someone else holds the one place
    me = {"email": "me@example.org", "name": "Mia Muster"}
    if standing in (Standing.PENDING, Standing.EXPIRED):
        f.register(engine, meeting_id, "me", now=NOW, confirm=False, **me)
        return f.link_token(engine, "me@example.org")
    if standing in (Standing.WAITLISTED, Standing.PROMOTED):
        receipt = f.register(engine, meeting_id, "me", now=NOW, **me)
        assert receipt.status == "waitlisted"
        if standing == Standing.PROMOTED:
            other = f.link_token(engine, "personother@example.org")
            with session_scope(engine) as s:
                registrations.cancel(session=s, token=other, now=NOW)
        return receipt.token
    with session_scope(engine) as s:  # the other person makes room first
        registrations.cancel(
            session=s, token=f.link_token(engine, "personother@example.org"), now=NOW
        )
    receipt = f.register(engine, meeting_id, "me", now=NOW, **me)
    assert receipt.status == "confirmed"
    if standing == Standing.CANCELLED_BY_PERSON:
        with session_scope(engine) as s:
            registrations.cancel(session=s, token=receipt.token, now=NOW)
    elif standing == Standing.CANCELLED_BY_TEAM:
        with session_scope(engine) as s:
            registration_admin.cancel_for(
                session=s,
                actor=f.team(engine, now=NOW),
                registration_id=receipt.registration_id,
                now=NOW,
            )
    return receipt.token


def _phase(engine, meeting_id: int, phase: MeetingPhase, standing: Standing, monkeypatch):
    """Put the meeting in ``phase``; returns the instant the page is looked at."""
    with session_scope(engine) as s:
        meeting = s.get(Meeting, meeting_id)
        start, end = meeting.starts_at, meeting.ends_at
    values: dict = {"documentation_text": DOCUMENTATION}
    moment = NOW
    if phase == MeetingPhase.NOT_OPEN:
        values["registration_state"] = "not_open"
    elif phase == MeetingPhase.CLOSED:
        values["registration_state"] = "closed"
    elif phase == MeetingPhase.OPEN:
        values["capacity"] = 50
    elif phase == MeetingPhase.FULL:
        values["capacity"] = 1
    elif phase == MeetingPhase.CANCELLED:
        values["status"] = "cancelled"
    elif phase == MeetingPhase.RUNNING:
        moment = start + timedelta(minutes=10)
    elif phase == MeetingPhase.OVER:
        moment = end + timedelta(days=1)
    with session_scope(engine) as s, write_transaction(s):
        s.exec(update(Meeting).where(Meeting.id == meeting_id).values(**values))
        if standing == Standing.PENDING:  # still confirmable whatever the clock says
            s.exec(
                update(Registration)
                .where(Registration.email == "me@example.org")
                .values(expires_at=end + timedelta(days=2))
            )
        if standing == Standing.EXPIRED and moment < start:
            moment = NOW + timedelta(hours=49)
    monkeypatch.setenv("STAMMTISCH_NOW", moment.isoformat())


def _alerts(at) -> list[str]:
    """Every notice in the main area (the sidebar says the demo clock is pinned)."""
    main = at.main
    return [e.value for e in (*main.success, *main.info, *main.warning, *main.error)]


@pytest.mark.parametrize(("phase", "standing"), sorted(TABLE), ids=lambda v: v.value)
def test_every_state_combination_shows_its_one_message_and_its_actions(
    make_app, app_db, monkeypatch, phase, standing
):
    make_app()  # seeds the database
    engine = make_engine(app_db)
    meeting_id = f.meeting(engine, now=NOW, capacity=1, online_link=ZOOM)
    token = _registration(engine, meeting_id, standing)
    _phase(engine, meeting_id, phase, standing, monkeypatch)
    with session_scope(engine) as s:
        position = s.exec(select(Registration).where(Registration.email == "me@example.org")).one()
        waiting = 1 if position.status == "waitlisted" else None
    engine.dispose()

    at = make_app("pages/meine_anmeldung.py")
    at.query_params["token"] = token
    at.run()
    assert not at.exception
    view = TABLE[(phase, standing)]
    assert _alerts(at) == [view.text(waiting)]  # one message, no other
    keys = {b.key for b in at.button}
    assert ("confirm.go" in keys) is view.confirm
    assert ("cancel.start" in keys) is view.cancel
    assert (len(at.download_button) == 1) is bool(view.calendar)
    assert (ZOOM in [c.value for c in at.code]) is view.zoom_link
    assert any(DOCUMENTATION in t.value for t in at.text) is view.documentation
    links = [link.label for link in at.main.page_link]
    assert ("Zu den Terminen" in links) is view.register_again
    # The status under "Ihre Angaben" never contradicts the message above it.
    status = {
        Standing.PENDING: "unbestätigt",
        Standing.EXPIRED: "unbestätigt",
        Standing.CONFIRMED: "angemeldet",
        Standing.PROMOTED: "angemeldet",
        Standing.WAITLISTED: "Warteliste",
        Standing.CANCELLED_BY_PERSON: "storniert",
        Standing.CANCELLED_BY_TEAM: "storniert",
    }[standing]
    if phase == MeetingPhase.CANCELLED and status != "storniert":
        status += " – das Treffen ist abgesagt"
    texts = [t.value for t in at.text]
    assert status in texts, texts
