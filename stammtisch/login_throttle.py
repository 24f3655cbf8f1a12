"""Failed logins slow down whoever fails, not the organizer whose name they type.

Rules, and why:

* A failure counts against the pair (login name, client address). After
  :data:`FREE_ATTEMPTS` failures every further attempt from that address waits a delay
  that doubles from :data:`BASE_DELAY` up to :data:`MAX_DELAY`; while it runs, the
  password is not even checked. A stranger's failures thus slow only the stranger: the
  organizer, from another address, logs in at once.
* Name-wide ceiling: when failures for one name come from :data:`NAME_FREE_CLIENTS` or
  more addresses within :data:`NAME_WINDOW` (a guess spread over many machines), every
  attempt for that name waits a little, at most :data:`NAME_MAX_DELAY` – seconds, never
  minutes, because the organizer waits too.
* Rows are kept for names that exist and names that do not (the answers must not tell
  which names exist); a pair is forgotten :data:`FORGET_AFTER` after its last failure,
  and the table never holds more than :data:`MAX_ROWS` rows (the oldest go first).
* All times are the real clock (``at``): with a pinned demo clock (``STAMMTISCH_NOW``)
  a block would otherwise never end.
* An IPv4 address counts on its own, an IPv6 address by its /64 network (what one
  subscriber gets); without an address (local, tests) the key is ``local``.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from stammtisch.errors import DomainError
from stammtisch.models import LoginThrottle

FREE_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
NAME_WINDOW = timedelta(minutes=15)
NAME_FREE_CLIENTS = 5
NAME_STEP = timedelta(seconds=1)
NAME_MAX_DELAY = timedelta(seconds=10)
FORGET_AFTER = timedelta(hours=24)
MAX_ROWS = 10_000
NAME_ROW = "*"


class LoginThrottled(DomainError):
    """Too many failed attempts; ``retry_after`` says how long to wait."""

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, int(retry_after.total_seconds() + 0.999))
        super().__init__(
            f"Zu viele Fehlversuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie "
            "es dann erneut."
        )
        self.retry_after = retry_after


def client_key(address: str | None) -> str:
    """The throttle's key for a client's network address (see the module's rules)."""
    if not address:
        return "local"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def delay_for(failures: int) -> timedelta:
    """How long a pair must wait after its ``failures``-th failure."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(BASE_DELAY * (2 ** min(failures - FREE_ATTEMPTS, 20)), MAX_DELAY)


def _row(session: Session, login_key: str, client: str, *, create: bool) -> LoginThrottle | None:
    """The row, locked for this transaction (created first when ``create``)."""
    if create:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(LoginThrottle)
            .values(login_key=login_key, client_key=client, failures=0)
            .on_conflict_do_nothing()
        )
    return (
        session.execute(
            select(LoginThrottle)
            .where(LoginThrottle.login_key == login_key, LoginThrottle.client_key == client)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .scalars()
        .first()
    )


def check(session: Session, login_key: str, client: str, at: datetime) -> None:
    """Raise :class:`LoginThrottled` while this address or the whole name must wait."""
    for key in (client, NAME_ROW):
        row = _row(session, login_key, key, create=False)
        if row is not None and row.blocked_until is not None and row.blocked_until > at:
            raise LoginThrottled(row.blocked_until - at)


def record_failure(session: Session, login_key: str, client: str, at: datetime) -> None:
    """Count a failed attempt; start or lengthen the waits; forget what is old."""
    _prune(session, at)
    row = _row(session, login_key, client, create=True)
    assert row is not None
    if row.last_failure_at is not None and at - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = at
    delay = delay_for(row.failures)
    row.blocked_until = at + delay if delay else None
    session.add(row)
    session.flush()
    clients = (
        session.execute(
            select(func.count())
            .select_from(LoginThrottle)
            .where(
                LoginThrottle.login_key == login_key,
                LoginThrottle.client_key != NAME_ROW,
                col(LoginThrottle.last_failure_at) > at - NAME_WINDOW,
            )
        )
        .scalars()
        .one()
    )
    if clients >= NAME_FREE_CLIENTS:
        name_row = _row(session, login_key, NAME_ROW, create=True)
        assert name_row is not None
        name_row.failures = clients
        name_row.last_failure_at = at
        name_row.blocked_until = at + min(
            NAME_STEP * (clients - NAME_FREE_CLIENTS + 1), NAME_MAX_DELAY
        )
        session.add(name_row)
    _cap(session)


def record_success(session: Session, login_key: str, client: str) -> None:
    """A correct password from this address: its count starts again (the name-wide row
    stays until it runs out: the guessing elsewhere may go on)."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.login_key == login_key, LoginThrottle.client_key == client
        )
    )


def unlock(session: Session, login_key: str) -> int:
    """Forget every failure for a name, from every address; returns the rows removed."""
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.login_key == login_key))
    return int(result.rowcount or 0)


def _prune(session: Session, at: datetime) -> None:
    session.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.last_failure_at) < at - FORGET_AFTER,
            (col(LoginThrottle.blocked_until).is_(None)) | (col(LoginThrottle.blocked_until) < at),
        )
    )


def _cap(session: Session) -> None:
    """At most :data:`MAX_ROWS` rows: beyond that, the oldest failures are forgotten."""
    cutoff = (
        session.execute(
            select(LoginThrottle.last_failure_at)
            .order_by(col(LoginThrottle.last_failure_at).desc())
            .offset(MAX_ROWS)
            .limit(1)
        )
        .scalars()
        .first()
    )
    if cutoff is not None:
        session.execute(delete(LoginThrottle).where(col(LoginThrottle.last_failure_at) <= cutoff))
