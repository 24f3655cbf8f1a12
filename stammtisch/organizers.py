"""Organizer accounts, login with throttling, and the permission check.

Passwords are hashed with argon2id (``argon2-cffi``). Failed logins are counted in the
database per login name and client address (so the throttle holds across sessions and
server processes, and equally for names that do not exist, which reveals nothing); the
rules are in :mod:`stammtisch.login_throttle`.

Every organizer service takes an ``actor`` (:class:`OrganizerIdentity`) and calls
:func:`require_organizer`, which checks against the database that the account still
exists and is active; the pages' login gate is not the only line of defence.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from stammtisch import limits, login_throttle
from stammtisch.audit import record
from stammtisch.db import casefold, view_of, write_transaction
from stammtisch.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from stammtisch.identity import OrganizerIdentity
from stammtisch.login_throttle import LoginThrottled  # noqa: F401  (raised by authenticate)
from stammtisch.models import Organizer, OrganizerSession
from stammtisch.validation import FieldChecker, email_key, normalise_text

MIN_PASSWORD_LENGTH = 12
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown name like a real one.
_DUMMY_HASH = _hasher.hash("stammtisch-dummy-password")


class LoginFailed(DomainError):
    """Wrong name or password (never says which)."""


@dataclass(frozen=True)
class OrganizerView:
    id: int
    name: str
    display_name: str
    email: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None


def login_key(name: str) -> str:
    return normalise_text(name).casefold()


def _validate_name(check: FieldChecker, name: str) -> str | None:
    clean = check.text("name", name, label="einen Anmeldenamen", limit=limits.LOGIN_NAME)
    if clean and not all(ch.isalnum() or ch in "._-@" for ch in clean):
        check.fail("name", "Der Anmeldename darf nur Buchstaben, Ziffern und . _ - @ enthalten.")
        return None
    # Case folding can lengthen a name ("ß" → "ss"); its key shares the name's column.
    if clean and len(login_key(clean)) > limits.LOGIN_NAME.max:
        check.fail(
            "name", f"Der Anmeldename ist zu lang (höchstens {limits.LOGIN_NAME.max} Zeichen)."
        )
        return None
    return clean


def _validate_password(check: FieldChecker, password: str) -> None:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        check.fail(
            "password", f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein."
        )
    elif len(password) > 1024:
        check.fail("password", "Das Passwort ist zu lang (höchstens 1024 Zeichen).")


def add_organizer(
    *,
    session: Session,
    name: str,
    password: str,
    now: datetime,
    display_name: str | None = None,
    email: str | None = None,
) -> OrganizerView:
    """Create an organizer account (used by the CLI; no actor needed there)."""
    check = FieldChecker()
    clean_name = _validate_name(check, name)
    clean_display = check.text(
        "display_name", display_name, label="einen Anzeigenamen", limit=limits.DISPLAY_NAME
    )
    clean_email = check.email("email", email, required=False)
    _validate_password(check, password)
    check.raise_if_any()
    try:
        with write_transaction(session):
            if session.exec(
                select(Organizer).where(Organizer.login_key == login_key(clean_name))
            ).first():
                raise ValidationError.single("name", "Diesen Anmeldenamen gibt es schon.")
            row = Organizer(
                name=clean_name,
                login_key=login_key(clean_name),
                display_name=clean_display or clean_name,
                email=clean_email,
                password_hash=_hasher.hash(password),
                active=True,
                created_at=now,
            )
            session.add(row)
            session.flush()
            record(
                session,
                actor=None,
                action="organizer.add",
                obj=("organizer", row.id),
                details={"name": clean_name},
                now=now,
            )
            view = _view(row)
    except IntegrityError as exc:
        raise ValidationError.single("name", "Diesen Anmeldenamen gibt es schon.") from exc
    return view


def _account_named(session: Session, name: str) -> Organizer:
    """The account a CLI command names (case-insensitive), or :class:`NotFound`."""
    row = session.exec(select(Organizer).where(Organizer.login_key == login_key(name))).first()
    if row is None:
        raise NotFound(f"Kein Organisator-Konto mit dem Namen „{name}“.")
    return row


def _view(row: Organizer) -> OrganizerView:
    return view_of(OrganizerView, row)


def list_organizers(*, session: Session) -> list[OrganizerView]:
    """All organizer accounts, by name."""
    return [_view(r) for r in session.exec(select(Organizer).order_by(Organizer.login_key)).all()]


def remove_organizer(*, session: Session, name: str, now: datetime) -> None:
    """Delete an account; its past audit entries keep the name they were written with."""
    with write_transaction(session):
        row = _account_named(session, name)
        record(
            session,
            actor=None,
            action="organizer.remove",
            obj=("organizer", row.id),
            details={"name": row.name},
            now=now,
        )
        _end_sessions(session, row.id)
        session.delete(row)


def set_active(*, session: Session, name: str, active: bool, now: datetime) -> OrganizerView:
    """Deactivate or reactivate an account (used by the CLI; no actor needed there).

    A deactivated account keeps its name, password and audit entries but can neither log
    in (password or single sign-on) nor act: :func:`require_organizer` refuses it, and the
    data-version bump of this write closes the team pages of its open sessions at their
    next run. Audited as "organizer.deactivate" or "organizer.activate"; asking for the
    state an account already has is refused, so a script notices a mistyped intention.
    """
    with write_transaction(session):
        row = _account_named(session, name)
        if row.active == active:
            state = "aktiv" if active else "deaktiviert"
            raise InvalidTransition(f"Das Organisator-Konto „{row.name}“ ist bereits {state}.")
        row.active = active
        session.add(row)
        if not active:
            _end_sessions(session, row.id)
        record(
            session,
            actor=None,
            action="organizer.activate" if active else "organizer.deactivate",
            obj=("organizer", row.id),
            details={"name": row.name},
            now=now,
        )
        view = _view(row)
    return view


def authenticate(
    *,
    session: Session,
    name: str,
    password: str,
    now: datetime,
    client: str | None = None,
    attempt_at: datetime | None = None,
) -> OrganizerIdentity:
    """Check name and password under the throttle of :mod:`stammtisch.login_throttle`.

    ``client`` is the client's network address (None when local), ``attempt_at`` the real
    time of the attempt, on which the waits run (default ``now``). Raises
    :class:`LoginThrottled` while a wait runs (the password is then not even checked) and
    :class:`LoginFailed` for a wrong name or password.
    """
    key = login_key(name or "")[: limits.THROTTLED_LOGIN_KEY_MAX]
    if not key or not password:
        raise LoginFailed("Bitte geben Sie Anmeldename und Passwort ein.")
    at = attempt_at or now
    client_key = login_throttle.client_key(client)
    with write_transaction(session, content=False):
        login_throttle.check(session, key, client_key, at)
        organizer = session.exec(
            select(Organizer).where(Organizer.login_key == key, Organizer.active == True)  # noqa: E712
        ).first()
        ok = _verify(organizer.password_hash if organizer else _DUMMY_HASH, password)
        if ok and organizer is not None:
            if _hasher.check_needs_rehash(organizer.password_hash):
                organizer.password_hash = _hasher.hash(password)
            login_throttle.record_success(session, key, client_key)
            identity = _logged_in(session, organizer, "login.success", now)
        else:
            login_throttle.record_failure(session, key, client_key, at)
            identity = None
    if identity is None:
        raise LoginFailed("Anmeldename oder Passwort ist falsch.")
    return identity


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def identity_for_email(*, session: Session, email: str, now: datetime) -> OrganizerIdentity | None:
    """The organizer whose account carries this e-mail (for single sign-on via ``st.login``)."""
    if not email:
        return None
    with write_transaction(session, content=False):
        row = session.exec(
            select(Organizer).where(
                casefold(session, Organizer.email) == email_key(email),
                Organizer.active == True,  # noqa: E712
            )
        ).first()
        if row is None:
            return None
        identity = _logged_in(session, row, "login.sso", now)
    return identity


def _logged_in(session: Session, row: Organizer, action: str, now: datetime) -> OrganizerIdentity:
    """Note a successful login (password or single sign-on) and issue the identity."""
    row.last_login_at = now
    session.add(row)
    record(
        session,
        actor=None,
        action=action,
        obj=("organizer", row.id),
        details={"name": row.name},
        now=now,
    )
    return OrganizerIdentity(id=row.id, name=row.name, display_name=row.display_name)


def require_organizer(session: Session, actor: OrganizerIdentity | None) -> Organizer:
    """The acting organizer's row, or :class:`PermissionDenied`. Call in every organizer service."""
    if actor is None or not isinstance(actor, OrganizerIdentity):
        raise PermissionDenied("Dafür müssen Sie als Organisator:in angemeldet sein.")
    row = session.get(Organizer, actor.id)
    if row is None or not row.active or not hmac.compare_digest(row.name, actor.name):
        raise PermissionDenied("Dafür müssen Sie als Organisator:in angemeldet sein.")
    return row


