"""Engine, sessions, transactions and migrations for SQLite and PostgreSQL.

Write use cases run in :func:`write_transaction`. On PostgreSQL they lock the rows they
decide on (``SELECT … FOR UPDATE``); on SQLite the transaction starts with
``BEGIN IMMEDIATE``, which takes the database's single write lock up front, so two
writers queue behind the busy timeout instead of deciding on the same stale snapshot.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Engine,
    Integer,
    Text,
    case,
    cast,
    create_engine,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlmodel import Session

from stammtisch.validation import fold_text

log = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_IMMEDIATE = "stammtisch_immediate"


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the settings this app relies on.

    SQLite: WAL journal, foreign keys on, a busy timeout, and transactions that the
    app begins itself (so a write use case can ask for ``BEGIN IMMEDIATE``).
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's lower() only folds ASCII; searches use this instead (see casefold()).
        dbapi_connection.create_function(
            CASEFOLD_FUNCTION, 1, _casefold_or_none, deterministic=True
        )

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


CASEFOLD_FUNCTION = "st_casefold"


def _casefold_or_none(value: str | None) -> str | None:
    return None if value is None else fold_text(value)


def casefold(session: Session, column):
    """``column`` folded in SQL exactly like :func:`~stammtisch.validation.fold_text`.

    PostgreSQL's ``lower()`` folds all of Unicode under a UTF-8 locale; SQLite's folds
    only ASCII, so its connections carry ``fold_text`` itself, registered at connect.
    """
    if is_sqlite(session):
        return getattr(func, CASEFOLD_FUNCTION)(column)
    return func.lower(column)


def view_of(view: type[T], row: object, **values: Any) -> T:
    """A read model (frozen dataclass) from an ORM row: every field the row has of the
    same name, plus ``values`` for the others (joined names, counts, derived values)."""
    names = [f.name for f in dataclasses.fields(view) if f.name not in values]
    return view(**{name: getattr(row, name) for name in names}, **values)


def count_if(condition):
    """SQL: how many rows of the group meet ``condition`` (0, never NULL)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "sqlite"


@contextmanager
def write_transaction(session: Session, *, content: bool = True) -> Iterator[Session]:
    """One use case, one transaction: commit at the end, roll back on any error.

    Must be the session's first work, so that SQLite can begin with the write lock.
    ``content=False`` for writes that change nothing any page shows (login counters),
    so they do not invalidate every process's caches.
    """
    if session.in_transaction():
        raise RuntimeError("write_transaction must start on a fresh session")
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield session
        if content:
            bump_data_version(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise


DATA_VERSION_KEY = "data_version"


def bump_data_version(session: Session) -> None:
    """Mark that data changed (last statement before commit: the row lock is brief)."""
    session.flush()  # pending ORM changes first, so the version row is locked last
    session.connection().execute(data_version_bump())


@functools.cache
def data_version_bump():
    """The UPDATE that bumps the data version (also usable as a CTE on PostgreSQL)."""
    from stammtisch.models import SiteSetting

    table = SiteSetting.__table__
    return (
        update(table)
        .where(table.c.key == DATA_VERSION_KEY)
        .values(value=cast(cast(table.c.value, Integer) + 1, Text))
    )


def read_data_version(engine: Engine) -> int:
    """The current data version (one primary-key lookup)."""
    from stammtisch.models import SiteSetting

    table = SiteSetting.__table__
    with engine.connect() as conn:
        value = conn.execute(
            select(table.c.value).where(table.c.key == DATA_VERSION_KEY)
        ).scalar_one_or_none()
        conn.rollback()
    return int(value or 0)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that does not keep ORM objects alive past the use case."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


# --- migrations ------------------------------------------------------------------------


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_table(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)
