"""Registrations: the capacity rule, the waitlist, and self-service cancellation.

Rules, all enforced inside one write transaction per use case:

* at most one active (confirmed or waitlisted) registration per e-mail and meeting;
* confirmed <= capacity; everyone else waits in arrival order (registration id);
* a free place never coexists with a waitlist: whenever a place frees up, the first
  person waiting is promoted in the same transaction.

The meeting row is locked first (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so concurrent registrations for one meeting are decided one after the other.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, literal_column, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stammtisch import limits
from stammtisch.db import data_version_bump, write_transaction
from stammtisch.errors import FORM, AlreadyRegistered, NotFound, ValidationError
from stammtisch.meeting_rules import attendance_refusal, is_cancelled, registration_refusal
from stammtisch.models import (
    Attendance,
    FederalState,
    Meeting,
    Registration,
    RegistrationStatus,
    SiteSetting,
)
from stammtisch.validation import FieldChecker, email_key

TOKEN_BYTES = 32  # 256 random bits

ALREADY_REGISTERED_MESSAGE = (
    "Mit dieser E-Mail-Adresse besteht bereits eine Anmeldung für diesen Termin. "
    "Den Zugangslink und Ihren persönlichen Abmeldelink finden Sie in Ihrer Anmeldebestätigung."
)
UNKNOWN_TOKEN_MESSAGE = "Dieser Link ist ungültig oder die Anmeldung besteht nicht mehr."  # noqa: S105


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    email: str
    organisation: str | None = None
    federal_state: str | None = None
    consent: bool = False


@dataclass(frozen=True)
class RegistrationReceipt:
    """What the person who just registered may see, once."""

    registration_id: int
    meeting_id: int
    token: str
    status: str
    waitlist_position: int | None
    online_link: str | None  # only for a confirmed place

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED


@dataclass(frozen=True)
class RegistrationDetails:
    """A registration as its owner sees it through the cancellation link."""

    registration_id: int
    meeting_id: int
    name: str | None
    email: str | None
    organisation: str | None
    federal_state: str | None
    status: str
    waitlist_position: int | None
    online_link: str | None
    created_at: datetime


@dataclass(frozen=True)
class CancellationResult:
    registration_id: int
    meeting_id: int
    was_status: str
    promoted_registration_ids: tuple[int, ...]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def participant_key(session: Session, normalized_email: str) -> str:
    """A stable pseudonym per e-mail address (HMAC with the installation's secret)."""
    salt = session.get(SiteSetting, "participant_salt")
    if salt is None:
        raise RuntimeError("participant_salt missing: run the migrations")
    return _pseudonym(salt.value, email_key(normalized_email))


def _pseudonym(salt: str, key: str) -> str:
    return hmac.new(salt.encode(), key.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RegistrationValues:
    """A registration form after validation."""

    name: str
    email: str
    organisation: str | None
    federal_state: FederalState | None


def validate_registration(data: RegistrationInput) -> RegistrationValues:
    """Clean the form input or raise :class:`ValidationError` with German messages."""
    check = FieldChecker()
    name = check.text("name", data.name, label="Ihren Namen", limit=limits.PERSON_NAME)
    email = check.email("email", data.email)
    organisation = check.text(
        "organisation", data.organisation, label="eine Organisation", limit=limits.ORGANISATION
    )
    state = check.choice(
        "federal_state",
        data.federal_state,
        FederalState,
        required=False,
        message="Bitte wählen Sie ein Bundesland aus der Liste.",
    )
    if data.consent is not True:
        check.fail("consent", "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu.")
    check.raise_if_any()
    return RegistrationValues(
        name=name, email=email, organisation=organisation, federal_state=state
    )


def lock_meeting(session: Session, meeting_id: int) -> Meeting:
    """The meeting row, locked for this transaction (every writer locks it first).

    Raises :class:`NotFound` if there is no such meeting.
    """
    meeting = session.exec(
        select(Meeting).where(Meeting.id == meeting_id).with_for_update()
    ).first()
    if meeting is None:
        raise NotFound("Diesen Termin gibt es nicht.")
    return meeting


def count_with_status(session: Session, meeting_id: int, status: str) -> int:
    """How many registrations of a meeting have ``status`` (one SQL count)."""
    return session.exec(
        select(func.count())
        .select_from(Registration)
        .where(Registration.meeting_id == meeting_id, Registration.status == status)
    ).one()


def _waitlist_position(session: Session, registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.meeting_id == registration.meeting_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            col(Registration.id) < registration.id,
        )
    ).one()
    return ahead + 1


def fill_free_places(session: Session, meeting: Meeting) -> list[int]:
    """Promote waiting people, first come first served, while places are free.

    Call inside a write transaction that holds the meeting's lock.
    """
    query = (
        select(Registration)
        .where(
            Registration.meeting_id == meeting.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.id)
    )
    if meeting.capacity is not None:
        free = meeting.capacity - count_with_status(
            session, meeting.id, RegistrationStatus.CONFIRMED
        )
        if free <= 0:
            return []
        query = query.limit(free)
    promoted = []
    for registration in session.exec(query).all():
        registration.status = RegistrationStatus.CONFIRMED
        session.add(registration)
        promoted.append(registration.id)
    session.flush()
    return promoted


# The statements of ``register``, built once: the hot path of a popular meeting runs
# them under the meeting's lock, so they skip per-call statement building and the ORM,
# and the lock is held for two statements and the commit.
_REG = Registration.__table__
_MEETING = Meeting.__table__
_SETTING = SiteSetting.__table__
_LOCK_FOR_REGISTER = (
    select(
        _MEETING.c.status,
        _MEETING.c.ends_at,
        _MEETING.c.registration_state,
        _MEETING.c.capacity,
        _MEETING.c.online_link,
        select(_SETTING.c.value)
        .where(_SETTING.c.key == "participant_salt")
        .scalar_subquery()
        .label("salt"),
    )
    .where(_MEETING.c.id == bindparam("meeting_id"))
    .with_for_update(of=_MEETING)
)


def _status_on_arrival(capped: bool):
    """SQL for the newcomer's status, decided by the rows as they are under the lock.

    Confirmed while places are free and nobody waits, otherwise the waitlist. Evaluated
    inside the INSERT (a fresh snapshot on PostgreSQL, after the lock was granted).
    """
    waiting = func.count().filter(_REG.c.status == RegistrationStatus.WAITLISTED.value)
    free = waiting == 0
    if capped:
        confirmed = func.count().filter(_REG.c.status == RegistrationStatus.CONFIRMED.value)
        free = and_(confirmed < bindparam("capacity"), free)
    return (
        select(
            case(
                (free, RegistrationStatus.CONFIRMED.value),
                else_=RegistrationStatus.WAITLISTED.value,
            )
        )
        .where(_REG.c.meeting_id == bindparam("for_meeting"))
        .scalar_subquery()
    )


# Everybody already waiting for the same meeting, counted as the row goes in: a
# correlated subquery in RETURNING (written out, since SQLAlchemy renders RETURNING
# columns unqualified); ``ahead.id <`` leaves the new row out on every database.
_WAITING_AHEAD = literal_column(
    "(SELECT count(*) FROM registration AS ahead"
    " WHERE ahead.meeting_id = registration.meeting_id"
    " AND ahead.status = 'waitlisted'"
    " AND ahead.id < registration.id)"
)


# The partial unique index of models.Registration: one active registration per address.
_ACTIVE_EMAIL = next(i for i in _REG.indexes if i.name == "uq_registration_active_email")


@functools.cache
def _insert_registration(dialect: str, capped: bool):
    """The INSERT for ``dialect``; a second active registration of the same address
    inserts nothing (``ON CONFLICT DO NOTHING`` on the partial unique index), so the
    database neither raises nor logs the address."""
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert_(_REG)
        .values(status=_status_on_arrival(capped))
        .on_conflict_do_nothing(
            index_elements=list(_ACTIVE_EMAIL.columns),
            index_where=_ACTIVE_EMAIL.dialect_options[dialect]["where"],
        )
        .returning(_REG.c.id, _REG.c.status, _WAITING_AHEAD)
    )
    if dialect == "postgresql":
        # The data version goes up in the same statement (a data-modifying CTE): one
        # round trip less while the meeting is locked. SQLite bumps it at commit.
        statement = statement.add_cte(data_version_bump().cte("data_version_bump"))
    return statement


