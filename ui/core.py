"""Engine, clock and cached reads for the pages."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from stammtisch.bootstrap import init_database
from stammtisch.clock import clock_from_setting
from stammtisch.config import Settings, load_settings
from stammtisch.db import make_engine, read_data_version, session_scope
from stammtisch.rate_limits import DEFAULT_RULES, Requester
from stammtisch.shared_read import SharedRead
from ui.render import forget_texts

log = logging.getLogger("stammtisch.ui")


@functools.cache
def _secrets() -> dict[str, Any]:
    """``st.secrets`` once per process (re-parsing it on every call is slow); a changed
    secrets.toml takes effect on restart, as with any server configuration."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: configuration comes from the environment only
        return {}


def settings() -> Settings:
    return load_settings(secrets=_secrets())


@st.cache_resource(show_spinner=False)
def _engine_for(url: str, pinned_now: str | None) -> Engine:
    engine = make_engine(url)
    # An empty database is migrated and seeded on first start; later starts change nothing.
    report = init_database(engine, now=clock_from_setting(pinned_now).now())
    if report.seeded:
        log.info(
            "database seeded: %s topic fields, %s meetings", report.topic_fields, report.meetings
        )
    return engine


def engine() -> Engine:
    cfg = settings()
    return _engine_for(cfg.database_url, cfg.now)


def now() -> datetime:
    return clock_from_setting(settings().now).now()


def real_now() -> datetime:
    """The real time, also when ``STAMMTISCH_NOW`` pins :func:`now` (for waits and the
    organizers' session limits, which must run out in a demo too)."""
    return datetime.now(UTC)


VISITOR_COOKIE = "stammtisch_besuch"
VISITOR_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def visitor_id() -> str | None:
    """The browser's anonymous visitor id (the HttpOnly cookie ``ui/visitor_cookie.py``
    sets on the first page load); None without it (cookies off, tests)."""
    try:
        value = st.context.cookies.get(VISITOR_COOKIE)
    except Exception:  # AppTest and bare mode have no request
        return None
    if not isinstance(value, str):  # AppTest's stand-in context
        return None
    return value if VISITOR_ID_PATTERN.fullmatch(value) else None


def requester() -> Requester:
    """Who sends a public form, for the limits of :mod:`stammtisch.rate_limits`."""
    configured = settings().rate_rules
    return Requester(
        address=client_address(),
        at=real_now(),
        browser=visitor_id(),
        rules=dict(configured) if configured is not None else DEFAULT_RULES,
    )


def client_address() -> str | None:
    """The visitor's network address (behind the reverse proxy: as the trusted proxy saw
    it, see ``ui/http_security.py``); None for the local machine and in tests."""
    try:
        address = st.context.ip_address
    except Exception:  # AppTest and bare mode have no connection
        return None
    return address if isinstance(address, str) else None


@contextmanager
def session() -> Iterator[Session]:
    with session_scope(engine()) as s:
        yield s


def now_key(moment: datetime | None = None) -> str:
    """Cache key for "now" at minute resolution: lists change when meetings end."""
    moment = moment or now()
    return moment.replace(second=0, microsecond=0).isoformat()


