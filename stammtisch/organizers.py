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
from sqlalchemy import delete, func
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
from stammtisch.models import Organizer, OrganizerRole, OrganizerSession
from stammtisch.tokens import hash_token, new_token
from stammtisch.validation import FieldChecker, email_key, normalise_text

MIN_PASSWORD_LENGTH = 12
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
# How long a link to set a password works (a new account, a reset by an admin).
PASSWORD_LINK_TTL = timedelta(days=7)

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown name like a real one.
_DUMMY_HASH = _hasher.hash("stammtisch-dummy-password")


class LoginFailed(DomainError):
    """Wrong name or password (never says which)."""


class LastAdmin(DomainError):
    """The change would leave the team without an active admin."""


@dataclass(frozen=True)
class OrganizerView:
    id: int
    name: str
    display_name: str
    email: str | None
    active: bool
    role: str
    created_at: datetime
    last_login_at: datetime | None
    # False while the account waits for its first password (set through its link).
    has_password: bool
    password_link_expires_at: datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == OrganizerRole.ADMIN


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
    admin: bool = False,
) -> OrganizerView:
    """Create an organizer account with a password (the CLI; no actor needed there).

    ``admin``: the account may manage the team's accounts (the CLI creates the first
    admin so; later admins add accounts in the app with :func:`invite_organizer`)."""
    check = FieldChecker()
    clean_name, clean_display, clean_email = _validate_account(check, name, display_name, email)
    _validate_password(check, password)
    check.raise_if_any()
    try:
        with write_transaction(session):
            row = _insert_account(
                session,
                name=clean_name,
                display_name=clean_display,
                email=clean_email,
                admin=admin,
                password_hash=_hasher.hash(password),
                now=now,
            )
            record(
                session,
                actor=None,
                action="organizer.add",
                obj=("organizer", row.id),
                details={"name": row.name, "after": _account_details(row)},
                now=now,
            )
            view = _view(row)
    except IntegrityError as exc:
        raise ValidationError.single("name", "Diesen Anmeldenamen gibt es schon.") from exc
    return view


def _validate_account(
    check: FieldChecker, name: object, display_name: object, email: object, *, need_email=False
) -> tuple[str, str | None, str | None]:
    clean_name = _validate_name(check, str(name or ""))
    clean_display = check.text(
        "display_name", display_name, label="einen Anzeigenamen", limit=limits.DISPLAY_NAME
    )
    clean_email = check.email("email", email, required=need_email)
    return clean_name or "", clean_display, clean_email


