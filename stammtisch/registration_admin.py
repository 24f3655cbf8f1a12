"""Organizer services for the registrations of a meeting: list, promote, cancel, attendance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from stammtisch.audit import record
from stammtisch.db import write_transaction
from stammtisch.errors import NotFound, ValidationError
from stammtisch.models import (
    Attendance,
    Meeting,
    Registration,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.registrations import fill_free_places, status_counts

MAX_PAGE = 1000


@dataclass(frozen=True)
class RegistrationRow:
    id: int
    name: str | None
    email: str | None
    organisation: str | None
    federal_state: str | None
    status: str
    attendance: str
    created_at: datetime
    anonymised: bool


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_registrations(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    search: str | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[RegistrationRow], int]:
    """One page of a meeting's registrations in arrival order, and the total that match."""
    require_organizer(session, actor)
    conditions = [Registration.meeting_id == meeting_id]
    if status:
        conditions.append(Registration.status == status)
    if search and search.strip():
        pattern = f"%{_escape_like(search.strip().lower())}%"
        conditions.append(
            or_(
                func.lower(Registration.name).like(pattern, escape="\\"),
                func.lower(Registration.email).like(pattern, escape="\\"),
                func.lower(Registration.organisation).like(pattern, escape="\\"),
            )
        )
    total = session.exec(select(func.count()).select_from(Registration).where(*conditions)).one()
    rows = session.exec(
        select(Registration)
        .where(*conditions)
        .order_by(Registration.id)
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), MAX_PAGE))
    ).all()
    return [
        RegistrationRow(
            id=r.id,
            name=r.name,
            email=r.email,
            organisation=r.organisation,
            federal_state=r.federal_state,
            status=r.status,
            attendance=r.attendance,
            created_at=r.created_at,
            anonymised=r.anonymised_at is not None,
        )
        for r in rows
    ], total


def counts(*, session: Session, actor: OrganizerIdentity | None, meeting_id: int) -> dict:
    """Registrations per status plus attendance figures for one meeting."""
    require_organizer(session, actor)
    result = status_counts(session=session, meeting_id=meeting_id)
    attended = session.exec(
        select(func.count())
        .select_from(Registration)
        .where(Registration.meeting_id == meeting_id, Registration.attendance == Attendance.YES)
    ).one()
    meeting = session.get(Meeting, meeting_id)
    result["attended"] = attended
    result["unregistered_attendees"] = meeting.unregistered_attendees if meeting else 0
    return result


def _locked(session: Session, registration_id: int) -> tuple[Registration, Meeting]:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("Diese Anmeldung gibt es nicht.")
    meeting = session.exec(
        select(Meeting).where(Meeting.id == registration.meeting_id).with_for_update()
    ).one()
    session.refresh(registration, with_for_update=True)
    return registration, meeting


def promote(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    registration_id: int,
    now: datetime,
    over_capacity: bool = False,
) -> None:
    """Move one person from the waitlist to a confirmed place (past others if chosen)."""
    with write_transaction(session):
        require_organizer(session, actor)
        registration, meeting = _locked(session, registration_id)
        if registration.status != RegistrationStatus.WAITLISTED:
            raise ValidationError.single(
                "registration", "Nur Personen auf der Warteliste können nachrücken."
            )
        confirmed = session.exec(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.meeting_id == meeting.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        ).one()
        if meeting.capacity is not None and confirmed >= meeting.capacity and not over_capacity:
            raise ValidationError.single(
                "over_capacity",
                f"Alle {meeting.capacity} Plätze sind vergeben. Zum Nachrücken über die "
                "Platzzahl hinaus bitte „auch wenn voll“ bestätigen.",
            )
        registration.status = RegistrationStatus.CONFIRMED
        session.add(registration)
        record(
            session,
            actor=actor,
            action="registration.promote",
            obj=("registration", registration.id),
            details={"meeting_id": meeting.id, "over_capacity": over_capacity},
            now=now,
        )


def cancel_for(
    *, session: Session, actor: OrganizerIdentity | None, registration_id: int, now: datetime
) -> tuple[int, ...]:
    """Cancel a registration on someone's behalf; the first waiting person moves up."""
    with write_transaction(session):
        require_organizer(session, actor)
        registration, meeting = _locked(session, registration_id)
        if registration.status == RegistrationStatus.CANCELLED:
            return ()
        was = registration.status
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        session.add(registration)
        session.flush()
        promoted = fill_free_places(session, meeting) if was == RegistrationStatus.CONFIRMED else []
        record(
            session,
            actor=actor,
            action="registration.cancel",
            obj=("registration", registration.id),
            details={"meeting_id": meeting.id, "promoted": promoted},
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
) -> int:
    """Record attendance (yes / no / unknown) by hand for one or many registrations."""
    try:
        value = Attendance(attendance)
    except ValueError as exc:
        raise ValidationError.single(
            "attendance", "Bitte wählen Sie ja, nein oder unbekannt."
        ) from exc
    ids = sorted({int(i) for i in registration_ids})
    with write_transaction(session):
        require_organizer(session, actor)
        rows = session.exec(select(Registration).where(col(Registration.id).in_(ids))).all()
        if len(rows) != len(ids):
            raise NotFound("Mindestens eine dieser Anmeldungen gibt es nicht.")
        for row in rows:
            row.attendance = value
            session.add(row)
        record(
            session,
            actor=actor,
            action="registration.attendance",
            obj=None,
            details={"ids": ids, "attendance": value.value},
            now=now,
        )
    return len(ids)
