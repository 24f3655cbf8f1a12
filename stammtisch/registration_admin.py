"""Organizer services for the registrations of a meeting: list, promote, cancel, attendance.

Reading: one page of registrations with search (name, e-mail, organisation; case-
insensitive, in SQL) and a status filter, and the counts per status. Writing: move one
person from the waitlist (past the capacity only when asked to), cancel on someone's
behalf (the first person waiting moves up) and record attendance by hand. Every write
locks the meeting row first, like :mod:`stammtisch.registrations`, so two organizers
(or an organizer and a visitor) never decide on the same stale numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from stammtisch import limits, mail, mail_texts, notify
from stammtisch.audit import record
from stammtisch.db import casefold, count_if, view_of, write_transaction
from stammtisch.errors import InvalidTransition, NeedsConfirmation, NotFound, ValidationError
from stammtisch.meeting_rules import is_cancelled, registration_change_refusal
from stammtisch.meetings import view_of_meeting
from stammtisch.models import (
    Attendance,
    Meeting,
    Registration,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.registrations import (
    absent_condition,
    attended_condition,
    cancel_locked,
    count_with_status,
    lock_meeting,
    lock_registration,
    write_attendance,
)
from stammtisch.validation import FieldChecker, fold_text

MAX_PAGE = 500
MAX_SEARCH = 100
MAX_BULK = 5000


@dataclass(frozen=True)
class RegistrationRow:
    """A registration as organizers see it in the table."""

    id: int
    name: str | None
    email: str | None
    organisation: str | None
    federal_state: str | None
    status: str
    attendance: str
    created_at: datetime
    anonymised: bool


@dataclass(frozen=True)
class RegistrationPage:
    """One page of a filtered list and how many registrations match in total."""

    rows: tuple[RegistrationRow, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class RegistrationCounts:
    """Registrations of one meeting per status, and attendance (aggregated in SQL)."""

    confirmed: int
    waitlisted: int
    cancelled: int
    attended: int  # confirmed registrations with attendance "ja" (registrations.attended_condition)
    absent: int  # confirmed registrations with attendance "nein"
    unregistered_attendees: int  # from the Zoom report: attended without a registration

    @property
    def total(self) -> int:
        return self.confirmed + self.waitlisted + self.cancelled

    @property
    def attended_total(self) -> int:
        return self.attended + self.unregistered_attendees


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _row(r: Registration) -> RegistrationRow:
    return view_of(RegistrationRow, r, anonymised=r.anonymised_at is not None)


def list_registrations(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    search: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> RegistrationPage:
    """One page of a meeting's registrations in arrival order, and the total that match.

    ``search`` finds a part of the name, e-mail address or organisation regardless of
    case (``%`` and ``_`` are taken literally); ``status`` limits to one status.
    """
    require_organizer(session, actor)
    conditions = [Registration.meeting_id == meeting_id]
    if status:
        try:
            conditions.append(Registration.status == RegistrationStatus(status))
        except ValueError as exc:
            raise ValidationError.single("status", "Bitte wählen Sie einen Status.") from exc
    term = fold_text(search or "").strip()[:MAX_SEARCH]
    if term:
        pattern = f"%{_escape_like(term)}%"
        conditions.append(
            or_(
                *(
                    casefold(session, column).like(pattern, escape="\\")
                    for column in (
                        Registration.name,
                        Registration.email,
                        Registration.organisation,
                    )
                )
            )
        )
    total = session.exec(select(func.count()).select_from(Registration).where(*conditions)).one()
    limit = min(max(int(limit), 1), MAX_PAGE)
    offset = max(int(offset), 0)
    rows = session.exec(
        select(Registration)
        .where(*conditions)
        .order_by(Registration.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return RegistrationPage(
        rows=tuple(_row(r) for r in rows), total=int(total), offset=offset, limit=limit
    )


def counts(
    *, session: Session, actor: OrganizerIdentity | None, meeting_id: int
) -> RegistrationCounts:
    """Registrations per status and attendance figures for one meeting (one SQL query)."""
    require_organizer(session, actor)
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("Diesen Termin gibt es nicht.")

    row = session.exec(
        select(
            count_if(Registration.status == RegistrationStatus.CONFIRMED),
            count_if(Registration.status == RegistrationStatus.WAITLISTED),
            count_if(Registration.status == RegistrationStatus.CANCELLED),
            count_if(attended_condition()),
            count_if(absent_condition()),
        ).where(Registration.meeting_id == meeting_id)
    ).one()
    return RegistrationCounts(
        confirmed=int(row[0]),
        waitlisted=int(row[1]),
        cancelled=int(row[2]),
        attended=int(row[3]),
        absent=int(row[4]),
        unregistered_attendees=meeting.unregistered_attendees,
    )


def _lock(session: Session, registration_id: int) -> tuple[Registration, Meeting]:
    """The registration and its meeting, meeting locked first (the order every writer uses)."""
    meeting_id = session.exec(
        select(Registration.meeting_id).where(Registration.id == registration_id)
    ).first()
    if meeting_id is None:
        raise NotFound("Diese Anmeldung gibt es nicht.")
    meeting = lock_meeting(session, meeting_id)
    return lock_registration(session, registration_id), meeting


def promote(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    registration_id: int,
    now: datetime,
    over_capacity: bool = False,
) -> None:
    """Confirm one person from the waitlist, also ahead of others who wait longer.

    When all places are taken this is refused unless ``over_capacity`` is True: then
    the meeting has one confirmed person more than places, deliberately.
    """
    with write_transaction(session):
        require_organizer(session, actor)
        registration, meeting = _lock(session, registration_id)
        if is_cancelled(meeting):
            raise InvalidTransition(registration_change_refusal(meeting, now))
        RegistrationStatus(registration.status).check_transition(RegistrationStatus.CONFIRMED)
        confirmed = count_with_status(session, meeting.id, RegistrationStatus.CONFIRMED)
        full = meeting.capacity is not None and confirmed >= meeting.capacity
        if full and not over_capacity:
            raise ValidationError.single(
                "over_capacity",
                f"Alle {meeting.capacity} Plätze sind vergeben. Wenn die Person trotzdem "
                "nachrücken soll, bestätigen Sie bitte „auch wenn alle Plätze vergeben sind“.",
            )
        registration.status = RegistrationStatus.CONFIRMED
        session.add(registration)
        session.flush()
        notify.promoted(session, [registration], meeting, now)
        record(
            session,
            actor=actor,
            action="registration.promote",
            obj=("registration", registration.id),
            details={
                "meeting_id": meeting.id,
                "over_capacity": full,
                "confirmed_after": confirmed + 1,
                "capacity": meeting.capacity,
            },
            now=now,
        )


def cancel_for(
    *, session: Session, actor: OrganizerIdentity | None, registration_id: int, now: datetime
) -> tuple[int, ...]:
    """Cancel a registration on someone's behalf; returns who moved up from the waitlist.

    Refused for a registration that is already cancelled and for a meeting that is
    over (then attendance "nein" is what to record, so the statistics stay right).
    """
    with write_transaction(session):
        require_organizer(session, actor)
        registration, meeting = _lock(session, registration_id)
        refusal = registration_change_refusal(meeting, now)
        if refusal:
            raise InvalidTransition(refusal)
        was = registration.status
        promoted = cancel_locked(session, registration, meeting, now, tell="team")
        record(
            session,
            actor=actor,
            action="registration.cancel",
            obj=("registration", registration.id),
            details={"meeting_id": meeting.id, "was": was, "promoted": promoted},
            now=now,
        )
        result = tuple(promoted)
    return result


def set_attendance(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    registration_ids: Sequence[int],
    attendance: str,
    now: datetime,
    counted_without_registration: bool = False,
) -> int:
    """Record attendance (yes / no / unknown) by hand for one or many registrations.

    "ja" and "nein" only once the meeting has begun; "unbekannt" resets at any time (the
    rule lives in ``write_attendance``). ``counted_without_registration``: these people
    were counted by the Zoom import as attendees without registration (their name did not
    match); ticking them now moves them over instead of counting them twice.
    Returns how many registrations were set.
    """
    try:
        value = Attendance(attendance)
    except ValueError as exc:
        raise ValidationError.single(
            "attendance", "Bitte wählen Sie „ja“, „nein“ oder „unbekannt“."
        ) from exc
    try:
        ids = sorted({int(i) for i in registration_ids})
    except (TypeError, ValueError) as exc:
        raise ValidationError.single("registration_ids", "Ungültige Auswahl.") from exc
    if not ids:
        raise ValidationError.single("registration_ids", "Bitte wählen Sie Anmeldungen aus.")
    if len(ids) > MAX_BULK:
        raise ValidationError.single(
            "registration_ids", f"Höchstens {MAX_BULK} Anmeldungen auf einmal."
        )
    with write_transaction(session):
        require_organizer(session, actor)
        rows = session.exec(
            select(Registration.id, Registration.meeting_id, Registration.attendance)
            .where(col(Registration.id).in_(ids))
            .with_for_update()
        ).all()
        meeting_ids = {meeting_id for _id, meeting_id, _was in rows}
        if len(rows) != len(ids):
            raise NotFound("Mindestens eine dieser Anmeldungen gibt es nicht (mehr).")
        write_attendance(session, ids, value, now)
        moved = 0
        if counted_without_registration and value == Attendance.YES:
            if len(meeting_ids) != 1:
                raise ValidationError.single(
                    "registration_ids", "Bitte nur Anmeldungen eines Treffens auf einmal."
                )
            meeting = lock_meeting(session, next(iter(meeting_ids)))
            newly = sum(1 for _id, _m, was in rows if was != Attendance.YES)
            moved = min(newly, meeting.unregistered_attendees)
            meeting.unregistered_attendees -= moved
            session.add(meeting)
        record(
            session,
            actor=actor,
            action="registration.attendance",
            obj=("meeting", next(iter(meeting_ids))) if len(meeting_ids) == 1 else None,
            details={"ids": ids, "attendance": value.value, "moved_from_unregistered": moved},
            now=now,
        )
    return len(ids)


# --- a message to a meeting's registrants ------------------------------------------------------

#: Who can be written to, with the label the page shows.
RECIPIENT_GROUPS = {
    "confirmed": "Angemeldete (bestätigte Plätze)",
    "waitlisted": "Warteliste",
    "attended": "Teilgenommen (nach dem Treffen)",
}


@dataclass(frozen=True)
class MessageInput:
    subject: str
    text: str
    groups: tuple[str, ...]


def _message_condition(groups: Sequence[str]):
    parts = []
    if "confirmed" in groups:
        parts.append(Registration.status == RegistrationStatus.CONFIRMED)
    if "waitlisted" in groups:
        parts.append(Registration.status == RegistrationStatus.WAITLISTED)
    if "attended" in groups:
        parts.append(attended_condition())
    return or_(*parts)


def _validate_message(data: MessageInput) -> tuple[str, str, tuple[str, ...]]:
    check = FieldChecker()
    subject = check.text(
        "subject", data.subject, label="einen Betreff", limit=limits.MESSAGE_SUBJECT
    )
    text = check.text(
        "text", data.text, label="einen Text", subject="Der Text", limit=limits.MESSAGE_TEXT
    )
    groups = tuple(g for g in RECIPIENT_GROUPS if g in set(data.groups or ()))
    if not groups or len(groups) != len(set(data.groups or ())):
        check.fail("groups", "Bitte wählen Sie, wer die Nachricht bekommt.")
    check.raise_if_any()
    return subject, text, groups


def message_audience(*, session: Session, meeting_id: int, groups: Sequence[str]) -> int:
    """How many people a message to these groups reaches (for the page's preview)."""
    groups = [g for g in groups if g in RECIPIENT_GROUPS]
    if not groups:
        return 0
    return session.exec(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.meeting_id == meeting_id,
            col(Registration.anonymised_at).is_(None),
            _message_condition(groups),
        )
    ).one()