def _insert_account(
    session: Session,
    *,
    name: str,
    display_name: str | None,
    email: str | None,
    admin: bool,
    password_hash: str,
    now: datetime,
) -> Organizer:
    """A new account row (inside the caller's transaction), names and addresses unique."""
    if session.exec(select(Organizer).where(Organizer.login_key == login_key(name))).first():
        raise ValidationError.single("name", "Diesen Anmeldenamen gibt es schon.")
    if email:
        other = session.exec(
            select(Organizer).where(casefold(session, Organizer.email) == email_key(email))
        ).first()
        if other is not None:
            raise ValidationError.single(
                "email", f"Diese E-Mail-Adresse gehört schon zum Konto „{other.name}“."
            )
    row = Organizer(
        name=name,
        login_key=login_key(name),
        display_name=display_name or name,
        email=email,
        password_hash=password_hash,
        active=True,
        role=OrganizerRole.ADMIN if admin else OrganizerRole.ORGANIZER,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _account_details(row: Organizer) -> dict[str, str]:
    """An account as the audit log shows it (German values)."""
    return {
        "Anzeigename": row.display_name,
        "E-Mail": row.email or "–",
        "Rolle": OrganizerRole.label_for(row.role),
        "Zustand": "aktiv" if row.active else "deaktiviert",
    }


def _account_named(session: Session, name: str) -> Organizer:
    """The account a CLI command names (case-insensitive), or :class:`NotFound`."""
    row = session.exec(select(Organizer).where(Organizer.login_key == login_key(name))).first()
    if row is None:
        raise NotFound(f"Kein Organisator-Konto mit dem Namen „{name}“.")
    return row


def _view(row: Organizer) -> OrganizerView:
    return view_of(OrganizerView, row, has_password=bool(row.password_hash))


def list_organizers(*, session: Session) -> list[OrganizerView]:
    """All organizer accounts, by name."""
    return [_view(r) for r in session.exec(select(Organizer).order_by(Organizer.login_key)).all()]


def remove_organizer(*, session: Session, name: str, now: datetime) -> None:
    """Delete an account (the CLI); its past audit entries keep the name they were written
    with. The last active admin is not removed (:class:`LastAdmin`)."""
    with write_transaction(session):
        _lock_team(session)
        row = _account_named(session, name)
        _keep_an_admin(session, row)
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
        _lock_team(session)
        row = _account_named(session, name)
        _change_active(session, row, active, actor=None, now=now)
        view = _view(row)
    return view


def _change_active(
    session: Session,
    row: Organizer,
    active: bool,
    *,
    actor: OrganizerIdentity | None,
    now: datetime,
) -> None:
    """Deactivate (ending every session at once) or reactivate one account, audited;
    under :func:`_lock_team`, so the last active admin stays."""
    if row.active == active:
        state = "aktiv" if active else "deaktiviert"
        raise InvalidTransition(f"Das Organisator-Konto „{row.name}“ ist bereits {state}.")
    if not active:
        _keep_an_admin(session, row)
    row.active = active
    session.add(row)
    if not active:
        _end_sessions(session, row.id)
    record(
        session,
        actor=actor,
        action="organizer.activate" if active else "organizer.deactivate",
        obj=("organizer", row.id),
        details={
            "name": row.name,
            "before": "deaktiviert" if active else "aktiv",
            "after": "aktiv" if active else "deaktiviert",
        },
        now=now,
    )


def _lock_team(session: Session) -> None:
    """Changes to accounts queue behind each other: PostgreSQL locks every account row
    (the next statement then counts the admins as committed by whoever went first);
    SQLite's write transaction holds the database's lock already. So two admins who
    deactivate each other at the same moment cannot both succeed."""
    session.exec(select(Organizer.id).with_for_update()).all()


def _keep_an_admin(session: Session, row: Organizer) -> None:
    """Refuse a change that takes ``row`` out of the active admins if it is the last one."""
    if row.role != OrganizerRole.ADMIN or not row.active:
        return
    others = session.exec(
        select(func.count())
        .select_from(Organizer)
        .where(
            Organizer.role == OrganizerRole.ADMIN,
            Organizer.active == True,  # noqa: E712
            Organizer.id != row.id,
        )
    ).one()
    if not others:
        raise LastAdmin(
            f"„{row.name}“ ist das letzte aktive Admin-Konto. Mindestens ein Admin muss "
            "bleiben, damit jemand die Konten verwalten kann – machen Sie zuerst ein anderes "
            "Konto zum Admin."
        )


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


def require_admin(session: Session, actor: OrganizerIdentity | None) -> Organizer:
    """The acting admin's row, checked against the database, or :class:`PermissionDenied`."""
    row = require_organizer(session, actor)
    if row.role != OrganizerRole.ADMIN:
        raise PermissionDenied("Konten verwalten können nur Admins des Teams.")
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
    via_link: bool = False,
) -> None:
    """The one way a password changes (account page, CLI, one-time link): the new hash,
    every session of the account ended at once, an audit record. Inside the caller's
    transaction."""
    first = not row.password_hash
    row.password_hash = _hasher.hash(password)
    session.add(row)
    _end_sessions(session, row.id)
    details: dict[str, object] = {"name": row.name}
    if via_link:
        details.update(via="Link", first=first)
    record(
        session,
        actor=actor,
        action="organizer.password",
        obj=("organizer", row.id),
        details=details,
        now=now,
    )


def _end_sessions(session: Session, organizer_id: int) -> None:
    """Every server-side session of the account ends (see stammtisch.organizer_sessions)."""
    session.execute(delete(OrganizerSession).where(OrganizerSession.organizer_id == organizer_id))


