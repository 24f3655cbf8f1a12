"""Whoever a change affects is told, seen from the browser and the mail server: the next
person on the waitlist when someone cancels, everyone when the team cancels a meeting;
the team reads it all in the Postausgang."""

from __future__ import annotations

import pytest
from sqlmodel import select

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope, write_transaction
from stammtisch.models import Meeting
from tests import factories as f
from tests.appserver import start_app, stop_app
from tests.browser.conftest import SEED_NOW, log_in, mail_env, wait_idle

pytestmark = pytest.mark.browser

OPEN_MEETING = 2  # Mo, 06.12.2021


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_app(request, tmp_path, smtp_server):
    """(base URL, database URL): the app on a new database of either kind, which its
    start-up hook migrates and seeds; its mails reach ``smtp_server``."""
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'journey.db'}"
    else:
        db_url = request.getfixturevalue("empty_pg_url")
    proc, base = start_app(
        {"DATABASE_URL": db_url, "STAMMTISCH_NOW": SEED_NOW, **mail_env(tmp_path, smtp_server)}
    )
    try:
        yield base, db_url
    finally:
        stop_app(proc)


def test_cancellation_promotes_and_the_team_cancels_the_meeting(seeded_app, browser, smtp_server):
    base, db_url = seeded_app
    now = parse_instant(SEED_NOW)
    engine = make_engine(db_url)
    with session_scope(engine) as s, write_transaction(s):
        meeting = s.exec(select(Meeting).where(Meeting.id == OPEN_MEETING)).one()
        meeting.capacity = 1
        s.add(meeting)
    first = f.register(engine, OPEN_MEETING, "a", now=now, email="a@example.org")
    waiting = f.register(engine, OPEN_MEETING, "b", now=now, email="b@example.org")
    for n in range(3):  # nobody confirms these: they hold no place
        f.register(engine, OPEN_MEETING, f"bot{n}", now=now, confirm=False)
    f.organizer(engine, now=now, name="leon", display_name="Leon")
    engine.dispose()
    assert (first.status, waiting.status) == ("confirmed", "waitlisted")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        # The app's own sender delivers what the registrations queued (the requests to
        # confirm were out of date before it ran: confirmed at once, so not sent).
        [waitlisted] = smtp_server.wait_for("b@example.org", 1)
        assert "Warteliste" in waitlisted.subject
        # The first person cancels through the personal link; the next one moves up.
        page.goto(f"{base}/meine-anmeldung?token={first.token}")
        page.get_by_role("button", name="Anmeldung stornieren").click()
        page.get_by_role("button", name="Ja, abmelden").click()
        page.get_by_text("Sie sind abgemeldet").wait_for(timeout=30_000)
        promoted = smtp_server.wait_for("b@example.org", 2)[1]
        assert "nachgerückt" in promoted.subject
        assert "https://zoom.us/j/00000000000" in promoted.text

        # The team cancels the meeting: asked with the number, then everyone is told.
        log_in(page, base, "leon", f.PASSWORD, "Leon")
        page.get_by_role("link", name="Termine verwalten").click()
        page.get_by_role("tab", name="Termin bearbeiten").click()
        page.get_by_role("combobox", name="Termin").first.click()
        page.get_by_role("option", name="Mo, 06.12.2021", exact=False).first.click()
        wait_idle(page)
        page.get_by_role("button", name="Absagen").click()
        page.get_by_text("bekommen eine Mail").wait_for(timeout=30_000)
        page.get_by_role("button", name="Ja, absagen und alle benachrichtigen").click()
        page.get_by_text("Status: abgesagt").wait_for(timeout=30_000)
        cancelled = smtp_server.wait_for("b@example.org", 3)[2]
        assert "Abgesagt" in cancelled.subject
        assert b"STATUS:CANCELLED" in cancelled.attachment()
        # The person who had cancelled before hears nothing more about it.
        assert [m.subject for m in smtp_server.to("a@example.org")][-1].endswith(
            "Abmeldung für den Mo, 06.12.2021, 17:00–18:30 Uhr"
        )

        page.get_by_role("link", name="Postausgang").click()
        page.get_by_text("Treffen abgesagt").first.wait_for(timeout=30_000)
        wait_idle(page)
        body = page.inner_text("body")
        assert "Nachgerückt" in body and "gesendet" in body
        assert "token=" not in body  # the team never sees anybody's personal link
    finally:
        context.close()
