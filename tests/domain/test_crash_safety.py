"""A killed process leaves an intact SQLite database with every registration it confirmed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading

from stammtisch.config import PROJECT_ROOT
from stammtisch.db import make_engine

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
