"""Worker of bench/run.py: every page's script run with Streamlit's AppTest.

Run as ``python bench/apptest_pages.py`` with DATABASE_URL and STAMMTISCH_NOW set; prints
one JSON object: per page the cold run (data caches empty) and the median warm run, in
milliseconds, and the same for a bare one-line Streamlit page measured in this process.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from stammtisch import organizers  # noqa: E402
from ui import layout  # noqa: E402

PUBLIC = [
    "pages/termine.py",
    "pages/themensammlung.py",
    "pages/impuls.py",
    "pages/datenschutz.py",
    "pages/impressum.py",
]
# Every team page the navigation offers, except the account page.
ORGANIZER = [page for page, *_ in layout.ORGANIZER_PAGES if page != "pages/login.py"]
BARE = "import streamlit as st\nst.write('Hallo')\n"
WARM_RUNS = 9


def _timed(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"page failed: {at.exception[0].message}")
    return elapsed


def _measure(at: AppTest) -> dict[str, float]:
    st.cache_data.clear()
    cold = _timed(at)
    warm = statistics.median(_timed(at) for _ in range(WARM_RUNS))
    return {"cold_ms": cold, "warm_ms": warm}


def main() -> None:
    login = None
    if len(sys.argv) > 1:
        from sqlmodel import select

        from stammtisch import organizer_sessions
        from stammtisch.db import make_engine, session_scope
        from stammtisch.models import Organizer

        engine = make_engine(__import__("os").environ["DATABASE_URL"])
        with session_scope(engine) as s:
            row = s.exec(select(Organizer).where(Organizer.name == sys.argv[1])).one()
            identity = organizers.OrganizerIdentity(
                id=row.id, name=row.name, display_name=row.display_name
            )
        with session_scope(engine) as s:  # a server-side session, as a login starts it
            started = organizer_sessions.start(session=s, actor=identity, now=datetime.now(UTC))
        login = (started.view.id, started.view.created_at)
        engine.dispose()

    bare = AppTest.from_string(BARE, default_timeout=60)
    bare.run()
    results = {"bare": _measure(bare)}
    for page in PUBLIC + ORGANIZER:
        at = AppTest.from_file(str(ROOT / "navigation.py"), default_timeout=300)
        if page in ORGANIZER:
            at.session_state["organizer.session"] = login
        at.run()  # the router once (engine and settings), then the page itself
        at.switch_page(page)
        results[page] = _measure(at)
    # The bare page again at the end: the machine may have changed speed meanwhile.
    again = _measure(bare)
    results["bare"]["warm_ms"] = statistics.median([results["bare"]["warm_ms"], again["warm_ms"]])
    results["bare"]["warm_runs"] = WARM_RUNS
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
