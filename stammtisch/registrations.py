"""Registrations: confirmation by e-mail, the capacity rule, the waitlist, cancellation.

Rules, all enforced inside one write transaction per use case:

* a registration first is *pending*: it holds no place and shows no link until the person
  confirms it through the link in the mail (``confirm``); unconfirmed ones expire after
  :data:`PENDING_LIFETIME` (or at the meeting's start) and are deleted. An installation
  can switch confirmation off (``STAMMTISCH_CONFIRM_REGISTRATIONS=0``): then a
  registration takes its place at once;
* at most one active (pending, confirmed or waitlisted) registration per e-mail and
  meeting; sending the form again for such an address answers exactly like a new
  registration and mails that person a fresh link, so no address can be tested;
* confirmed <= capacity; everyone else waits in the order they took their place
  (``placed_at``: the confirmation), ties by id;
* a free place never coexists with a waitlist: whenever a place frees up, the first
  person waiting is promoted in the same transaction, and told (:mod:`stammtisch.notify`).

The meeting row is locked first (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so concurrent confirmations for one meeting are decided one after the other.
Every mail is queued in the transaction of the change it reports.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, delete, func, literal_column, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stammtisch import limits, mail, mail_texts, notify, rate_limits
from stammtisch.db import data_version_bump, write_transaction
from stammtisch.errors import FORM, AlreadyRegistered, NotFound, ValidationError
from stammtisch.formatting import format_meeting_time
from stammtisch.meeting_rules import (
    attendance_refusal,
    is_cancelled,
    registration_refusal,
    sql_is_upcoming,
)
from stammtisch.meetings import MeetingView, get_meeting, view_of_meeting
from stammtisch.models import (
    Attendance,
    FederalState,
    Mail,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    SiteSetting,
)
from stammtisch.rate_limits import Action, Requester
from stammtisch.tokens import hash_token, issue_fresh_token, new_token
from stammtisch.validation import FieldChecker, email_key

PENDING_LIFETIME = timedelta(hours=48)

ALREADY_REGISTERED_MESSAGE = (
    "Mit dieser E-Mail-Adresse besteht bereits eine Anmeldung für diesen Termin. Wir haben "
    "Ihnen eben eine Mail mit einem neuen persönlichen Link geschickt; darüber sehen Sie Ihre "
    "Anmeldung und den Zugangslink."
)
UNKNOWN_TOKEN_MESSAGE = (
    "Dieser Link ist ungültig, abgelaufen oder durch einen neueren ersetzt, oder die Anmeldung "  # noqa: S105
    "besteht nicht mehr. Den aktuellen Link finden Sie in der neuesten Mail von uns – oder Sie "
    "lassen sich unten unter „Link verloren?“ einen neuen schicken."
)
EXPIRED_MESSAGE = (
    "Diese Anmeldung wurde nicht rechtzeitig bestätigt und ist verfallen. Bitte melden Sie "
    "sich auf der Startseite neu an."
)


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    email: str
    organisation: str | None = None
    federal_state: str | None = None
    consent: bool = False


@dataclass(frozen=True)
class RegistrationReceipt:
    """What the person who just registered (or confirmed) may see, once.

    After a registration that still needs confirming, ``status`` is "pending" and nothing
    else is said: the page shows the same sentence whether the address was new or known.
    """

    registration_id: int | None
    meeting_id: int
    token: str | None
    status: str
    waitlist_position: int | None
    online_link: str | None  # only for a confirmed place
    email: str | None = None

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING


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
    expires_at: datetime | None = None
    cancelled_by_team: bool = False
    promoted: bool = False  # confirmed after waiting on the waitlist

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING


@dataclass(frozen=True)
class CancellationResult:
    registration_id: int
    meeting_id: int
    was_status: str
    promoted_registration_ids: tuple[int, ...]


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


# Mails that make no sense any more once a registration is cancelled.
UNSENT_AFTER_CANCELLING = (
    "confirm_request",
    "already_registered",
    "registration_confirmed",
    "waitlisted",
    "promoted",
    "reminder",
    "meeting_changed",
)

# The waitlist's order: who took their place first (the turn given at confirmation).
WAITLIST_ORDER = (Registration.place_order, Registration.id)


def waitlist_position(session: Session, registration: Registration) -> int | None:
    """1 for the first person waiting; ``None`` unless ``registration`` is waiting."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.meeting_id == registration.meeting_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            col(Registration.place_order) < registration.place_order,
        )
    ).one()
    return ahead + 1


