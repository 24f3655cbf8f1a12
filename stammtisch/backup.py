"""Backup and restore of the whole database as one JSON file.

The file holds every row of every table of the schema, the schema revision it was
written with, and when. Restoring goes into a database at the same revision, in one
transaction; a database that already has content is refused unless ``force`` is given
(then its rows are replaced). Works between SQLite and PostgreSQL in both directions.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlmodel import SQLModel

import stammtisch.models  # noqa: F401  (registers the tables)
from stammtisch.db import DATA_VERSION_KEY, current_revision
from stammtisch.dbtypes import UTCDateTime
from stammtisch.errors import DomainError
from stammtisch.models import SiteSetting

FORMAT = "stammtisch-backup"
VERSION = 1


class BackupError(DomainError):
    """The backup file cannot be restored here (German message)."""


def _tables():
    return [t for t in SQLModel.metadata.sorted_tables]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def dump(engine: Engine, *, now: datetime) -> dict[str, Any]:
    """Every row of every table, as JSON-ready data, read in one consistent snapshot."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in _tables():
            order = list(table.primary_key.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": current_revision(engine),
        "created_at": now.isoformat(),
        "tables": tables,
    }


def write_backup(engine: Engine, path: Path, *, now: datetime) -> dict[str, int]:
    """Write the backup file atomically; returns the row count per table."""
    data = dump(engine, now=now)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return {name: len(rows) for name, rows in data["tables"].items()}


def _decode_row(table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        out[column.name] = value
    return out


def _has_content(conn) -> bool:
    for table in _tables():
        if table.name == "site_setting":
            continue  # a fresh database has its installation secret only
        if conn.execute(select(func.count()).select_from(table)).scalar_one():
            return True
    return False


def restore(engine: Engine, data: dict[str, Any], *, force: bool = False) -> dict[str, int]:
    """Load a backup into this database in one transaction; returns rows per table."""
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise BackupError("Das ist keine Sicherungsdatei dieser App.")
    here = current_revision(engine)
    if data.get("schema_revision") != here:
        raise BackupError(
            f"Die Sicherung hat den Datenbankstand {data.get('schema_revision')}, diese Datenbank "
            f"{here}. Bitte zuerst beide auf denselben Stand migrieren."
        )
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        if _has_content(conn) and not force:
            raise BackupError(
                "Die Datenbank ist nicht leer. Zum Überschreiben die Wiederherstellung "
                "ausdrücklich erzwingen (--force)."
            )
        version = _data_version(conn)
        for table in reversed(_tables()):
            conn.execute(delete(table))
        for table in _tables():
            rows = [_decode_row(table, r) for r in data["tables"].get(table.name, [])]
            if rows:
                conn.execute(insert(table), rows)
            counts[table.name] = len(rows)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
        # Never go back to a version number a running process may have cached under.
        settings = SiteSetting.__table__
        conn.execute(
            update(settings)
            .where(settings.c.key == DATA_VERSION_KEY)
            .values(value=str(max(version, _data_version(conn)) + 1))
        )
    return counts


def _data_version(conn) -> int:
    settings = SiteSetting.__table__
    value = conn.execute(
        select(settings.c.value).where(settings.c.key == DATA_VERSION_KEY)
    ).scalar_one_or_none()
    return int(value or 0)


def _reset_sequences(conn) -> None:
    """After inserting explicit ids, let PostgreSQL continue numbering after them."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
            highest = conn.execute(select(func.max(pk[0]))).scalar_one() or 0
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, false)"),
                {"t": table.name, "c": pk[0].name, "v": highest + 1},
            )


def read_backup(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"Die Sicherungsdatei lässt sich nicht lesen: {exc}") from exc
