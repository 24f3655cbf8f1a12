"""Whoever a change affects is told: the mails each change queues, decided in one place.

Every function here runs inside the write transaction of the service that makes the
change (the registration, the promotion, the cancellation, the moved meeting), so the
mail and the change are committed together or not at all. Pages never decide mails.

Recipients are the people as they are stored now; an anonymised registration (no
address) is told nothing. A personal link goes into a mail only through ``secret``
(see :mod:`stammtisch.mail`); where the token is unknown (a promotion caused by someone
else) a fresh one is issued, and the person's earlier link keeps working next to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import String, cast, exists, literal
from sqlmodel import Session, col, select

from stammtisch import mail, mail_texts
from stammtisch.formatting import format_meeting_time
from stammtisch.meetings import MeetingView, view_of_meeting
from stammtisch.models import (
    ImpulseOffer,
    Mail,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
)
from stammtisch.tokens import issue_fresh_token


def _to(registration: Registration) -> bool:
    return bool(registration.email)


def confirm_request_row(
    *,
    meeting_id: int,
    theme: str,
    time_label: str,
    email: str,
    name: str | None,
    token: str,
    expires_at: datetime,
    now: datetime,
) -> dict:
    """The "please confirm" mail: the link that confirms (and later shows) the registration.

    Returned as a rendered outbox row without ``registration_id``: the registration's hot
    path renders it before its transaction and inserts both in it.
    """
    return mail.mail_row(
        kind="confirm_request",
        to_address=email,
        to_name=name,
        content=mail_texts.confirm_request(theme, time_label, name, expires_at),
        now=now,
        secret=token,
        meeting_id=meeting_id,
        expires_at=expires_at,
    )


def placed(
    session: Session,
    registration: Registration,
    meeting: MeetingView,
    *,
    token: str,
    online_link: str | None,
    waitlist_position: int | None,
    now: datetime,
) -> None:
    """The registration took its place: confirmed (with the link) or on the waitlist."""
    if registration.status == RegistrationStatus.CONFIRMED:
        kind = "registration_confirmed"
        content = mail_texts.registration_confirmed(meeting, registration.name, online_link, now)
    else:
        kind = "waitlisted"
        content = mail_texts.waitlisted(meeting, registration.name, waitlist_position or 0)
    mail.queue(
        session,
        kind=kind,
        to_address=registration.email,
        to_name=registration.name,
        content=content,
        now=now,
        secret=token,
        registration_id=registration.id,
        meeting_id=meeting.id,
    )


def already_registered(
    session: Session, registration: Registration, meeting: MeetingView, now: datetime
) -> bool:
    """The form was sent again for a registered address: a mail with a fresh link.

    At most one such mail per registration in :data:`RESEND_PAUSE` (a form sent again and
    again must not flood anyone's inbox); returns whether one was queued.
    """
    if mail.recently_queued(
        session,
        registration_id=registration.id,
        kinds=("already_registered", "confirm_request"),
        since=now - RESEND_PAUSE,
    ):
        return False
    pending = registration.status == RegistrationStatus.PENDING
    # A pending registration's earlier confirmation link stops working; a registered
    # person's bookmarked link keeps working next to the fresh one.
    token = issue_fresh_token(registration, keep_previous=not pending)
    session.add(registration)
    mail.queue(
        session,
        kind="already_registered",
        to_address=registration.email,
        to_name=registration.name,
        content=mail_texts.already_registered(
            meeting, registration.name, pending=pending, expires_at=registration.expires_at
        ),
        now=now,
        secret=token,
        registration_id=registration.id,
        meeting_id=meeting.id,
        expires_at=registration.expires_at if pending else None,
    )
    return True


RESEND_PAUSE = timedelta(minutes=10)


def promoted(
    session: Session, registrations: Iterable[Registration], meeting: Meeting, now: datetime
) -> None:
    """People who moved up from the waitlist: each gets the link and a fresh personal link."""
    view: MeetingView | None = None
    for registration in registrations:
        if not _to(registration):
            continue
        view = view or view_of_meeting(session, meeting)
        token = issue_fresh_token(registration)
        session.add(registration)
        mail.queue(
            session,
            kind="promoted",
            to_address=registration.email,
            to_name=registration.name,
            content=mail_texts.promoted(view, registration.name, meeting.online_link, now),
            now=now,
            secret=token,
            registration_id=registration.id,
            meeting_id=meeting.id,
        )


def cancellation(
    session: Session, registration: Registration, meeting: Meeting, *, by_team: bool, now: datetime
) -> None:
    """A registration was cancelled, by the person or by the team."""
    if not _to(registration):
        return
    mail.queue(
        session,
        kind="cancellation",
        to_address=registration.email,
        to_name=registration.name,
        content=mail_texts.cancellation(
            view_of_meeting(session, meeting), registration.name, by_team=by_team
        ),
        now=now,
        registration_id=registration.id,
        meeting_id=meeting.id,
    )


def _audience(session: Session, meeting_id: int, statuses) -> list[Registration]:
    return list(
        session.exec(
            select(Registration)
            .where(
                Registration.meeting_id == meeting_id,
                col(Registration.status).in_(list(statuses)),
                col(Registration.email).is_not(None),
            )
            .order_by(Registration.id)
        ).all()
    )


ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def status_change_audience(session: Session, meeting_id: int) -> int:
    """How many people a cancellation (or re-planning) of the meeting writes to."""
    return len(_audience(session, meeting_id, ACTIVE))


def meeting_status_changed(
    session: Session, meeting: Meeting, status: MeetingStatus, now: datetime
) -> int:
    """Cancelled, or planned again after a cancellation: everyone confirmed or waiting is
    told (and mails still waiting to go out about the meeting are no longer right)."""
    if status not in (MeetingStatus.CANCELLED, MeetingStatus.PLANNED):
        return 0
    view = view_of_meeting(session, meeting)
    people = _audience(session, meeting.id, ACTIVE)
    for registration in people:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        if status == MeetingStatus.CANCELLED:
            content = mail_texts.meeting_cancelled(view, registration.name, now)
            kind = "meeting_cancelled"
        else:
            link = meeting.online_link if confirmed else None
            content = mail_texts.meeting_replanned(view, registration.name, link, now)
            kind = "meeting_replanned"
        mail.queue(
            session,
            kind=kind,
            to_address=registration.email,
            to_name=registration.name,
            content=content,
            now=now,
            registration_id=registration.id,
            meeting_id=meeting.id,
        )
    return len(people)


def change_audience(
    session: Session, meeting_id: int, *, time_changed: bool, link_changed: bool
) -> int:
    """How many people a change of time or link writes to."""
    if time_changed:
        return len(_audience(session, meeting_id, ACTIVE))
    if link_changed:
        return len(_audience(session, meeting_id, (RegistrationStatus.CONFIRMED,)))
    return 0


def meeting_changed(
    session: Session,
    meeting: Meeting,
    *,
    old_starts_at: datetime,
    old_ends_at: datetime,
    link_changed: bool,
    now: datetime,
) -> int:
    """A new time (everyone confirmed or waiting) or a new link (confirmed people): the new
    details and, for confirmed people, an updated calendar entry."""
    time_changed = (old_starts_at, old_ends_at) != (meeting.starts_at, meeting.ends_at)
    if not (time_changed or link_changed):
        return 0
    statuses = ACTIVE if time_changed else (RegistrationStatus.CONFIRMED,)
    view = view_of_meeting(session, meeting)
    old_time = format_meeting_time(old_starts_at, old_ends_at) if time_changed else None
    people = _audience(session, meeting.id, statuses)
    for registration in people:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        mail.queue(
            session,
            kind="meeting_changed",
            to_address=registration.email,
            to_name=registration.name,
            content=mail_texts.meeting_changed(
                view,
                registration.name,
                old_time=old_time,
                link_changed=link_changed,
                online_link=meeting.online_link if confirmed else None,
                now=now,
            ),
            now=now,
            registration_id=registration.id,
            meeting_id=meeting.id,
        )
    return len(people)


def queue_due_reminders(session: Session, *, now: datetime, hours: int) -> int:
    """Reminders for confirmed registrations of meetings starting within ``hours``.

    Exactly once per registration (``dedupe_key``, unique in the database), never after
    the meeting has begun (the mail expires at the start), and not for people who were
    placed inside the window (they got the link minutes ago). Run by the sender.
    """
    window_end = now + timedelta(hours=hours)
    reminded = exists().where(
        Mail.dedupe_key == literal("reminder:").concat(cast(Registration.id, String))
    )
    rows = session.exec(
        select(Registration, Meeting)
        .join(Meeting, Meeting.id == Registration.meeting_id)
        .where(
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at > now,
            Meeting.starts_at <= window_end,
            Registration.status == RegistrationStatus.CONFIRMED,
            col(Registration.email).is_not(None),
            ~reminded,
        )
        .order_by(Registration.id)
    ).all()
    views: dict[int, MeetingView] = {}
    count = 0
    for registration, meeting in rows:
        window_start = meeting.starts_at - timedelta(hours=hours)
        if registration.placed_at is not None and registration.placed_at >= window_start:
            continue
        view = views.get(meeting.id) or view_of_meeting(session, meeting)
        views[meeting.id] = view
        mail.queue(
            session,
            kind="reminder",
            to_address=registration.email,
            to_name=registration.name,
            content=mail_texts.reminder(view, registration.name, meeting.online_link),
            now=now,
            registration_id=registration.id,
            meeting_id=meeting.id,
            expires_at=meeting.starts_at,
            dedupe_key=f"reminder:{registration.id}",
        )
        count += 1
    return count


# --- impulse offers ----------------------------------------------------------------------------


def offer_received(session: Session, offer: ImpulseOffer, now: datetime) -> None:
    mail.queue(
        session,
        kind="offer_received",
        to_address=offer.email,
        to_name=offer.name,
        content=mail_texts.offer_received(offer.title, offer.name),
        now=now,
        offer_id=offer.id,
    )


def offer_decision(
    session: Session,
    offer: ImpulseOffer,
    *,
    accepted: bool,
    meeting: Meeting | None,
    message: str | None,
    now: datetime,
) -> None:
    if not offer.email:
        return
    mail.queue(
        session,
        kind="offer_decision",
        to_address=offer.email,
        to_name=offer.name,
        content=mail_texts.offer_decision(
            offer.title,
            offer.name,
            accepted=accepted,
            meeting=view_of_meeting(session, meeting) if meeting is not None else None,
            message=message,
        ),
        now=now,
        offer_id=offer.id,
        meeting_id=meeting.id if meeting is not None else None,
    )