def fill_free_places(session: Session, meeting: Meeting, now: datetime) -> list[int]:
    """Promote waiting people, first come first served, while places are free; each
    promoted person is mailed the link (whatever freed the place).

    Call inside a write transaction that holds the meeting's lock.
    """
    query = (
        select(Registration)
        .where(
            Registration.meeting_id == meeting.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(*WAITLIST_ORDER)
    )
    if meeting.capacity is not None:
        free = meeting.capacity - count_with_status(
            session, meeting.id, RegistrationStatus.CONFIRMED
        )
        if free <= 0:
            return []
        query = query.limit(free)
    promoted = list(session.exec(query).all())
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        session.add(registration)
    session.flush()
    notify.promoted(session, promoted, meeting, now)
    return [r.id for r in promoted]


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


def _next_place_order(meeting_id):
    """SQL: the next turn in a meeting's queue (evaluate under the meeting's lock)."""
    return (
        select(func.coalesce(func.max(_REG.c.place_order), 0) + 1)
        .where(_REG.c.meeting_id == meeting_id)
        .scalar_subquery()
    )


# Everybody already waiting for the same meeting, counted as the row goes in: a
# correlated subquery in RETURNING (written out, since SQLAlchemy renders RETURNING
# columns unqualified); ``ahead.id <`` leaves the new row out on every database.
_WAITING_AHEAD = literal_column(
    "(SELECT count(*) FROM registration AS ahead"
    " WHERE ahead.meeting_id = registration.meeting_id"
    " AND ahead.status = 'waitlisted'"
    " AND ahead.place_order < registration.place_order)"
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
        .values(
            status=_status_on_arrival(capped),
            place_order=_next_place_order(bindparam("for_meeting")),
        )
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
    *,
    session: Session,
    meeting_id: int,
    data: RegistrationInput,
    now: datetime,
    confirmation: bool = True,
    requester: Requester | None = None,
) -> RegistrationReceipt:
    """Register a person for a meeting.

    With ``confirmation`` (the default) the registration is pending and a mail with the
    confirmation link is queued; an address that is already registered gets a mail with a
    fresh link instead, and the receipt looks the same either way. Without it, the person
    takes a place (or the waitlist) at once and :class:`AlreadyRegistered` tells a known
    address apart (after mailing it a fresh link).

    A visitor's send (``requester``) counts against the limits of
    :mod:`stammtisch.rate_limits`, per network and per address.

    Raises :class:`ValidationError` (bad input, registration not open, too many sends) or
    :class:`NotFound`.
    """
    values = validate_registration(data)
    if confirmation:
        return _register_pending(session, meeting_id, values, now, requester)
    view = get_meeting(session=session, meeting_id=meeting_id)
    session.rollback()  # the read above must not hold the session for the write below
    return _register_placed(session, view, values, now, requester)


def _refuse_if_closed(meeting, now: datetime) -> None:
    reason = registration_refusal(meeting, now)
    if reason:
        raise ValidationError.single(FORM, reason)


def _active_with_address(session: Session, meeting_id: int, key: str) -> Registration | None:
    return session.exec(
        select(Registration).where(
            Registration.meeting_id == meeting_id,
            Registration.email_normalized == key,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    ).first()


# What the registration form needs to know about a meeting, in one read (no lock: a
# pending registration takes no place; confirmation checks the meeting again).
_FACTS_FOR_PENDING = select(
    _MEETING.c.status,
    _MEETING.c.registration_state,
    _MEETING.c.starts_at,
    _MEETING.c.ends_at,
    _MEETING.c.theme,
    select(_SETTING.c.value)
    .where(_SETTING.c.key == "participant_salt")
    .scalar_subquery()
    .label("salt"),
).where(_MEETING.c.id == bindparam("meeting_id"))
_MAIL_TABLE = Mail.__table__


@functools.cache
def _insert_pending(dialect: str):
    """INSERT of a pending registration; an active one of the same address (the partial
    unique index) makes it insert nothing, quietly."""
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert_(_REG)
        .values(status=RegistrationStatus.PENDING.value)
        .on_conflict_do_nothing(
            index_elements=list(_ACTIVE_EMAIL.columns),
            index_where=_ACTIVE_EMAIL.dialect_options[dialect]["where"],
        )
        .returning(_REG.c.id)
    )
    if dialect == "postgresql":
        statement = statement.add_cte(data_version_bump().cte("data_version_bump"))
    return statement


_PENDING_COLUMNS = (
    "meeting_id",
    "name",
    "email",
    "email_normalized",
    "organisation",
    "federal_state",
    "consent_at",
    "token_hash",
    "attendance",
    "participant_key",
    "created_at",
    "expires_at",
)
# The columns mail.mail_row fills (the sender's own columns start out empty).
_MAIL_COLUMNS = tuple(
    c.name
    for c in _MAIL_TABLE.columns
    if c.name
    not in ("id", "registration_id", "lease_until", "claim_token", "last_error", "sent_at")
)


@functools.cache
def _insert_pending_with_mail_pg():
    """PostgreSQL: the registration, its mail and the data version in one statement (one
    round trip): the mail is inserted only if the registration was (data-modifying CTEs)."""
    registration = (
        postgresql.insert(_REG)
        .values(
            status=RegistrationStatus.PENDING.value,
            **{c: bindparam(c, type_=_REG.c[c].type) for c in _PENDING_COLUMNS},
        )
        .on_conflict_do_nothing(
            index_elements=list(_ACTIVE_EMAIL.columns),
            index_where=_ACTIVE_EMAIL.dialect_options["postgresql"]["where"],
        )
        .returning(_REG.c.id)
        .cte("new_registration")
    )
    mail_values = select(
        *(bindparam(f"mail_{c}", type_=_MAIL_TABLE.c[c].type) for c in _MAIL_COLUMNS),
        registration.c.id,
    )
    return (
        postgresql.insert(_MAIL_TABLE)
        .from_select([*_MAIL_COLUMNS, "registration_id"], mail_values)
        .returning(_MAIL_TABLE.c.registration_id)
        .add_cte(registration)
        .add_cte(data_version_bump().cte("data_version_bump"))
    )


def _register_pending(
    session: Session,
    meeting_id: int,
    values: RegistrationValues,
    now: datetime,
    requester: Requester | None,
) -> RegistrationReceipt:
    """The form: a pending registration and its confirmation mail, in one transaction.

    The hot path when a popular meeting opens: the mail is rendered before the
    transaction, which then holds two INSERTs (and, on SQLite, the version bump).
    """
    key = email_key(values.email)
    token = new_token()
    facts = session.connection().execute(_FACTS_FOR_PENDING, {"meeting_id": meeting_id}).first()
    session.rollback()
    if facts is None:
        raise NotFound("Diesen Termin gibt es nicht.")
    _refuse_if_closed(facts, now)
    if facts.salt is None:
        raise RuntimeError("participant_salt missing: run the migrations")
    expires_at = min(now + PENDING_LIFETIME, facts.starts_at)
    mail_row = notify.confirm_request_row(
        meeting_id=meeting_id,
        theme=facts.theme,
        time_label=format_meeting_time(facts.starts_at, facts.ends_at),
        email=values.email,
        name=values.name,
        token=token,
        expires_at=expires_at,
        now=now,
    )
    row = {
        "meeting_id": meeting_id,
        "name": values.name,
        "email": values.email,
        "email_normalized": key,
        "organisation": values.organisation,
        "federal_state": values.federal_state,
        "consent_at": now,
        "token_hash": hash_token(token),
        "attendance": Attendance.UNKNOWN.value,
        "participant_key": _pseudonym(facts.salt, key),
        "created_at": now,
        "expires_at": expires_at,
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        with write_transaction(session, content=not postgres):
            conn = session.connection()
            rate_limits.enforce(session, Action.REGISTRATION, requester, email_key=key)
            if postgres:
                params = {**row, **{f"mail_{c}": mail_row[c] for c in _MAIL_COLUMNS}}
                inserted = conn.execute(_insert_pending_with_mail_pg(), params).first()
            else:
                inserted = conn.execute(_insert_pending("sqlite"), row).first()
                if inserted is not None:
                    conn.execute(_MAIL_TABLE.insert(), {**mail_row, "registration_id": inserted.id})
            if inserted is None:
                _known_address(session, meeting_id, key, row, mail_row, now)
    except IntegrityError:
        # The same address sent twice at the same moment: the other send mails the link.
        session.rollback()
    # The same answer whether the address was new, pending or registered.
    return RegistrationReceipt(
        registration_id=None,
        meeting_id=meeting_id,
        token=None,
        status=RegistrationStatus.PENDING,
        waitlist_position=None,
        online_link=None,
        email=values.email,
    )


def _known_address(
    session: Session, meeting_id: int, key: str, row: dict, mail_row: dict, now: datetime
) -> None:
    """The address has an active registration: an expired pending one makes room for the
    new one; otherwise its owner is mailed their link (inside the form's transaction)."""
    if purge_expired(session, now, meeting_id=meeting_id, key=key):
        conn = session.connection()
        inserted = conn.execute(_insert_pending(conn.dialect.name), row).first()
        conn.execute(_MAIL_TABLE.insert(), {**mail_row, "registration_id": inserted.id})
        return
    existing = _active_with_address(session, meeting_id, key)
    if existing is not None:
        meeting = session.get(Meeting, meeting_id)
        notify.already_registered(session, existing, view_of_meeting(session, meeting), now)


def _register_placed(
    session: Session,
    view: MeetingView,
    values: RegistrationValues,
    now: datetime,
    requester: Requester | None,
) -> RegistrationReceipt:
    """Without confirmation: the status is decided inside the INSERT (see above)."""
    token = new_token()
    key = email_key(values.email)
    meeting_id = view.id
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
        "placed_at": now,
    }
    try:
        postgres = session.get_bind().dialect.name == "postgresql"
        with write_transaction(session, content=not postgres):
            conn = session.connection()
            meeting = conn.execute(_LOCK_FOR_REGISTER, {"meeting_id": meeting_id}).first()
            if meeting is None:
                raise NotFound("Diesen Termin gibt es nicht.")
            _refuse_if_closed(meeting, now)
            rate_limits.enforce(session, Action.REGISTRATION, requester, email_key=key)
            if meeting.salt is None:
                raise RuntimeError("participant_salt missing: run the migrations")
            row["participant_key"] = _pseudonym(meeting.salt, key)
            capped = meeting.capacity is not None
            if capped:
                row["capacity"] = meeting.capacity
            inserted = conn.execute(_insert_registration(conn.dialect.name, capped), row).first()
            if inserted is None:
                existing = _active_with_address(session, meeting_id, key)
                if existing is None or not notify.already_registered(session, existing, view, now):
                    raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE)
                mailed = True
            else:
                mailed = False
                registration_id, status, ahead = inserted
                registration = session.get(Registration, registration_id)
                notify.placed(
                    session,
                    registration,
                    view,
                    token=token,
                    online_link=meeting.online_link,
                    waitlist_position=ahead + 1,
                    now=now,
                )
    except IntegrityError as exc:
        # Last line of defence (say, a token that already exists): nothing is half-written.
        raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE) from exc
    if mailed:
        # Committed (the fresh link must go out); the person still learns it exists.
        raise AlreadyRegistered(ALREADY_REGISTERED_MESSAGE)
    return RegistrationReceipt(
        registration_id=registration_id,
        meeting_id=meeting_id,
        token=token,
        status=RegistrationStatus(status),
        waitlist_position=ahead + 1 if status == RegistrationStatus.WAITLISTED else None,
        online_link=meeting.online_link if status == RegistrationStatus.CONFIRMED else None,
        email=values.email,
    )