def read(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a read service in a fresh session (uncached)."""
    with session() as s:
        return fn(session=s, **kwargs)


_VERSION = "_data_version"


def begin_run() -> None:
    """Read the data version once per page run (navigation.py calls this first)."""
    version = read_data_version(engine())
    st.session_state[_VERSION] = version
    forget_texts(version)


def cache_key() -> str:
    """Key for cached reads: the database plus its data version.

    Every write anywhere (any server process) bumps the version, so cached reads of
    all processes turn stale at once and are recomputed on their next run.
    """
    version = st.session_state.get(_VERSION)
    if version is None:
        begin_run()
        version = st.session_state[_VERSION]
    return f"{settings().database_url}#{version}"


def data_changed() -> None:
    """After a write in this session: pick up the new version for this run's reads."""
    begin_run()
    # This session waits for reads at its own version (it must see its own change).
    st.session_state[_WROTE] = st.session_state[_VERSION]


_WROTE = "_data_wrote"

# The start page's reads, shared by every session of this process (see
# stammtisch/shared_read.py: under a burst of writes each read runs once at a time, and
# sessions arriving meanwhile get the previous value instead of running it again).
SHARED = SharedRead(max_entries=1024)


def shared(name: str, fn: Callable[..., Any], *key: Any, **kwargs: Any) -> Any:
    """``fn(session=…, **kwargs)`` through :data:`SHARED`, keyed by ``name``, the database
    and ``key`` (what the read depends on besides the data), at this run's data version.
    A list or dict comes back as a shallow copy; its items are frozen."""
    cache_key()  # the run's version, read once
    version = st.session_state[_VERSION]
    value = SHARED.get(
        (name, settings().database_url, *key),
        version,
        lambda: read(fn, **kwargs),
        stale_ok=st.session_state.get(_WROTE) != version,
    )
    return value.copy() if isinstance(value, list | dict) else value


def base_url() -> str:
    """The app's public address for links: configured (default ``http://localhost:8501``),
    or the address the browser used if its host is allow-listed (``STAMMTISCH_ALLOWED_HOSTS``)."""
    from urllib.parse import urlsplit

    host, scheme = None, "http"
    try:
        current = st.context.url
        if current:
            parts = urlsplit(current)
            host, scheme = parts.netloc, parts.scheme
    except Exception:  # AppTest and bare mode have no browser URL
        log.debug("no browser URL available", exc_info=True)
    return settings().link_base(host, scheme)[0]


@st.cache_resource(show_spinner=False)
def _stored_secret(url: str) -> str:
    from stammtisch.site import session_secret

    return read(session_secret)


def secret_key() -> str:
    """The key that signs the team's login cookie: ``STAMMTISCH_SECRET_KEY``, else the key
    generated once in the database (the server's routes use the same rule)."""
    cfg = settings()
    return cfg.secret_key or _stored_secret(cfg.database_url)


@st.cache_data(ttl=3600, max_entries=50, show_spinner=False)
def _admin_meetings(version: str, _actor: Any) -> list:
    from stammtisch import meeting_admin

    return read(meeting_admin.list_meetings, actor=_actor)


def admin_meetings(actor: Any) -> list:
    """All meetings with their counts for organizer pages, cached until data changes.

    ``ui.auth`` has checked the organizer against the database in this run.
    """
    return _admin_meetings(cache_key(), actor)


def topic_fields() -> list:
    """Every topic field (archived ones last, for history and charts), shared until data
    changes."""
    from stammtisch import topics

    return shared("topic_fields", topics.list_topic_fields)


def offered_topic_fields() -> list:
    """The topic fields forms offer (not archived), in their order."""
    return [tf for tf in topic_fields() if not tf.archived]


def topic_field_choices(keep: Iterable[int | None] = ()) -> dict[int, str]:
    """Id → name for a form's topic field choice: the fields on offer, plus the archived
    ones in ``keep`` (what the edited thing has already), marked as archived."""
    wanted = set(keep)
    return {
        tf.id: f"{tf.name} (archiviert)" if tf.archived else tf.name
        for tf in topic_fields()
        if not tf.archived or tf.id in wanted
    }


def upcoming() -> list:
    """Meetings that have not ended yet, soonest first; shared per data version and minute."""
    from stammtisch import meetings

    minute = now_key()
    return shared("upcoming", meetings.list_upcoming, minute, now=datetime.fromisoformat(minute))


@st.cache_data(ttl=60, max_entries=20, show_spinner=False)
def _subscription_figures(version: str):
    from stammtisch import subscriptions

    return read(subscriptions.figures)


def subscription_figures():
    """Confirmed wishes to be told, counted (no addresses). Subscribing does not change
    what visitors see, so it does not bump the data version: a minute's delay at most."""
    return _subscription_figures(cache_key())