# --- the team's accounts, managed by admins in the app ---------------------------------------


@dataclass(frozen=True)
class PasswordLink:
    """A one-time link to set a password: the account, the token (shown once to the admin,
    mailed through the outbox, stored only as its hash) and until when it works."""

    account: OrganizerView
    token: str
    expires_at: datetime
    mailed: bool


def _locked_account(session: Session, organizer_id: int) -> Organizer:
    row = session.get(Organizer, organizer_id)
    if row is None:
        raise NotFound("Dieses Konto gibt es nicht (mehr).")
    return row


def _new_link(session: Session, row: Organizer, now: datetime) -> tuple[str, datetime]:
    """A fresh link for ``row``; an earlier one stops working (and its unsent mail goes)."""
    token = new_token()
    row.password_link_hash = hash_token(token)
    row.password_link_expires_at = now + PASSWORD_LINK_TTL
    session.add(row)
    if row.email:
        _expire_link_mails(session, row.email)
    return token, row.password_link_expires_at


def _expire_link_mails(session: Session, address: str) -> None:
    from stammtisch.mail import expire_unsent_to

    expire_unsent_to(session, address, ("organizer_invite", "organizer_password"))


def invite_organizer(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    name: str,
    display_name: str | None,
    email: str | None,
    admin: bool = False,
    now: datetime,
) -> PasswordLink:
    """An admin adds an account without typing anyone's password: the account gets a
    one-time link to set it (valid :data:`PASSWORD_LINK_TTL`), mailed to its address
    through the outbox, in the same transaction. Audited."""
    from stammtisch import mail, mail_texts

    check = FieldChecker()
    clean_name, clean_display, clean_email = _validate_account(
        check, name, display_name, email, need_email=True
    )
    check.raise_if_any()
    try:
        with write_transaction(session):
            _lock_team(session)
            by = require_admin(session, actor)
            row = _insert_account(
                session,
                name=clean_name,
                display_name=clean_display,
                email=clean_email,
                admin=admin,
                password_hash="",
                now=now,
            )
            token, expires_at = _new_link(session, row, now)
            mail.queue(
                session,
                kind="organizer_invite",
                to_address=row.email,
                to_name=row.display_name,
                content=mail_texts.organizer_invite(
                    row.display_name, row.name, by.display_name, expires_at, admin=admin
                ),
                now=now,
                secret=token,
                expires_at=expires_at,
            )
            record(
                session,
                actor=actor,
                action="organizer.add",
                obj=("organizer", row.id),
                details={"name": row.name, "after": _account_details(row)},
                now=now,
            )
            link = PasswordLink(_view(row), token, expires_at, mailed=True)
    except IntegrityError as exc:
        raise ValidationError.single("name", "Diesen Anmeldenamen gibt es schon.") from exc
    return link


def reset_password_link(
    *, session: Session, actor: OrganizerIdentity | None, organizer_id: int, now: datetime
) -> PasswordLink:
    """An admin sends an account a new one-time link to set its password (mailed when the
    account has an address; shown once to the admin either way). The old password works
    until the link is used. Audited."""
    from stammtisch import mail, mail_texts

    with write_transaction(session):
        _lock_team(session)
        by = require_admin(session, actor)
        row = _locked_account(session, organizer_id)
        if not row.active:
            raise InvalidTransition(
                f"Das Konto „{row.name}“ ist deaktiviert. Aktivieren Sie es zuerst."
            )
        token, expires_at = _new_link(session, row, now)
        if row.email:
            mail.queue(
                session,
                kind="organizer_password",
                to_address=row.email,
                to_name=row.display_name,
                content=mail_texts.organizer_password_reset(
                    row.display_name, row.name, by.display_name, expires_at
                ),
                now=now,
                secret=token,
                expires_at=expires_at,
            )
        record(
            session,
            actor=actor,
            action="organizer.password_link",
            obj=("organizer", row.id),
            details={"name": row.name, "mail": row.email or "–"},
            now=now,
        )
        link = PasswordLink(_view(row), token, expires_at, mailed=bool(row.email))
    return link