def register(
    *, session: Session, meeting_id: int, data: RegistrationInput, now: datetime
) -> RegistrationReceipt:
    """Register a person for a meeting: a confirmed place, or the waitlist when full.

    Raises :class:`ValidationError` (bad input, registration not open),
    :class:`AlreadyRegistered` (same e-mail already active) or :class:`NotFound`.
    """
    values = validate_registration(data)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    key = email_key(values.email)
    row = {
        "meeting_id": meeting_id,
        "for_meeting": meeting_id,
        "name": values.name,
        "email": values.email,
        "email_normalized": key,
        "organisation": values.organisation,
        "federal_state": values.federal_state,
        "consent_at": now,
        "token_hash": hash_token(token),
        "attendance": Attendance.UNKNOWN.value,
        "created_at": now,
    }
    try:
        postgres = session.get_bind().dialect.name == "postgresql"
        with write_transaction(session, content=not postgres):
            conn = session.connection()
            meeting = conn.execute(_LOCK_FOR_REGISTER, {"meeting_id": meeting_id}).first()
            if meeting is None:
                raise NotFound("Diesen Termin gibt es nicht.")
            reason = registration_refusal(meeting, now)
            if reason:
                raise ValidationError.single(FORM, reason)
            if meeting.salt is None:
                raise RuntimeError("participant_salt missing: run the migrations")
            row["participant_key"] = _pseudonym(meeting.salt, key)
            capped = meeting.capacity is not None
            if capped:
                row["capacity"] = meeting.capacity
            inserted = conn.execute(_insert_registration(conn.dialect.name, capped), row).first()
            if inserted is None:
                raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE)
            registration_id, status, ahead = inserted
    except IntegrityError as exc:
        # Last line of defence (say, a token that already exists): nothing is half-written.
        raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE) from exc
    return RegistrationReceipt(
        registration_id=registration_id,
        meeting_id=meeting_id,
        token=token,
        status=RegistrationStatus(status),
        waitlist_position=ahead + 1 if status == RegistrationStatus.WAITLISTED else None,
        online_link=meeting.online_link if status == RegistrationStatus.CONFIRMED else None,
    )


