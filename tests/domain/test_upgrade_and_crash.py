"""Data safety: upgrading from the first released schema keeps every row; a killed
process leaves an intact SQLite database with every registration it confirmed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime

from sqlalchemy import text

from stammtisch.config import PROJECT_ROOT
from stammtisch.db import current_revision, make_engine, migrate, session_scope
from stammtisch.models import Meeting, Registration, Suggestion


def test_upgrade_from_first_schema_keeps_every_row(db_url, tmp_path):
    # A fresh database at revision 0001 (the template is already at head, so start empty).
    url = f"sqlite:///{tmp_path / 'old.db'}" if db_url.startswith("sqlite") else db_url
    engine = make_engine(url)
    if not db_url.startswith("sqlite"):
        with engine.begin() as conn:  # drop what the template created, start from nothing
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    # Raw SQL as an old version of the app wrote it: UTC, naive on SQLite.
    moment = datetime(2021, 11, 20, 11, tzinfo=UTC)
    now = moment.replace(tzinfo=None).isoformat(sep=" ") if url.startswith("sqlite") else moment
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO topic_field (id, slug, name, description, position, created_at) "
                "VALUES (1, 'klima', 'Klima', '', 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO meeting (id, theme, description, starts_at, ends_at, primary_topic_field_id, "
                "registration_state, status, created_at, updated_at) VALUES "
                "(1, 'Alt', '', :t, :t, 1, 'open', 'planned', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO registration (id, meeting_id, name, email, email_normalized, consent_at, "
                "status, token_hash, attendance, participant_key, created_at) VALUES "
                "(1, 1, 'Eva', 'eva@example.org', 'eva@example.org', :t, 'confirmed', 'h', 'unknown', 'k', :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO suggestion (id, text, kind, state, votes, created_at) VALUES "
                "(1, 'Ein alter Vorschlag', 'topic', 'approved', 3, :t)"
            ),
            {"t": now},
        )
    migrate(engine)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, 1)
        assert meeting.theme == "Alt" and meeting.unregistered_attendees == 0
        assert s.get(Registration, 1).email == "eva@example.org"
        assert s.get(Suggestion, 1).votes == 3
        assert s.get(Registration, 1).created_at == moment
    engine.dispose()


WORKER = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope
    from stammtisch import registrations
    engine = make_engine(sys.argv[1])
    now = parse_instant("2021-11-20T12:00:00+01:00")
    n = 0
    while True:
        with session_scope(engine) as s:
            receipt = registrations.register(
                session=s, meeting_id=2, now=now, confirmation=False,
                data=registrations.RegistrationInput(
                    name=f"Person {n}", email=f"p{n}@example.org", consent=True),
            )
        # Only after the commit returned is the visitor told "confirmed".
        print(receipt.registration_id, flush=True)
        n += 1
    """
)


def test_sigkill_during_registrations_loses_nothing_confirmed(tmp_path):
    from stammtisch.bootstrap import init_database
    from stammtisch.clock import parse_instant

    db = tmp_path / "crash.db"
    engine = make_engine(f"sqlite:///{db}")
    init_database(engine, now=parse_instant("2021-11-20T12:00:00+01:00"))
    engine.dispose()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    proc = subprocess.Popen(
        [sys.executable, str(script), f"sqlite:///{db}"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    confirmed = []
    # A stalled worker must not hang the suite: the timer kills it, readline() then ends.
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        while len(confirmed) < 150:
            line = proc.stdout.readline()
            if not line:
                break
            confirmed.append(int(line))
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(confirmed) >= 150
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT id FROM registration")}
    assert set(confirmed) <= stored