def confirm(*, session: Session, token: str, now: datetime) -> RegistrationReceipt:
    """Confirm a pending registration (the button on the page the mail's link opens).

    The capacity rule decides: a free place while nobody waits, else the waitlist, in
    the order of confirmation. A mail with the result (and the Zoom link for a place)
    is queued. Confirming again changes nothing and answers with the current state.
    Raises :class:`NotFound` for an unknown token, :class:`ValidationError` when the
    registration expired or the meeting no longer takes registrations.
    """
    with write_transaction(session):
        found = _by_token(session, token)
        if found is None:
            raise NotFound(UNKNOWN_TOKEN_MESSAGE)
        meeting = lock_meeting(session, found.meeting_id)
        registration = _by_token(session, token, lock=True)
        if registration is None:  # cancelled or re-keyed meanwhile
            raise NotFound(UNKNOWN_TOKEN_MESSAGE)
        if registration.status == RegistrationStatus.PENDING:
            if registration.expires_at is not None and registration.expires_at <= now:
                raise ValidationError.single(FORM, EXPIRED_MESSAGE)
            _refuse_if_closed(meeting, now)
            confirmed = count_with_status(session, meeting.id, RegistrationStatus.CONFIRMED)
            waiting = count_with_status(session, meeting.id, RegistrationStatus.WAITLISTED)
            free = waiting == 0 and (meeting.capacity is None or confirmed < meeting.capacity)
            target = RegistrationStatus.CONFIRMED if free else RegistrationStatus.WAITLISTED
            RegistrationStatus.PENDING.check_transition(target)
            registration.status = target
            registration.place_order = session.exec(select(_next_place_order(meeting.id))).one()
            registration.placed_at = now
            registration.expires_at = None
            session.add(registration)
            session.flush()
            # A confirmation request still waiting (no mail server yet) would only confuse.
            mail.expire_unsent(session, registration.id, ("confirm_request", "already_registered"))
            notify.placed(
                session,
                registration,
                view_of_meeting(session, meeting),
                token=token,
                online_link=meeting.online_link,
                waitlist_position=waitlist_position(session, registration),
                now=now,
            )
        status = RegistrationStatus(registration.status)
        receipt = RegistrationReceipt(
            registration_id=registration.id,
            meeting_id=meeting.id,
            token=token,
            status=status,
            waitlist_position=waitlist_position(session, registration),
            online_link=meeting.online_link
            if status == RegistrationStatus.CONFIRMED and not is_cancelled(meeting)
            else None,
            email=registration.email,
        )
    return receipt