def session_expired(last_activity: datetime | None, now: datetime) -> bool:
    """True when an organizer session was idle longer than :data:`SESSION_IDLE_TIMEOUT`."""
    return last_activity is None or now - last_activity > SESSION_IDLE_TIMEOUT


def unlock(*, session: Session, name: str, now: datetime) -> int:
    """Forget the failed logins for an account's name from every address (the CLI's
    ``organizer unlock``); returns how many throttle rows went."""
    with write_transaction(session):
        row = _account_named(session, name)
        removed = login_throttle.unlock(session, row.login_key)
        record(
            session,
            actor=None,
            action="organizer.unlock",
            obj=("organizer", row.id),
            details={"name": row.name, "rows": removed},
            now=now,
        )
    return removed


def change_password(
    *,
    session: Session,
    actor: OrganizerIdentity,
    old_password: str,
    new_password: str,
    new_password_repeat: str,
    now: datetime,
    client: str | None = None,
    attempt_at: datetime | None = None,
) -> None:
    """An organizer changes their own password ("Mein Konto"): the old one is checked
    under the login throttle, the new one follows the same rules as at creation. Every
    session of the account ends (the page starts a fresh one for the browser at hand)."""
    at = attempt_at or now
    client_key = login_throttle.client_key(client)
    check = FieldChecker()
    _validate_password(check, new_password)
    if new_password != new_password_repeat:
        check.fail("new_password_repeat", "Die beiden neuen Passwörter stimmen nicht überein.")
    elif new_password and new_password == old_password:
        check.fail("password", "Das neue Passwort muss sich vom bisherigen unterscheiden.")
    wrong_old = False
    with write_transaction(session):
        row = require_organizer(session, actor)
        login_throttle.check(session, row.login_key, client_key, at)
        if not _verify(row.password_hash, old_password or ""):
            login_throttle.record_failure(session, row.login_key, client_key, at)
            wrong_old = True
        else:
            check.raise_if_any()  # rolls back: nothing changes
            _replace_password(session, row, new_password, actor=actor, now=now)
    if wrong_old:
        check.fail("old_password", "Das bisherige Passwort stimmt nicht.")
        check.raise_if_any()


def set_password(*, session: Session, name: str, password: str, now: datetime) -> None:
    """Give an account a new password (the CLI's ``organizer password``); every session
    of the account ends at once."""
    check = FieldChecker()
    _validate_password(check, password)
    check.raise_if_any()
    with write_transaction(session):
        row = _account_named(session, name)
        _replace_password(session, row, password, actor=None, now=now)


def _replace_password(
    session: Session,
    row: Organizer,
    password: str,
    *,
    actor: OrganizerIdentity | None,
    now: datetime,
) -> None:
    """The one way a password changes (account page and CLI): the new hash, every session
    of the account ended at once, an audit record. Inside the caller's transaction."""
    row.password_hash = _hasher.hash(password)
    session.add(row)
    _end_sessions(session, row.id)
    record(
        session,
        actor=actor,
        action="organizer.password",
        obj=("organizer", row.id),
        details={"name": row.name},
        now=now,
    )


def _end_sessions(session: Session, organizer_id: int) -> None:
    """Every server-side session of the account ends (see stammtisch.organizer_sessions)."""
    session.execute(delete(OrganizerSession).where(OrganizerSession.organizer_id == organizer_id))