def send_message(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    data: MessageInput,
    now: datetime,
    notify_count: int | None = None,
) -> int:
    """Write to a meeting's registrants (the chosen groups), one mail each through the
    outbox, as plain text written by the organizer; recorded in the audit log.

    Asks first (:class:`NeedsConfirmation` with the number; call again with
    ``notify_count``); returns how many mails were queued.
    """
    subject, text, groups = _validate_message(data)
    with write_transaction(session):
        organizer = require_organizer(session, actor)
        meeting = lock_meeting(session, meeting_id)
        rows = session.exec(
            select(Registration)
            .where(
                Registration.meeting_id == meeting_id,
                col(Registration.anonymised_at).is_(None),
                _message_condition(groups),
            )
            .order_by(Registration.id)
        ).all()
        if not rows:
            raise ValidationError.single("groups", "In den gewählten Gruppen ist niemand.")
        if notify_count != len(rows):
            people = "eine Person" if len(rows) == 1 else f"{len(rows)} Personen"
            raise NeedsConfirmation(
                f"Die Nachricht geht an {people}. Bitte bestätigen Sie das.", len(rows)
            )
        view = view_of_meeting(session, meeting)
        sender = organizer.display_name or organizer.name
        for registration in rows:
            mail.queue(
                session,
                kind="team_message",
                to_address=registration.email,
                to_name=registration.name,
                content=mail_texts.team_message(view, registration.name, subject, text, sender),
                now=now,
                registration_id=registration.id,
                meeting_id=meeting_id,
            )
        record(
            session,
            actor=actor,
            action="meeting.message",
            obj=("meeting", meeting_id),
            details={"subject": subject, "groups": list(groups), "recipients": len(rows)},
            now=now,
        )
    return len(rows)