def purge_expired(
    session: Session, now: datetime, *, meeting_id: int | None = None, key: str | None = None
) -> int:
    """Delete pending registrations that were not confirmed in time (inside the caller's
    transaction); optionally only one address's for one meeting. Returns how many."""
    conditions = [
        Registration.status == RegistrationStatus.PENDING,
        col(Registration.expires_at) <= now,
    ]
    if meeting_id is not None:
        conditions.append(Registration.meeting_id == meeting_id)
    if key is not None:
        conditions.append(Registration.email_normalized == key)
    result = session.exec(delete(Registration).where(*conditions))
    return int(result.rowcount or 0)


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
    session: Session,
    registration: Registration,
    meeting: Meeting,
    now: datetime,
    *,
    tell: str | None,
) -> list[int]:
    """Cancel an active ``registration`` whose meeting and row this transaction has locked;
    a freed confirmed place goes to the first waiting. ``tell`` ("person" or "team": who
    cancelled) mails the person a confirmation; ``None`` tells nobody (erasure).
    Returns who moved up."""
    was = RegistrationStatus(registration.status)
    was.check_transition(RegistrationStatus.CANCELLED)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    session.add(registration)
    session.flush()
    mail.expire_unsent(session, registration.id, UNSENT_AFTER_CANCELLING)
    if tell is not None and was != RegistrationStatus.PENDING:
        notify.cancellation(session, registration, meeting, by_team=tell == "team", now=now)
    return fill_free_places(session, meeting, now) if was == RegistrationStatus.CONFIRMED else []


