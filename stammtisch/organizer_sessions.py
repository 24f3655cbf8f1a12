"""Organizer sessions kept on the server: a login that survives a reload and a new tab.

Rules, and why:

* A session starts after a successful login (password or single sign-on) and belongs to
  one account. The browser's cookie carries a random id of 256 bits; the database keeps
  only its SHA-256 (``token_hash``), so a copy of the database logs nobody in.
* The page that checked the password never sees that id: it gets a one-time handover
  code (valid :data:`HANDOVER_TTL`), which the browser redeems with a POST to the app's
  server (:func:`redeem_handover`); the server answers with the cookie.
* A session ends after :data:`IDLE_TIMEOUT` without activity and at the latest
  :data:`ABSOLUTE_LIFETIME` after the login, both on the real clock (``now`` in this
  module is always the real time: a pinned demo clock would never let a session end).
  Activity is written at most every :data:`TOUCH_INTERVAL`.
* Logging out ends one session; "log out everywhere", a password change and removing
  the account end every session of the account (the last by ``ON DELETE CASCADE``);
  deactivating an account makes every lookup fail (:func:`find` asks
  :func:`~stammtisch.organizers.require_organizer`). Ending sessions is a write that
  bumps the data version, so every process's cached lookup turns stale on its next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from stammtisch.audit import record
from stammtisch.db import write_transaction
from stammtisch.errors import PermissionDenied
from stammtisch.identity import OrganizerIdentity
from stammtisch.models import Organizer, OrganizerSession
from stammtisch.organizers import SESSION_IDLE_TIMEOUT, require_organizer
from stammtisch.tokens import hash_token, new_token

IDLE_TIMEOUT = SESSION_IDLE_TIMEOUT  # 30 minutes
ABSOLUTE_LIFETIME = timedelta(hours=12)
TOUCH_INTERVAL = timedelta(seconds=60)
HANDOVER_TTL = timedelta(minutes=2)


@dataclass(frozen=True)
class SessionView:
    """A session as the pages see it (plain data, cacheable)."""

    id: int
    organizer: OrganizerIdentity
    token_hash: str | None  # of the cookie's id, once the browser has one
    created_at: datetime
    last_active_at: datetime
    expires_at: datetime

    def ended(self, now: datetime, last_active: datetime | None = None) -> str | None:
        """``"expired"`` (absolute lifetime), ``"idle"``, or None while it lasts."""
        if now >= self.expires_at:
            return "expired"
        latest = max(self.last_active_at, last_active or self.last_active_at)
        if now - latest > IDLE_TIMEOUT:
            return "idle"
        return None


@dataclass(frozen=True)
class Started:
    view: SessionView
    handover_code: str  # for the browser's cookie, once (see the module's rules)


def _view(row: OrganizerSession, identity: OrganizerIdentity) -> SessionView:
    return SessionView(
        id=row.id,
        organizer=identity,
        token_hash=row.token_hash,
        created_at=row.created_at,
        last_active_at=row.last_active_at,
        expires_at=row.expires_at,
    )


def _identity(session: Session, organizer_id: int) -> OrganizerIdentity | None:
    """The account's identity if it may act (the one check: ``require_organizer``)."""
    row = session.get(Organizer, organizer_id)
    if row is None:
        return None
    identity = OrganizerIdentity(id=row.id, name=row.name, display_name=row.display_name)
    try:
        require_organizer(session, identity)
    except PermissionDenied:
        return None
    return identity


def start(*, session: Session, actor: OrganizerIdentity, now: datetime) -> Started:
    """A new session for a freshly logged-in organizer, with its handover code."""
    code = new_token()
    with write_transaction(session, content=False):
        require_organizer(session, actor)
        _prune(session, now)
        row = OrganizerSession(
            organizer_id=actor.id,
            handover_hash=hash_token(code),
            handover_expires_at=now + HANDOVER_TTL,
            created_at=now,
            last_active_at=now,
            expires_at=now + ABSOLUTE_LIFETIME,
        )
        session.add(row)
        session.flush()
        view = _view(row, actor)
    return Started(view=view, handover_code=code)