def _locked(query):
    """``query`` with row locks, reloading rows the session already holds: what another
    transaction committed while we waited for the lock must not be hidden by a stale copy."""
    return query.with_for_update().execution_options(populate_existing=True)


def lock_registration(session: Session, registration_id: int) -> Registration:
    """The registration row, locked and fresh; lock its meeting first (:func:`lock_meeting`)."""
    return session.exec(
        _locked(select(Registration).where(Registration.id == registration_id))
    ).one()


def cancel_locked(
    session: Session, registration: Registration, meeting: Meeting, now: datetime
) -> list[int]:
    """Cancel an active ``registration`` whose meeting and row this transaction has locked;
    a freed confirmed place goes to the first waiting. Returns who moved up."""
    was = RegistrationStatus(registration.status)
    was.check_transition(RegistrationStatus.CANCELLED)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    session.add(registration)
    session.flush()
    return fill_free_places(session, meeting) if was == RegistrationStatus.CONFIRMED else []


def write_attendance(
    session: Session, registration_ids: Sequence[int], value: Attendance, now: datetime
) -> None:
    """Set the attendance of these registrations in one UPDATE (the organizer form and the
    Zoom import). "ja" and "nein" only for meetings that have begun and are not cancelled;
    "unbekannt" resets at any time. Rights are the caller's."""
    if not registration_ids:
        return
    ids = list(registration_ids)
    if value != Attendance.UNKNOWN:
        for meeting in session.exec(
            select(Meeting).where(
                col(Meeting.id).in_(
                    select(Registration.meeting_id).where(col(Registration.id).in_(ids))
                )
            )
        ).all():
            refusal = attendance_refusal(meeting, now)
            if refusal:
                raise ValidationError.single("attendance", refusal)
    session.exec(update(Registration).where(col(Registration.id).in_(ids)).values(attendance=value))


def _by_token(session: Session, token: str, *, lock: bool = False) -> Registration | None:
    if not token or len(token) > 200:
        return None
    query = select(Registration).where(Registration.token_hash == hash_token(token))
    return session.exec(_locked(query) if lock else query).first()


def find_by_token(*, session: Session, token: str) -> RegistrationDetails | None:
    """The registration that owns ``token``, as its owner may see it; else ``None``."""
    registration = _by_token(session, token)
    if registration is None:
        return None
    meeting = session.get(Meeting, registration.meeting_id)
    show_link = registration.status == RegistrationStatus.CONFIRMED and not is_cancelled(meeting)
    return RegistrationDetails(
        registration_id=registration.id,
        meeting_id=registration.meeting_id,
        name=registration.name,
        email=registration.email,
        organisation=registration.organisation,
        federal_state=registration.federal_state,
        status=registration.status,
        waitlist_position=_waitlist_position(session, registration),
        online_link=meeting.online_link if show_link else None,
        created_at=registration.created_at,
    )


def cancel(*, session: Session, token: str, now: datetime) -> CancellationResult:
    """Cancel the registration that owns ``token``; a freed place goes to the first waiting.

    Cancelling twice is harmless. An unknown token raises :class:`NotFound` without
    saying anything about other registrations.
    """
    with write_transaction(session):
        found = _by_token(session, token)
        if found is None:
            raise NotFound(UNKNOWN_TOKEN_MESSAGE)
        meeting = lock_meeting(session, found.meeting_id)
        registration = _by_token(session, token, lock=True)
        was = registration.status
        promoted: list[int] = []
        if was != RegistrationStatus.CANCELLED:
            promoted = cancel_locked(session, registration, meeting, now)
        result = CancellationResult(
            registration_id=registration.id,
            meeting_id=registration.meeting_id,
            was_status=was,
            promoted_registration_ids=tuple(promoted),
        )
    return result