def attended_condition():
    """SQL: a registration that counts as attended – a confirmed place, attendance "ja".

    Attendance counts among confirmed places only; people who came while still waiting
    (or without any registration) are the meeting's ``unregistered_attendees``. Every
    view's figures use this and :func:`absent_condition`.
    """
    return and_(
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.attendance == Attendance.YES,
    )


def absent_condition():
    """SQL: a confirmed place whose person did not come (attendance "nein")."""
    return and_(
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.attendance == Attendance.NO,
    )


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
    digest = hash_token(token)
    query = select(Registration).where(
        or_(Registration.token_hash == digest, Registration.previous_token_hash == digest)
    )
    return session.exec(_locked(query) if lock else query).first()


def find_by_token(*, session: Session, token: str, now: datetime) -> RegistrationDetails | None:
    """The registration that owns ``token``, as its owner may see it; else ``None``.

    A pending registration past its confirmation deadline is still found (the page says
    it expired) until the sender's housekeeping deletes it."""
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
        waitlist_position=waitlist_position(session, registration),
        online_link=meeting.online_link if show_link else None,
        created_at=registration.created_at,
        expires_at=registration.expires_at,
        cancelled_by_team=_cancelled_by_team(session, registration),
        promoted=registration.status == RegistrationStatus.CONFIRMED
        and _was_promoted(session, registration),
    )