def redeem_handover(*, session: Session, code: str, now: datetime) -> str | None:
    """The browser's one-time code, exchanged for the id its cookie will carry (a fresh
    random value, stored as its hash); None when unknown, used, late or the session over."""
    if not code or len(code) > 200:
        return None
    token = new_token()
    with write_transaction(session, content=False):
        row = session.exec(
            select(OrganizerSession)
            .where(OrganizerSession.handover_hash == hash_token(code))
            .with_for_update()
        ).first()
        if (
            row is None
            or row.handover_expires_at is None
            or row.handover_expires_at < now
            or _identity(session, row.organizer_id) is None
        ):
            return None
        row.token_hash = hash_token(token)
        row.handover_hash = None
        row.handover_expires_at = None
        session.add(row)
    return token


def find(
    *,
    session: Session,
    session_id: int | None = None,
    started_at: datetime | None = None,
    token: str | None = None,
) -> SessionView | None:
    """The session by its id and start (a tab that logged in: a number alone could, after
    the session ended, name a later one) or by the cookie's id; None when there is none,
    or its account is gone or inactive. Whether it has ended is
    :meth:`SessionView.ended`'s question (it depends on the real time, not on data)."""
    if session_id is not None:
        row = session.get(OrganizerSession, session_id)
        if row is not None and row.created_at != started_at:
            row = None
    elif token:
        row = session.exec(
            select(OrganizerSession).where(OrganizerSession.token_hash == hash_token(token))
        ).first()
    else:
        return None
    if row is None:
        return None
    identity = _identity(session, row.organizer_id)
    return None if identity is None else _view(row, identity)


def touch(*, session: Session, session_id: int, now: datetime) -> bool:
    """Note activity; False when the session has ended meanwhile (one conditional write)."""
    with write_transaction(session, content=False):
        result = session.execute(
            update(OrganizerSession)
            .where(
                col(OrganizerSession.id) == session_id,
                col(OrganizerSession.expires_at) > now,
                col(OrganizerSession.last_active_at) >= now - IDLE_TIMEOUT,
            )
            .values(last_active_at=now)
        )
    return result.rowcount == 1


def end(*, session: Session, session_id: int, now: datetime) -> None:
    """Log out: this session ends in every process at once."""
    with write_transaction(session):
        row = session.get(OrganizerSession, session_id)
        if row is None:
            return
        _record_logout(session, row.organizer_id, "logout", now)
        session.delete(row)


def end_by_token(*, session: Session, token: str, now: datetime) -> bool:
    """Log out the session of a cookie's id (the server's logout route)."""
    with write_transaction(session):
        row = session.exec(
            select(OrganizerSession).where(OrganizerSession.token_hash == hash_token(token))
        ).first()
        if row is None:
            return False
        _record_logout(session, row.organizer_id, "logout", now)
        session.delete(row)
    return True


def end_all(*, session: Session, actor: OrganizerIdentity, now: datetime) -> int:
    """ "Überall abmelden": every session of the acting organizer ends (this one too)."""
    with write_transaction(session):
        require_organizer(session, actor)
        result = session.execute(
            delete(OrganizerSession).where(col(OrganizerSession.organizer_id) == actor.id)
        )
        record(
            session,
            actor=actor,
            action="logout.everywhere",
            obj=("organizer", actor.id),
            details={"sessions": result.rowcount},
            now=now,
        )
    return int(result.rowcount or 0)


def end_expired(*, session: Session, session_id: int, now: datetime) -> None:
    """Remove a session that ran out (idle or too old): over by time in every process
    already, so no data-version bump is needed."""
    with write_transaction(session, content=False):
        session.execute(
            delete(OrganizerSession).where(
                col(OrganizerSession.id) == session_id,
                (col(OrganizerSession.expires_at) <= now)
                | (col(OrganizerSession.last_active_at) < now - IDLE_TIMEOUT),
            )
        )


def _record_logout(session: Session, organizer_id: int, action: str, now: datetime) -> None:
    identity = _identity(session, organizer_id)
    record(session, actor=identity, action=action, obj=("organizer", organizer_id), now=now)


def _prune(session: Session, now: datetime) -> None:
    """Sessions that ran out are deleted whenever a new one starts."""
    session.execute(
        delete(OrganizerSession).where(
            (col(OrganizerSession.expires_at) <= now)
            | (col(OrganizerSession.last_active_at) < now - IDLE_TIMEOUT)
        )
    )
