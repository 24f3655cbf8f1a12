"""The load test in small (bench/load.py at N = 10): counts and errors, never times.

``streamlit run app.py`` on a seeded database with one meeting of capacity 4; ten
visitors arrive within three seconds, driven in Streamlit's own protocol, and all of them
register while the organizer reloads the dashboard. Exactly four get a place, six the
waitlist, and nobody sees an error or waits in vain.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.aio import in_thread
from tests.appserver import ROOT, stop_app

CAPACITY = 4
VISITORS = 10


def _load_module():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", "postgresql"])
def smoke_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'smoke.db'}"
    return request.getfixturevalue("empty_pg_url")


def test_load_smoke_ten_visitors_fill_four_places_without_errors(smoke_db, tmp_path: Path):
    load = _load_module()
    meeting = load.prepare_database(smoke_db, tmp_path, 0, capacity=CAPACITY)
    proc, base = load.start("app.py", load._env(smoke_db, tmp_path), tmp_path / "app.log")
    try:
        target = load.Target(
            "app", base, [proc.pid], meeting, load.organizer_cookie(smoke_db, base)
        )
        # In a thread of its own: the protocol client runs asyncio (see tests/aio.py).
        result = in_thread(load.run_once, target, "smoke", VISITORS, window=3.0, seed=10, share=1.0)
    finally:
        stop_app(proc)
    problems = [v.error for v in result.visits if v.error] + result.dashboard_errors
    assert problems == []
    assert result.timeouts == 0
    assert result.counts("confirmed") == CAPACITY
    assert result.counts("waitlisted") == VISITORS - CAPACITY
    assert load.meeting_counts(smoke_db, meeting) == (CAPACITY, VISITORS - CAPACITY)
    assert len(result.values("load_ms")) == VISITORS
    assert result.dashboard_ms, "the organizer's dashboard never loaded"
