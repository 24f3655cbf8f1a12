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

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stammtisch.db import write_transaction
from stammtisch.errors import FORM, AlreadyRegistered, NotFound, ValidationError
from stammtisch.models import (
    Attendance,
    FederalState,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationState,
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


def validate_registration(data: RegistrationInput) -> dict:
    """Clean the form input or raise :class:`ValidationError` with German messages."""
    check = FieldChecker()
    name = check.text("name", data.name, label="Ihren Namen", min_length=2, max_length=120)
    email = check.email("email", data.email)
    organisation = check.text(
        "organisation",
        data.organisation,
        label="eine Organisation",
        required=False,
        max_length=200,
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
    return {"name": name, "email": email, "organisation": organisation, "federal_state": state}


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


def _registration_closed_reason(meeting, now: datetime) -> str | None:
    """Why ``meeting`` (a :class:`Meeting` or a row with its columns) takes no one now."""
    if meeting.status == MeetingStatus.CANCELLED:
        return "Dieser Termin wurde abgesagt."
    if meeting.status == MeetingStatus.HELD or meeting.ends_at <= now:
        return "Dieser Termin liegt in der Vergangenheit."
    if meeting.registration_state == RegistrationState.NOT_OPEN:
        return "Die Anmeldung für diesen Termin ist noch nicht geöffnet."
    if meeting.registration_state == RegistrationState.CLOSED:
        return "Die Anmeldung für diesen Termin ist geschlossen."
    return None


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
# them under the meeting's lock, so they skip per-call statement building and the ORM.
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
    )
    .where(_MEETING.c.id == bindparam("meeting_id"))
    .with_for_update()
)
# After the lock (a fresh snapshot on PostgreSQL): places taken, people waiting, whether
# this address is already active (the partial unique index answers), and the salt.
_PLACES_FOR_REGISTER = select(
    func.count().filter(_REG.c.status == RegistrationStatus.CONFIRMED.value),
    func.count().filter(_REG.c.status == RegistrationStatus.WAITLISTED.value),
    exists().where(
        _REG.c.meeting_id == bindparam("meeting_id"),
        _REG.c.email_normalized == bindparam("key"),
        _REG.c.status != RegistrationStatus.CANCELLED.value,
    ),
    select(_SETTING.c.value).where(_SETTING.c.key == "participant_salt").scalar_subquery(),
).where(_REG.c.meeting_id == bindparam("meeting_id"))
_INSERT_REGISTRATION = insert(_REG).returning(_REG.c.id)


def register(
    *, session: Session, meeting_id: int, data: RegistrationInput, now: datetime
) -> RegistrationReceipt:
    """Register a person for a meeting: a confirmed place, or the waitlist when full.

    Raises :class:`ValidationError` (bad input, registration not open),
    :class:`AlreadyRegistered` (same e-mail already active) or :class:`NotFound`.
    """
    values = validate_registration(data)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    key = email_key(values["email"])
    row = {
        "meeting_id": meeting_id,
        "name": values["name"],
        "email": values["email"],
        "email_normalized": key,
        "organisation": values["organisation"],
        "federal_state": values["federal_state"],
        "consent_at": now,
        "token_hash": hash_token(token),
        "attendance": Attendance.UNKNOWN.value,
        "created_at": now,
    }
    try:
        with write_transaction(session):
            conn = session.connection()
            meeting = conn.execute(_LOCK_FOR_REGISTER, {"meeting_id": meeting_id}).first()
            if meeting is None:
                raise NotFound("Diesen Termin gibt es nicht.")
            reason = _registration_closed_reason(meeting, now)
            if reason:
                raise ValidationError.single(FORM, reason)
            confirmed, waiting, exists_, salt = conn.execute(
                _PLACES_FOR_REGISTER, {"meeting_id": meeting_id, "key": key}
            ).one()
            if exists_:
                raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE)
            if salt is None:
                raise RuntimeError("participant_salt missing: run the migrations")
            has_place = meeting.capacity is None or confirmed < meeting.capacity
            status = (
                RegistrationStatus.CONFIRMED
                if has_place and waiting == 0
                else RegistrationStatus.WAITLISTED
            )
            registration_id = conn.execute(
                _INSERT_REGISTRATION,
                {**row, "status": status.value, "participant_key": _pseudonym(salt, key)},
            ).scalar_one()
    except IntegrityError as exc:
        # The partial unique index is the last line of defence for the duplicate rule.
        raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE) from exc
    return RegistrationReceipt(
        registration_id=registration_id,
        meeting_id=meeting_id,
        token=token,
        status=status,
        # Newest on the list: everybody waiting so far is ahead.
        waitlist_position=waiting + 1 if status == RegistrationStatus.WAITLISTED else None,
        online_link=meeting.online_link if status == RegistrationStatus.CONFIRMED else None,
    )


def _by_token(session: Session, token: str, *, lock: bool = False) -> Registration | None:
    if not token or len(token) > 200:
        return None
    query = select(Registration).where(Registration.token_hash == hash_token(token))
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def find_by_token(*, session: Session, token: str) -> RegistrationDetails | None:
    """The registration that owns ``token``, as its owner may see it; else ``None``."""
    registration = _by_token(session, token)
    if registration is None:
        return None
    meeting = session.get(Meeting, registration.meeting_id)
    show_link = (
        registration.status == RegistrationStatus.CONFIRMED
        and meeting.status != MeetingStatus.CANCELLED
    )
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
            registration.status = RegistrationStatus.CANCELLED
            registration.cancelled_at = now
            session.add(registration)
            session.flush()
            if was == RegistrationStatus.CONFIRMED:
                promoted = fill_free_places(session, meeting)
        result = CancellationResult(
            registration_id=registration.id,
            meeting_id=registration.meeting_id,
            was_status=was,
            promoted_registration_ids=tuple(promoted),
        )
    return result


def status_counts(*, session: Session, meeting_id: int) -> dict[str, int]:
    """Registrations of a meeting per status (aggregated in SQL)."""
    rows = session.exec(
        select(Registration.status, func.count())
        .where(Registration.meeting_id == meeting_id)
        .group_by(Registration.status)
    ).all()
    counts = {s.value: 0 for s in RegistrationStatus}
    counts.update({status: n for status, n in rows})
    return counts
