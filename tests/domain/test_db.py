"""Engines and write transactions: SQLite settings, the data version bumped last."""

from __future__ import annotations

from sqlalchemy import event

from stammtisch.db import make_engine, session_scope, write_transaction
from stammtisch.models import SiteSetting


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_data_version_row_is_written_last_in_a_write(engine):
    """Pending ORM changes go out before the version bump: the app-wide version row is
    locked only for the moment before the commit."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as s, write_transaction(s):
            s.add(SiteSetting(key="test_marker", value="1"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements[-2:] == ["INSERT", "UPDATE"]