def _was_promoted(session: Session, registration: Registration) -> bool:
    """Whether the person moved up from the waitlist (they were told so by mail)."""
    return (
        session.exec(
            select(func.count())
            .select_from(Mail)
            .where(Mail.registration_id == registration.id, Mail.kind == "promoted")
        ).one()
        > 0
    )


def _cancelled_by_team(session: Session, registration: Registration) -> bool:
    if registration.status != RegistrationStatus.CANCELLED:
        return False
    from stammtisch.models import AuditEntry

    return (
        session.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "registration.cancel",
                AuditEntry.object_id == registration.id,
            )
        ).one()
        > 0
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
        if registration is None:  # re-keyed ("Link verloren?") or erased meanwhile
            raise NotFound(UNKNOWN_TOKEN_MESSAGE)
        was = registration.status
        promoted: list[int] = []
        if was != RegistrationStatus.CANCELLED:
            promoted = cancel_locked(session, registration, meeting, now, tell="person")
        result = CancellationResult(
            registration_id=registration.id,
            meeting_id=registration.meeting_id,
            was_status=was,
            promoted_registration_ids=tuple(promoted),
        )
    return result


LINKS_SENT_MESSAGE = (
    "Wenn mit dieser Adresse Anmeldungen für kommende Treffen bestehen, schicken wir Ihnen "
    "jetzt für jede einen neuen persönlichen Link. Frühere Links gelten dann nicht mehr. "
    "Ist nichts angekommen? Bitte schauen Sie auch im Spam-Ordner nach."
)


def send_fresh_links(
    *, session: Session, email: str, now: datetime, requester: Requester | None = None
) -> str:
    """ "Link verloren?": every registration of the address for a meeting still ahead
    (pending, confirmed or waiting) gets a fresh personal link by mail; every earlier link
    stops working. Returns :data:`LINKS_SENT_MESSAGE` whether or not the address is known
    (the page must not tell which addresses are registered). At most a few such mails per
    address and network (:mod:`stammtisch.rate_limits`)."""
    check = FieldChecker()
    address = check.email("email", email)
    check.raise_if_any()
    key = email_key(address)
    with write_transaction(session, content=False):
        rate_limits.enforce(session, Action.LINK_REQUEST, requester, email_key=key)
        rows = session.exec(
            select(Registration, Meeting)
            .join(Meeting, Meeting.id == Registration.meeting_id)
            .where(
                Registration.email_normalized == key,
                col(Registration.status).in_(
                    [
                        RegistrationStatus.PENDING,
                        RegistrationStatus.CONFIRMED,
                        RegistrationStatus.WAITLISTED,
                    ]
                ),
                sql_is_upcoming(now),
                Meeting.status == MeetingStatus.PLANNED,
            )
            .order_by(Meeting.starts_at)
            .with_for_update(of=Registration)
        ).all()
        for registration, meeting in rows:
            if registration.status == RegistrationStatus.PENDING and (
                registration.expires_at is not None and registration.expires_at <= now
            ):
                continue  # expired: the housekeeping deletes it; registering again works
            token = issue_fresh_token(registration, keep_previous=False)
            session.add(registration)
            mail.queue(
                session,
                kind="link_again",
                to_address=registration.email,
                to_name=registration.name,
                content=mail_texts.link_again(view_of_meeting(session, meeting), registration.name),
                now=now,
                secret=token,
                registration_id=registration.id,
                meeting_id=meeting.id,
                expires_at=registration.expires_at
                if registration.status == RegistrationStatus.PENDING
                else None,
            )
    return LINKS_SENT_MESSAGE
