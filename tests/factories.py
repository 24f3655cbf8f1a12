"""Small factories for tests: real rows through the real services.

Every factory calls the service the pages call (an organizer's use case with the team
account below as actor), so a test can never create a state the app could not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import Engine
from sqlmodel import select

from stammtisch import (
    analytics,
    audit,
    meeting_admin,
    meetings,
    moderation,
    offer_review,
    offers,
    organizers,
    registrations,
    topics,
)
from stammtisch import suggestions as suggestion_service
from stammtisch.clock import BERLIN
from stammtisch.db import session_scope
from stammtisch.models import AuditEntry, ModerationState, RegistrationState

_seq = count(1)
TEAM_NAME = "factory-team"
PASSWORD = "ein-langes-passwort"


def topic_field(engine: Engine, *, now: datetime, name: str | None = None) -> int:
    actor = team(engine, now=now)
    with session_scope(engine) as s:
        return topics.create_topic_field(
            session=s,
            actor=actor,
            name=name or f"Themenfeld {next(_seq)}",
            description="Beschreibung",
            now=now,
        ).id


def organizer(engine: Engine, *, now: datetime, name: str = "orga", **kw):
    """A new organizer account; the identity a logged-in session would carry."""
    with session_scope(engine) as s:
        view = organizers.add_organizer(session=s, name=name, password=PASSWORD, now=now, **kw)
    return organizers.OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)


def team(engine: Engine, *, now: datetime) -> organizers.OrganizerIdentity:
    """The organizer account the factories act as (created on first use per database)."""
    with session_scope(engine) as s:
        for view in organizers.list_organizers(session=s):
            if view.name == TEAM_NAME:
                return organizers.OrganizerIdentity(
                    id=view.id, name=view.name, display_name=view.display_name
                )
    return organizer(engine, now=now, name=TEAM_NAME)


def meeting(
    engine: Engine,
    *,
    now: datetime,
    days_ahead: int = 14,
    capacity: int | None = None,
    registration_state: str = RegistrationState.OPEN,
    topic_field_id: int | None = None,
    online_link: str | None = "https://zoom.us/j/123456789",
    theme: str | None = None,
    status: str = "planned",
) -> int:
    """A meeting created by the team, ``days_ahead`` days from ``now`` at 17:00 Berlin."""
    if topic_field_id is None:
        topic_field_id = topic_field(engine, now=now)
    start = (
        (now + timedelta(days=days_ahead))
        .astimezone(BERLIN)
        .replace(hour=17, minute=0, second=0, microsecond=0)
    )
    actor = team(engine, now=now)
    with session_scope(engine) as s:
        return meeting_admin.create_meeting(
            session=s,
            actor=actor,
            data=meetings.MeetingInput(
                theme=theme or f"Testtreffen {next(_seq)}",
                description="Worum es geht.",
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
                primary_topic_field_id=topic_field_id,
                registration_state=registration_state,
                capacity=capacity,
                online_link=online_link,
                status=status,
            ),
            now=now,
        )


def impulse(engine: Engine, meeting_id: int, *, now: datetime, **overrides) -> int:
    """An impulse the team puts on a meeting."""
    values = {"title": f"Impuls {next(_seq)}", "presenter": "Vortragende Person"}
    values.update(overrides)
    with session_scope(engine) as s:
        return meeting_admin.add_impulse(
            session=s,
            actor=team(engine, now=now),
            meeting_id=meeting_id,
            data=meetings.ImpulseInput(**values),
            now=now,
        )


def registration_input(n: int | str, **overrides) -> registrations.RegistrationInput:
    values = {
        "name": f"Person {n}",
        "email": f"person{n}@example.org",
        "organisation": None,
        "federal_state": "sachsen",
        "consent": True,
    }
    values.update(overrides)
    return registrations.RegistrationInput(**values)


def register(
    engine: Engine,
    meeting_id: int,
    n: int | str,
    *,
    now: datetime,
    confirm: bool = True,
    **overrides,
):
    """A registration as a visitor makes it: the form, then the link from the mail.

    Returns the receipt of the confirmation (place or waitlist, the token of the personal
    link); ``confirm=False`` stops after the form (a pending registration).
    """
    data = registration_input(n, **overrides)
    with session_scope(engine) as s:
        receipt = registrations.register(session=s, meeting_id=meeting_id, data=data, now=now)
    if not confirm:
        return receipt
    return confirm_registration(engine, link_token(engine, data.email), now=now)


def link_token(engine: Engine, address: str) -> str:
    """The token of the newest personal link mailed to ``address`` (read from the outbox)."""
    from sqlmodel import col, select

    from stammtisch.db import casefold
    from stammtisch.models import Mail
    from stammtisch.validation import email_key

    with session_scope(engine) as s:
        secret = s.exec(
            select(Mail.secret)
            .where(
                casefold(s, Mail.to_address) == email_key(address), col(Mail.secret).is_not(None)
            )
            .order_by(col(Mail.id).desc())
        ).first()
    assert secret, f"no mail with a personal link to {address}"
    return secret


def subscribe(engine: Engine, *, now: datetime, email: str, confirm: bool = True, **kw):
    """A visitor's wish to be told (``meeting_id`` or ``topic_field_ids``), confirmed via
    the link from the confirmation mail unless ``confirm`` is False."""
    from stammtisch import subscriptions

    data = subscriptions.SubscriptionInput(email=email, consent=True, **kw)
    with session_scope(engine) as s:
        subscriptions.subscribe(session=s, data=data, now=now)
    if confirm:
        with session_scope(engine) as s:
            subscriptions.confirm(session=s, token=link_token(engine, email), now=now)


def confirm_registration(engine: Engine, token: str, *, now: datetime):
    with session_scope(engine) as s:
        return registrations.confirm(session=s, token=token, now=now)


def suggestion(
    engine: Engine,
    *,
    now: datetime,
    text: str | None = None,
    publish: bool = False,
    voters: tuple[str, ...] = (),
    requester=None,
    **overrides,
) -> int:
    """A visitor's suggestion; ``publish`` lets the team approve it, ``voters`` then vote."""
    data = suggestion_service.SuggestionInput(
        text=text or f"Ein Vorschlag für die Themensammlung Nr. {next(_seq)}", **overrides
    )
    with session_scope(engine) as s:
        sid = suggestion_service.submit_suggestion(
            session=s, data=data, now=now, requester=requester
        )
    if publish:
        decide(engine, sid, ModerationState.APPROVED, now=now)
    for voter in voters:
        with session_scope(engine) as s:
            suggestion_service.vote(session=s, suggestion_id=sid, voter_key=voter, now=now)
    return sid