def _account_for_link(session: Session, token: str, now: datetime) -> Organizer | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(Organizer).where(Organizer.password_link_hash == hash_token(token))
    ).first()
    if (
        row is None
        or not row.active
        or row.password_link_expires_at is None
        or row.password_link_expires_at < now
    ):
        return None
    return row


def password_link_account(*, session: Session, token: str, now: datetime) -> OrganizerView | None:
    """The account a set-password link is for; None when unknown, used, late or the
    account is deactivated (the page then says the link does not work)."""
    row = _account_for_link(session, token, now)
    return None if row is None else _view(row)


def redeem_password_link(
    *, session: Session, token: str, password: str, password_repeat: str, now: datetime
) -> OrganizerView:
    """Set the password through a one-time link: the link is used up, every session of the
    account ends, audited. Refused with a German message for a bad password or a link that
    does not work (any more)."""
    check = FieldChecker()
    _validate_password(check, password)
    if password != password_repeat:
        check.fail("password_repeat", "Die beiden Passwörter stimmen nicht überein.")
    check.raise_if_any()
    with write_transaction(session):
        row = _account_for_link(session, token, now)
        if row is None:
            raise InvalidTransition(
                "Dieser Link funktioniert nicht (mehr): Er wurde schon benutzt, ist abgelaufen "
                "oder durch einen neueren ersetzt. Bitten Sie ein Admin des Teams um einen "
                "neuen Link."
            )
        row.password_link_hash = None  # used up
        row.password_link_expires_at = None
        if row.email:
            _expire_link_mails(session, row.email)
        _replace_password(session, row, password, actor=None, now=now, via_link=True)
        view = _view(row)
    return view


def admin_set_active(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    organizer_id: int,
    active: bool,
    now: datetime,
) -> OrganizerView:
    """An admin deactivates an account (its sessions end at once, its next action finds
    it logged out) or reactivates it. Not one's own account; never the last active admin
    (two admins deactivating each other at the same moment: one of them wins)."""
    with write_transaction(session):
        _lock_team(session)
        require_admin(session, actor)
        row = _locked_account(session, organizer_id)
        if row.id == actor.id:
            raise InvalidTransition(
                "Ihr eigenes Konto können Sie hier nicht deaktivieren – das macht ein anderes "
                "Admin-Konto."
            )
        _change_active(session, row, active, actor=actor, now=now)
        view = _view(row)
    return view


def set_role(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    organizer_id: int,
    admin: bool,
    now: datetime,
) -> OrganizerView:
    """An admin makes an account admin or takes the role back (never from the last
    active admin, nor from oneself). Audited with before and after."""
    with write_transaction(session):
        _lock_team(session)
        require_admin(session, actor)
        row = _locked_account(session, organizer_id)
        if row.id == actor.id:
            raise InvalidTransition("Die eigene Rolle ändert ein anderes Admin-Konto.")
        _change_role(session, row, admin, actor=actor, now=now)
        view = _view(row)
    return view


def set_role_by_name(*, session: Session, name: str, admin: bool, now: datetime) -> OrganizerView:
    """The CLI's ``organizer admin NAME [--remove]`` (no actor; the last active admin stays)."""
    with write_transaction(session):
        _lock_team(session)
        row = _account_named(session, name)
        _change_role(session, row, admin, actor=None, now=now)
        view = _view(row)
    return view


def _change_role(
    session: Session,
    row: Organizer,
    admin: bool,
    *,
    actor: OrganizerIdentity | None,
    now: datetime,
) -> None:
    target = OrganizerRole.ADMIN if admin else OrganizerRole.ORGANIZER
    if row.role == target:
        raise InvalidTransition(f"„{row.name}“ hat die Rolle „{target.label}“ schon.")
    if not admin:
        _keep_an_admin(session, row)
    before = OrganizerRole.label_for(row.role)
    row.role = target
    session.add(row)
    record(
        session,
        actor=actor,
        action="organizer.role",
        obj=("organizer", row.id),
        details={"name": row.name, "before": before, "after": target.label},
        now=now,
    )
