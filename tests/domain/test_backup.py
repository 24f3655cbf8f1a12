"""Backup to JSON and restore: exact round trip, refusal on non-empty databases."""

from __future__ import annotations

import pytest

from stammtisch import backup, registrations
from stammtisch.db import make_engine, migrate, session_scope
from tests import factories as f
from tests.conftest import SEED_NOW


def _fill(engine, now):
    from stammtisch.bootstrap import init_database

    init_database(engine, now=now)
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    f.register(engine, meeting_id, 2, now=now)
    f.suggestion(engine, now=now, text="Ein Vorschlag mit Ümlauten", publish=True, voters=("v",))


def _without_meta(data):
    """Compare content: the backup's own time and the cache data version may differ
    (a restore always moves the data version forward)."""
    tables = dict(data["tables"])
    tables["site_setting"] = [r for r in tables["site_setting"] if r["key"] != "data_version"]
    return {**{k: v for k, v in data.items() if k != "created_at"}, "tables": tables}


def test_backup_restore_round_trips_exactly(engine, now, tmp_path):
    _fill(engine, now)
    path = tmp_path / "sicherung.json"
    counts = backup.write_backup(engine, path, now=now)
    assert counts["registration"] == 2 and counts["meeting"] == 6
    target = make_engine(f"sqlite:///{tmp_path / 'ziel.db'}")
    migrate(target)
    backup.restore(target, backup.read_backup(path))
    assert _without_meta(backup.dump(target, now=now)) == _without_meta(
        backup.dump(engine, now=now)
    )
    # The restored database keeps working: new rows get fresh ids, rules still hold.
    new_meeting = f.meeting(target, now=now)
    assert new_meeting == 7
    target.dispose()


def test_restore_into_postgres_continues_ids(engine, now, tmp_path, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("sequence handling is PostgreSQL-specific")
    source = make_engine(f"sqlite:///{tmp_path / 'quelle.db'}")
    migrate(source)
    _fill(source, now)
    data = backup.dump(source, now=now)
    backup.restore(engine, data)
    meeting_id = f.meeting(engine, now=now)
    assert meeting_id == 7
    receipt = f.register(engine, meeting_id, "neu", now=now)
    assert receipt.registration_id == 3
    source.dispose()


def test_restore_refuses_non_empty_database_unless_forced(engine, now, tmp_path):
    _fill(engine, now)
    data = backup.dump(engine, now=now)
    with pytest.raises(backup.BackupError, match="nicht leer"):
        backup.restore(engine, data)
    backup.restore(engine, data, force=True)
    assert _without_meta(backup.dump(engine, now=now)) == _without_meta(data)


def test_restore_refuses_foreign_or_other_revision(engine, now):
    with pytest.raises(backup.BackupError, match="keine Sicherungsdatei"):
        backup.restore(engine, {"format": "etwas"})
    data = backup.dump(engine, now=now)
    data["schema_revision"] = "0000"
    with pytest.raises(backup.BackupError, match="Datenbankstand"):
        backup.restore(engine, data)


def test_unreadable_backup_file(tmp_path):
    path = tmp_path / "kaputt.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(backup.BackupError):
        backup.read_backup(path)


def test_tokens_still_work_after_restore(engine, now, tmp_path):
    from stammtisch.bootstrap import init_database

    init_database(engine, now=now)
    meeting_id = f.meeting(engine, now=now)
    receipt = f.register(engine, meeting_id, 1, now=now)
    target = make_engine(f"sqlite:///{tmp_path / 'z.db'}")
    migrate(target)
    backup.restore(target, backup.dump(engine, now=now))
    with session_scope(target) as s:
        assert (
            registrations.find_by_token(session=s, token=receipt.token, now=now).name == "Person 1"
        )
    target.dispose()
    assert now == SEED_NOW


def test_cli_backup_and_restore(tmp_path):
    import subprocess
    import sys

    from stammtisch.config import PROJECT_ROOT

    def run(url, *args):
        env = {
            "DATABASE_URL": url,
            "STAMMTISCH_NOW": "2021-11-20T12:00:00+01:00",
            "PATH": "/usr/bin",
        }
        return subprocess.run(
            [sys.executable, "-m", "stammtisch", *args],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )

    source = f"sqlite:///{tmp_path / 'a.db'}"
    target = f"sqlite:///{tmp_path / 'b.db'}"
    file = str(tmp_path / "s.json")
    assert run(source, "init").returncode == 0
    out = run(source, "backup", file)
    assert out.returncode == 0 and "Sicherung in" in out.stdout
    assert run(target, "restore", file).returncode == 0
    again = run(target, "restore", file)
    assert again.returncode == 2 and "nicht leer" in again.stderr
    assert run(target, "restore", file, "--force").returncode == 0