def decide(engine: Engine, suggestion_id: int, to_state: ModerationState, *, now: datetime):
    """The team publishes or rejects a suggestion."""
    with session_scope(engine) as s:
        moderation.decide(
            session=s,
            actor=team(engine, now=now),
            suggestion_id=suggestion_id,
            to_state=to_state,
            now=now,
        )


def offer_input(**overrides) -> offers.ImpulseOfferInput:
    n = next(_seq)
    values = {
        "title": f"Unser Projekt Nr. {n}",
        "description": "Wir zeigen, wie unser Projekt im Revier arbeitet und was es braucht.",
        "name": "Ada Beispiel",
        "email": f"ada{n}@example.org",
    }
    values.update(overrides)
    return offers.ImpulseOfferInput(**values)


def offer(engine: Engine, *, now: datetime, **overrides) -> int:
    """A visitor's impulse offer (state "eingegangen")."""
    with session_scope(engine) as s:
        return offers.submit_impulse_offer(session=s, data=offer_input(**overrides), now=now)


def accept_offer(
    engine: Engine, offer_id: int, meeting_id: int, *, now: datetime, **overrides
) -> None:
    """The team accepts an offer onto a meeting (title and presenter as overridden)."""
    values = {"meeting_id": meeting_id, "title": "Angenommener Impuls", "presenter": "Ada"}
    values.update(overrides)
    with session_scope(engine) as s:
        offer_review.accept(
            session=s,
            actor=team(engine, now=now),
            offer_id=offer_id,
            data=offer_review.AcceptInput(**values),
            now=now,
        )


def status_counts(engine: Engine, meeting_id: int, *, now: datetime) -> dict[str, int]:
    """Registrations of a meeting per status, as the team's registration page counts them."""
    from stammtisch import registration_admin

    with session_scope(engine) as s:
        c = registration_admin.counts(session=s, actor=team(engine, now=now), meeting_id=meeting_id)
    return {"confirmed": c.confirmed, "waitlisted": c.waitlisted, "cancelled": c.cancelled}


def mail_kinds(engine: Engine, address: str) -> list[str]:
    """The kinds of the mails queued to ``address``, oldest first."""
    from sqlmodel import select

    from stammtisch.db import casefold
    from stammtisch.models import Mail
    from stammtisch.validation import email_key

    with session_scope(engine) as s:
        return list(
            s.exec(
                select(Mail.kind)
                .where(casefold(s, Mail.to_address) == email_key(address))
                .order_by(Mail.id)
            ).all()
        )


def mail_kinds_of_meeting(engine: Engine, meeting_id: int) -> list[str]:
    from sqlmodel import select

    from stammtisch.models import Mail

    with session_scope(engine) as s:
        return list(s.exec(select(Mail.kind).where(Mail.meeting_id == meeting_id)).all())


def audit_actions(engine: Engine) -> list[str]:
    """The actions of the change log in the order they were written."""
    with session_scope(engine) as s:
        return [e.action for e in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


def meeting_stats(engine: Engine, **filters):
    """The dashboard's figures per meeting (``analytics.meeting_stats``), indexed by theme."""
    with session_scope(engine) as s:
        return analytics.meeting_stats(session=s, filters=analytics.Filters(**filters)).set_index(
            "theme"
        )


def audit_entries(engine: Engine, action: str) -> list:
    """The change-log entries with exactly this action, newest first."""
    with session_scope(engine) as s:
        entries = audit.list_entries(session=s, action_prefix=action)
    # The prefix filter is a LIKE, which ignores case on SQLite: compare exactly here.
    return [e for e in entries if e.action == action]


def last_audit(engine: Engine) -> tuple:
    """The newest change-log entry as (action, actor, object type, object id, details)."""
    with session_scope(engine) as s:
        [entry] = audit.list_entries(session=s, limit=1)
    return (entry.action, entry.actor_name, entry.object_type, entry.object_id, entry.details)
