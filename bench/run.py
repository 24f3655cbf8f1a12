"""Benchmark of the Stammtisch app: ratios against bare baselines, measured in one run.

``.venv/bin/python bench/run.py [--quick] [--parts 1,2,3,4]`` prints a Markdown report
and writes the same text to ``bench/latest.md``. The machine is noisy, so every figure
that has a target is a ratio of two measurements taken in the same run:

0. set-up: a large and a small demo database (SQLite) with an organizer account;
1. every page's script run with Streamlit's AppTest (worker ``bench/apptest_pages.py``),
   against a bare page and large against small database;
2. time to visible content in Chromium (Playwright), the app against ``bench/bare_app.py``;
3. 100 threads registering for one meeting of capacity 40 (SQLite and PostgreSQL) – the
   form (a pending registration plus its confirmation mail, one transaction) and then
   the 100 confirmations racing for the places – against the raw insert rate of the same
   database;
4. peak memory of the app server after 20 browser sessions, next to the bare app's;
5. 1,000 queued mails drained to a local SMTP server (aiosmtpd) by the app's sender,
   against a bare ``smtplib`` loop sending the same messages to the same server;
6. a burst of visitors (``bench/load.py``): N = 25 … 200 sessions in Streamlit's protocol
   against ``streamlit run`` on SQLite and PostgreSQL, against the bare app in the same
   run, and two processes behind nginx; the curve goes to ``bench/load.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.appserver import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402

PYTHON = sys.executable
NOW = "2026-11-25T12:00:00+01:00"
RACE_NOW = "2021-11-20T12:00:00+01:00"  # the seed's meeting 2 takes registrations then
ORGANIZER = "bench"
PASSWORD = "bench-passwort-123"

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BROWSER_RUNS = 5
BROWSER_TIMEOUT_MS = 180_000
SESSIONS = 20

PUBLIC_TARGET = 10.0
ORGANIZER_TARGET = 20.0
SCALE_TARGET = 1.3
BROWSER_TARGET = 1.5
THREADS = 100
CAPACITY = 40
RACE_MEETING = 2
RAW_MEETING = 3
RAW_TARGET = 0.5
RACE_ROUNDS = 3


@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool) -> str:
        (self.met if ok else self.missed).append(name)
        return "✅" if ok else "❌"

    def add(self, text: str) -> None:
        self.sections.append(text.rstrip() + "\n")
        self.sections.sort(key=lambda section: section[3:4])  # "## 1. …" before "## 2. …"
        log("done: " + text.splitlines()[0].lstrip("# "))


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- 0. set-up ---------------------------------------------------------------------------


def _env(db_url: str, now: str = NOW) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "STAMMTISCH_NOW": now}


def _stammtisch(db_url: str, *args: str) -> None:
    subprocess.run(
        [PYTHON, "-m", "stammtisch", *args],
        cwd=ROOT,
        env=_env(db_url),
        check=True,
        stdout=sys.stderr,
    )


def _add_organizer(db_url: str) -> None:
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope
    from stammtisch.organizers import add_organizer

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            add_organizer(
                session=session, name=ORGANIZER, password=PASSWORD, now=parse_instant(NOW)
            )
    finally:
        engine.dispose()


def setup_databases(workdir: Path, quick: bool) -> dict[str, str]:
    """The large and the small demo database; reused when ``workdir`` already has them."""
    registrations, people = (20_000, 15_000) if quick else (200_000, None)
    sizes = {
        "large": ["--registrations", str(registrations)]
        + (["--people", str(people)] if people else []),
        "small": ["--registrations", "2000", "--people", "1500"],
    }
    urls = {}
    for name, extra in sizes.items():
        path = workdir / f"{name}-{registrations if name == 'large' else 2000}.db"
        url = f"sqlite:///{path}"
        urls[name] = url
        done = path.with_suffix(".ready")
        if done.exists():
            log(f"reusing {path}")
            continue
        for stale in workdir.glob(path.name + "*"):
            stale.unlink()
        started = time.perf_counter()
        _stammtisch(url, "init")
        _stammtisch(url, "demo", "--scale", "netzwerk", *extra)
        _add_organizer(url)
        done.write_text("ok\n")
        log(f"{name} database ready in {time.perf_counter() - started:.1f} s")
    return urls


# --- 1. AppTest page runs ----------------------------------------------------------------


def _apptest(db_url: str, timeout: float) -> dict | str:
    """The worker's JSON, or an error text (timeout, crash)."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [PYTHON, str(BENCH / "apptest_pages.py"), ORGANIZER],
            cwd=ROOT,
            env=_env(db_url),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout:.0f} s"
    log(f"AppTest worker finished in {time.perf_counter() - started:.0f} s")
    if done.returncode != 0:
        return f"exit {done.returncode}: " + " / ".join(_traceback_excerpt(done.stderr))
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return "no JSON in the worker's output"


def _traceback_excerpt(stderr: str) -> list[str]:
    """The project's frames and the error lines of a worker's stderr, last few only."""
    project = re.compile(
        r'File "' + re.escape(str(ROOT)) + r'/(?!bench/|\.venv/)(\S+)", line (\d+)'
    )
    error = re.compile(r"^[A-Za-z_.]*(Error|Exception|Refused|Failed)\b.*")
    found: list[str] = []
    for line in stderr.splitlines():
        line = line.strip()
        if match := project.search(line):
            found.append(f"{match.group(1)}:{match.group(2)}")
        elif error.match(line):
            found.append(line[:200])
    return found[-6:] or stderr.strip().splitlines()[-3:]


def part_apptest(report: Report, urls: dict[str, str], timeout: float) -> None:
    log("part 1: AppTest, small database")
    small = _apptest(urls["small"], timeout)
    log("part 1: AppTest, large database")
    large = _apptest(urls["large"], timeout)
    notes = []
    for name, result in (("small", small), ("large", large)):
        if isinstance(result, str):
            notes.append(f"- worker on the {name} database failed: {result}")
    small = small if isinstance(small, dict) else {}
    large = large if isinstance(large, dict) else {}
    bare = (large.get("bare") or {}).get("warm_ms")
    bare_small = (small.get("bare") or {}).get("warm_ms")
    pages = [p for p in {**small, **large} if p != "bare"]
    rows: list[list[object]] = [
        [
            "bare page (from a string)",
            ms(bare_small),
            ms(bare),
            "1.00×" if bare else "–",
            ratio(bare / bare_small if bare and bare_small else None),
            ms((large.get("bare") or {}).get("cold_ms")),
            "",
            "",
        ]
    ]
    for page in pages:
        s = (small.get(page) or {}).get("warm_ms")
        lg = (large.get(page) or {}).get("warm_ms")
        cold = (large.get(page) or {}).get("cold_ms")
        limit = ORGANIZER_TARGET if Path(page).name.startswith("orga_") else PUBLIC_TARGET
        vs_bare = lg / bare if lg is not None and bare else None
        scale = lg / s if lg is not None and s else None
        bare_mark = (
            report.check(f"AppTest {page} ≤ {limit:.0f}× bare", vs_bare <= limit)
            if vs_bare is not None
            else report.check(f"AppTest {page} measured", False)
        )
        scale_mark = (
            report.check(f"AppTest {page} large/small ≤ {SCALE_TARGET}", scale <= SCALE_TARGET)
            if scale is not None
            else "–"
        )
        rows.append(
            [
                f"`{page}`",
                ms(s),
                ms(lg),
                ratio(vs_bare),
                ratio(scale),
                ms(cold),
                f"{bare_mark} ≤ {limit:.0f}×",
                f"{scale_mark} ≤ {SCALE_TARGET}×",
            ]
        )
    if not large or not small:
        report.check("AppTest worker completed on both databases", False)
    runs = (large.get("bare") or {}).get("warm_runs", "several")
    text = (
        "## 1. Page script runs (AppTest)\n\n"
        f"Warm run = median of {runs} reruns of the page with data caches filled; cold = first run "
        "after `st.cache_data.clear()`. Ratios against the bare one-line page measured in "
        "the large run.\n\n"
        + table(
            [
                "page",
                "warm small (ms)",
                "warm large (ms)",
                "large / bare",
                "large / small",
                "cold large (ms)",
                "target vs bare",
                "target scale",
            ],
            rows,
        )
    )
    if notes:
        text += "\n\n" + "\n".join(notes)
    report.add(text)


# --- servers for parts 2 and 4 ------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen
    base: str


def start_server(script: str, env: dict[str, str], logfile: Path) -> Server:
    proc, base = start_app(env, script, log=logfile, timeout=120)
    return Server(proc, base)


def stop_server(server: Server | None) -> None:
    if server is not None:
        stop_app(server.proc)


def memory_mb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) / 1024
    return values


# --- 2. time to visible content ------------------------------------------------------------


def _wait_idle(page) -> None:
    page.wait_for_selector(IDLE, timeout=BROWSER_TIMEOUT_MS)


def _visible(page, text: str) -> None:
    page.get_by_text(text, exact=True).first.wait_for(state="visible", timeout=BROWSER_TIMEOUT_MS)


def _new_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context


def _median_after_warmup(measure: Callable[[], float]) -> tuple[float, list[float]]:
    measure()
    runs = [measure() for _ in range(BROWSER_RUNS)]
    return statistics.median(runs), runs


def _start_page_ms(browser, url: str, text: str) -> float:
    context = _new_context(browser)
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        _visible(page, text)
        _wait_idle(page)
        return (time.perf_counter() - started) * 1000
    finally:
        context.close()


def _nav_link(page, title: str):
    """The sidebar navigation link whose label is exactly ``title``."""
    links = page.locator('[data-testid="stSidebarNavLink"]')
    return links.filter(has=page.get_by_text(title, exact=True)).first


def _switch_ms(page, away: str, away_text: str, target: str, wait_for: Callable) -> float:
    """Go to page ``away`` first, then time the click on ``target`` until content shows."""
    _nav_link(page, away).click()
    _visible(page, away_text)
    _wait_idle(page)
    started = time.perf_counter()
    _nav_link(page, target).click()
    wait_for()
    _wait_idle(page)
    return (time.perf_counter() - started) * 1000


def _log_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_role("textbox", name="Anmeldename").wait_for()
    _wait_idle(page)
    page.get_by_role("textbox", name="Anmeldename").fill(ORGANIZER)
    page.get_by_role("textbox", name="Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Angemeldet als").first.wait_for()
    _wait_idle(page)


def dashboard_title() -> str:
    """The dashboard's navigation title, as ui/layout.py names it."""
    from ui.layout import ORGANIZER_PAGES

    return next(title for page, title, *_ in ORGANIZER_PAGES if page == "pages/orga_dashboard.py")


def part_browser(report: Report, browser, app: Server, bare: Server) -> None:
    log("part 2: start page")
    start_app, start_app_runs = _median_after_warmup(
        lambda: _start_page_ms(browser, app.base + "/", "Nächste Termine")
    )
    start_bare, start_bare_runs = _median_after_warmup(
        lambda: _start_page_ms(browser, bare.base + "/", "Hallo")
    )

    log("part 2: dashboard")
    title = dashboard_title()
    context = _new_context(browser)
    try:
        page = context.new_page()
        _log_in(page, app.base)
        charts = page.locator('[data-testid="stMetric"], [data-testid="stVegaLiteChart"]')
        dash_app, dash_app_runs = _median_after_warmup(
            lambda: _switch_ms(
                page,
                "Termine",
                "Nächste Termine",
                title,
                lambda: charts.first.wait_for(state="visible"),
            )
        )
    finally:
        context.close()
    context = _new_context(browser)
    try:
        page = context.new_page()
        page.goto(bare.base + "/")
        _visible(page, "Hallo")
        _wait_idle(page)
        dash_bare, dash_bare_runs = _median_after_warmup(
            lambda: _switch_ms(
                page, "Start", "Hallo", "Seite 2", lambda: _visible(page, "Zweite Seite")
            )
        )
    finally:
        context.close()

    rows = []
    for name, app_ms, app_runs, bare_ms, bare_runs in (
        (
            "start page, fresh browser context",
            start_app,
            start_app_runs,
            start_bare,
            start_bare_runs,
        ),
        (
            f"dashboard („{title}“) by sidebar link",
            dash_app,
            dash_app_runs,
            dash_bare,
            dash_bare_runs,
        ),
    ):
        value = app_ms / bare_ms
        mark = report.check(f"browser: {name} ≤ {BROWSER_TARGET}× bare", value <= BROWSER_TARGET)
        rows.append(
            [
                name,
                ms(app_ms),
                ms(bare_ms),
                ratio(value),
                f"{mark} ≤ {BROWSER_TARGET}×",
                " / ".join(ms(r) for r in app_runs),
                " / ".join(ms(r) for r in bare_runs),
            ]
        )
    report.add(
        "## 2. Time to visible content in Chromium\n\n"
        f"Median of {BROWSER_RUNS} after one warm-up; until the content is visible and the "
        "script has finished. App on the large database; bare = `bench/bare_app.py`.\n\n"
        + table(
            [
                "measurement",
                "app (ms)",
                "bare (ms)",
                "app / bare",
                "target",
                "app runs",
                "bare runs",
            ],
            rows,
        )
    )


# --- 4. memory after 20 sessions -----------------------------------------------------------


def _sessions_memory(browser, server: Server, text: str) -> dict[str, float]:
    before = memory_mb(server.proc.pid)
    contexts = []
    try:
        for _ in range(SESSIONS):
            context = _new_context(browser)
            contexts.append(context)
            page = context.new_page()
            page.goto(server.base + "/")
            _visible(page, text)
            _wait_idle(page)
        time.sleep(1)
        after = memory_mb(server.proc.pid)
    finally:
        for context in contexts:
            context.close()
    return {"rss_before": before["VmRSS"], "rss": after["VmRSS"], "hwm": after["VmHWM"]}


def part_memory(report: Report, browser, app: Server, bare: Server) -> None:
    log(f"part 4: {SESSIONS} sessions on the app")
    app_mem = _sessions_memory(browser, app, "Nächste Termine")
    log(f"part 4: {SESSIONS} sessions on the bare app")
    bare_mem = _sessions_memory(browser, bare, "Hallo")
    rows = [
        [
            name,
            f"{mem['rss_before']:.0f}",
            f"{mem['rss']:.0f}",
            f"{mem['hwm']:.0f}",
            f"{(mem['rss'] - mem['rss_before']) / SESSIONS:.1f}",
        ]
        for name, mem in (("app (`app.py`, large db)", app_mem), ("bare app", bare_mem))
    ]
    rows.append(
        [
            "app / bare",
            ratio(app_mem["rss_before"] / bare_mem["rss_before"]),
            ratio(app_mem["rss"] / bare_mem["rss"]),
            ratio(app_mem["hwm"] / bare_mem["hwm"]),
            "",
        ]
    )
    report.add(
        f"## 4. Server memory after {SESSIONS} browser sessions\n\n"
        f"The server processes of part 2; {SESSIONS} contexts each load the start page and "
        "stay open. From `/proc/<pid>/status`, in MB; peak (VmHWM) over the whole process "
        "life, including part 2.\n\n"
        + table(
            [
                "server",
                "RSS before (MB)",
                f"RSS with {SESSIONS} sessions (MB)",
                "peak VmHWM (MB)",
                "MB per session",
            ],
            rows,
        )
    )


def parts_browser(report: Report, urls: dict[str, str], workdir: Path, parts: set[int]) -> None:
    from playwright.sync_api import sync_playwright

    app = bare = None
    try:
        log("starting the app server (large database) and the bare app")
        app = start_server("app.py", _env(urls["large"]), workdir / "app-server.log")
        bare = start_server("bench/bare_app.py", _env(urls["large"]), workdir / "bare-server.log")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                if 2 in parts:
                    _guarded(report, "2. browser", lambda: part_browser(report, browser, app, bare))
                if 4 in parts:
                    _guarded(report, "4. memory", lambda: part_memory(report, browser, app, bare))
            finally:
                browser.close()
    finally:
        stop_server(app)
        stop_server(bare)


# --- 3. concurrency --------------------------------------------------------------------------


def _race(threads: int, work: Callable[[int], object]) -> tuple[float, list[object]]:
    """Run ``work(n)`` in ``threads`` threads released together; (wall seconds, results)."""
    started: list[float] = []
    barrier = threading.Barrier(threads, action=lambda: started.append(time.perf_counter()))

    def one(n: int) -> object:
        barrier.wait()
        try:
            return work(n)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(one, range(threads)))
    return time.perf_counter() - started[0], results


def _race_database(engine) -> dict[str, object]:
    from sqlalchemy import func, insert, select, update

    from stammtisch import db
    from stammtisch.bootstrap import init_database
    from stammtisch.clock import parse_instant
    from stammtisch.models import Attendance, Mail, Meeting, Registration, RegistrationStatus
    from tests import factories

    now = parse_instant(RACE_NOW)
    init_database(engine, now=now)
    with db.session_scope(engine) as s:
        s.execute(update(Meeting).where(Meeting.id == RACE_MEETING).values(capacity=CAPACITY))
        s.commit()
    table_ = Registration.__table__
    sqlite = engine.dialect.name == "sqlite"

    def raw_insert(round_: int) -> Callable[[int], object]:
        def work(n: int) -> object:
            conn = engine.connect()
            try:
                if sqlite:  # the app's own way to write on SQLite: BEGIN IMMEDIATE
                    conn = conn.execution_options(**{db._IMMEDIATE: True})
                with conn.begin():
                    conn.execute(
                        insert(table_).values(
                            meeting_id=RAW_MEETING,
                            name=f"Raw {round_}-{n}",
                            email=f"raw{round_}-{n}@example.org",
                            email_normalized=f"raw{round_}-{n}@example.org",
                            consent_at=now,
                            status=RegistrationStatus.CONFIRMED,
                            token_hash=secrets.token_hex(32),
                            attendance=Attendance.UNKNOWN,
                            participant_key=secrets.token_hex(32),
                            created_at=now,
                        )
                    )
            finally:
                conn.close()
            return None

        return work

    def register(n: int) -> object:
        # The form: a pending registration and its confirmation mail, one transaction.
        return factories.register(engine, RACE_MEETING, n, now=now, confirm=False)

    def clear() -> None:
        with engine.begin() as conn:
            conn.execute(Mail.__table__.delete())
            conn.execute(
                table_.delete().where(table_.c.meeting_id.in_([RACE_MEETING, RAW_MEETING]))
            )

    # Warm the connection pool; then, per round, raw inserts before and after the service
    # runs on an empty meeting. Several rounds: SQLite's busy waits make one run noisy.
    _race(THREADS, lambda n: engine.connect().close())
    rounds = []
    for round_ in range(RACE_ROUNDS):
        clear()
        raw_first, raw_errors_first = _race(THREADS, raw_insert(2 * round_))
        service, results = _race(THREADS, register)
        tokens = [factories.link_token(engine, f"person{n}@example.org") for n in range(THREADS)]
        confirming, confirmed_results = _race(
            THREADS,
            lambda n, tokens=tokens: factories.confirm_registration(engine, tokens[n], now=now),
        )
        raw_second, raw_errors_second = _race(THREADS, raw_insert(2 * round_ + 1))
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    select(table_.c.status, func.count())
                    .where(table_.c.meeting_id == RACE_MEETING)
                    .group_by(table_.c.status)
                ).all()
            )
            mails = conn.execute(select(func.count()).select_from(Mail.__table__)).scalar_one()
        raw_wall = statistics.mean([raw_first, raw_second])
        rounds.append(
            {
                "service_s": service,
                "ratio": raw_wall / service,
                "confirm_s": confirming,
                "confirm_ratio": raw_wall / confirming,
                "raw_s": raw_wall,
                "confirmed": counts.get(RegistrationStatus.CONFIRMED.value, 0),
                "waitlisted": counts.get(RegistrationStatus.WAITLISTED.value, 0),
                "mails": mails,
                "errors": [r for r in results + confirmed_results if isinstance(r, Exception)],
                "raw_errors": [
                    r for r in raw_errors_first + raw_errors_second if isinstance(r, Exception)
                ],
            }
        )
    middle = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
    return {
        "service_s": middle["service_s"],
        "service_rate": THREADS / middle["service_s"],
        "confirm_rate": THREADS / middle["confirm_s"],
        "raw_rate": THREADS / middle["raw_s"],
        "ratios": [r["ratio"] for r in rounds],
        "confirm_ratios": [r["confirm_ratio"] for r in rounds],
        "confirmed": [r["confirmed"] for r in rounds],
        "waitlisted": [r["waitlisted"] for r in rounds],
        "mails": [r["mails"] for r in rounds],
        "errors": [e for r in rounds for e in r["errors"]],
        "raw_errors": [e for r in rounds for e in r["raw_errors"]],
    }


def _race_sqlite(workdir: Path) -> dict[str, object]:
    from stammtisch.db import make_engine

    path = workdir / "race.db"
    for stale in workdir.glob("race.db*"):
        stale.unlink()
    engine = make_engine(f"sqlite:///{path}")
    try:
        return _race_database(engine)
    finally:
        engine.dispose()


def _race_postgres() -> dict[str, object]:
    from sqlalchemy import create_engine, text

    from stammtisch.db import make_engine
    from tests.pgserver import start_server as start_pg

    server = start_pg()
    try:
        admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        engine = make_engine(server.url("bench"))
        try:
            return _race_database(engine)
        finally:
            engine.dispose()
    finally:
        server.stop()


def part_concurrency(report: Report, workdir: Path) -> None:
    rows = []
    notes = []
    for name, run in (("SQLite", lambda: _race_sqlite(workdir)), ("PostgreSQL", _race_postgres)):
        log(f"part 3: {THREADS} threads on {name}")
        try:
            r = run()
        except Exception as exc:
            traceback.print_exc()
            report.check(f"concurrency on {name} ran", False)
            rows.append([name, "–", "–", "–", "–", "–", "–", "–", f"❌ failed: {exc!r}"[:200]])
            continue
        value = r["service_rate"] / r["raw_rate"]
        confirm_value = r["confirm_rate"] / r["raw_rate"]
        rule = all(c == CAPACITY for c in r["confirmed"])
        rule = rule and all(w == THREADS - CAPACITY for w in r["waitlisted"])
        rule = rule and all(m == 2 * THREADS for m in r["mails"]) and not r["errors"]
        rule_mark = report.check(
            f"concurrency {name}: {CAPACITY} confirmed, {THREADS - CAPACITY} waitlisted, "
            f"{2 * THREADS} mails, 0 errors",
            rule,
        )
        rate_mark = report.check(
            f"concurrency {name}: registration with its mail ≥ {RAW_TARGET}× raw insert rate",
            value >= RAW_TARGET,
        )
        rows.append(
            [
                name,
                f"{r['service_rate']:,.0f}",
                f"{r['raw_rate']:,.0f}",
                ratio(value) + " (" + " / ".join(ratio(x) for x in r["ratios"]) + ")",
                f"{r['confirm_rate']:,.0f} = {ratio(confirm_value)}",
                " / ".join(str(c) for c in r["confirmed"]),
                " / ".join(str(w) for w in r["waitlisted"]),
                " / ".join(str(m) for m in r["mails"]),
                len(r["errors"]),
                f"{rule_mark} {CAPACITY}/{THREADS - CAPACITY}/0; {rate_mark} ≥ {RAW_TARGET}×",
            ]
        )
        for exc in r["errors"][:3]:
            notes.append(f"- {name} error: `{type(exc).__name__}: {exc}`"[:300])
        if r["raw_errors"]:
            notes.append(
                f"- {name}: {len(r['raw_errors'])} raw inserts failed, e.g. "
                f"`{r['raw_errors'][0]!r}`"[:300]
            )
    text = (
        f"## 3. {THREADS} simultaneous registrations, capacity {CAPACITY}\n\n"
        f"{THREADS} threads released by a barrier call `registrations.register` for one "
        "meeting (a pending registration and its confirmation mail in one transaction); "
        f"then {THREADS} threads confirm at once (`registrations.confirm`: the capacity "
        "rule under the meeting's lock, and the mail with the place or the waitlist). "
        "Raw = the same number of threads each inserting one registration row in its own "
        "transaction (mean of a run before and one after). "
        f"{RACE_ROUNDS} rounds on an emptied meeting; the row shows the median round, "
        "all rounds' ratios in brackets, and every round's counts.\n\n"
        + table(
            [
                "database",
                "form (reg/s)",
                "raw insert (rows/s)",
                "form / raw",
                "confirmations (/s) = / raw",
                "confirmed",
                "waitlisted",
                "mails",
                "errors",
                "targets",
            ],
            rows,
        )
    )
    if notes:
        text += "\n\n" + "\n".join(notes)
    report.add(text)


# --- 5. mail drain ------------------------------------------------------------------------------

MAILS = 1000
MAIL_TARGET = 0.5


def _queue_mails(engine, count: int) -> None:
    from stammtisch import mail, mail_texts
    from stammtisch.clock import parse_instant
    from stammtisch.config import load_settings
    from stammtisch.db import session_scope, write_transaction

    now = parse_instant(RACE_NOW)
    content = mail_texts.test_mail("Bench", load_settings())
    with session_scope(engine) as s, write_transaction(s):
        for n in range(count):
            mail.queue(
                s,
                kind="test",
                to_address=f"leser{n}@example.org",
                to_name=f"Leser {n}",
                content=content,
                now=now,
                secret=secrets.token_urlsafe(32),
            )


def _drain(engine, smtp) -> dict[str, float]:
    import smtplib

    from sqlmodel import select

    from stammtisch import mailer
    from stammtisch.clock import parse_instant
    from stammtisch.config import Settings
    from stammtisch.db import session_scope
    from stammtisch.models import Mail

    settings = Settings(
        database_url="unused",
        smtp_url=smtp.url,
        mail_from="Strukturwandel-Stammtisch <stammtisch@example.org>",
    )
    now = parse_instant(RACE_NOW)
    _queue_mails(engine, MAILS)
    # The same messages, built beforehand, for the bare loop (it measures SMTP alone).
    with session_scope(engine) as s:
        messages = [mailer.build_message(m, settings) for m in s.exec(select(Mail)).all()]
    started = time.perf_counter()
    report = mailer.send_pass(engine, settings=settings, now=now, limit=MAILS + 10)
    app_s = time.perf_counter() - started
    smtp.clear()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", smtp.port) as client:
        for message in messages:
            client.send_message(message)
    bare_s = time.perf_counter() - started
    received = len(smtp.received)
    return {"sent": report.sent, "app_s": app_s, "bare_s": bare_s, "bare_received": received}


def part_mail(report: Report, workdir: Path) -> None:
    from sqlalchemy import create_engine, text

    from stammtisch.bootstrap import init_database
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine
    from tests.pgserver import start_server as start_pg
    from tests.smtpserver import SmtpServer

    rows = []
    smtp = SmtpServer().start()
    try:
        for name in ("SQLite", "PostgreSQL"):
            log(f"part 5: {MAILS} mails on {name}")
            server = None
            if name == "SQLite":
                for stale in workdir.glob("mail.db*"):
                    stale.unlink()
                engine = make_engine(f"sqlite:///{workdir / 'mail.db'}")
            else:
                server = start_pg()
                admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("CREATE DATABASE mailbench"))
                admin.dispose()
                engine = make_engine(server.url("mailbench"))
            try:
                init_database(engine, now=parse_instant(RACE_NOW))
                smtp.clear()
                r = _drain(engine, smtp)
            finally:
                engine.dispose()
                if server is not None:
                    server.stop()
            value = r["bare_s"] / r["app_s"]
            ok = r["sent"] == MAILS and r["bare_received"] == MAILS
            mark = report.check(
                f"mail {name}: {MAILS} sent, ≥ {MAIL_TARGET}× a bare smtplib loop",
                ok and value >= MAIL_TARGET,
            )
            rows.append(
                [
                    name,
                    r["sent"],
                    f"{MAILS / r['app_s']:,.0f}",
                    f"{r['app_s'] / MAILS * 1000:.2f}",
                    f"{r['bare_s'] / MAILS * 1000:.2f}",
                    ratio(value),
                    f"{mark} ≥ {MAIL_TARGET}×",
                ]
            )
    finally:
        smtp.stop()
    report.add(
        f"## 5. {MAILS} queued mails drained to a local SMTP server\n\n"
        "The app's sender (`mailer.send_pass`: claim with lease, build, send, mark sent) "
        "against a bare `smtplib` loop sending the same, already built messages over one "
        "connection to the same aiosmtpd server on 127.0.0.1.\n\n"
        + table(
            [
                "database",
                "sent",
                "mails/s",
                "ms per mail",
                "bare ms per mail",
                "bare / app",
                "target",
            ],
            rows,
        )
    )


# --- 6. a burst of visitors -------------------------------------------------------------------


def part_load(report: Report, quick: bool) -> None:
    """bench/load.py; its section joins this report, its targets count here too."""
    sys.path.insert(0, str(BENCH))
    import load

    argv = ["--output", str(BENCH / "load.md"), "--png", str(BENCH / "load.png")]
    if quick:
        argv += ["--sizes", "25,100", "--databases", "sqlite", "--nginx", "0", "--browsers", "1"]
    outcome = load.run(argv)
    for name in outcome.met:
        report.check("load: " + name, True)
    for name in outcome.missed:
        report.check("load: " + name, False)
    section = outcome.document.split("**Load targets:")[0]
    report.add(section)


# --- main ------------------------------------------------------------------------------------


def _guarded(report: Report, name: str, body: Callable[[], None]) -> None:
    """Run one part; a crash becomes a missed target and a note, not the end of the run."""
    try:
        body()
    except Exception as exc:
        traceback.print_exc()
        report.check(f"part {name} completed", False)
        report.add(f"## {name}\n\n❌ failed: `{type(exc).__name__}: {exc}`"[:1000])


@contextmanager
def _workdir(given: str | None) -> Iterator[Path]:
    if given:
        path = Path(given).resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="stammtisch-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="20,000 instead of 200,000 registrations"
    )
    parser.add_argument("--parts", default="1,2,3,4,5,6", help="which parts to run, e.g. 2,3,5")
    parser.add_argument(
        "--workdir", help="keep the databases here and reuse them next time (default: temp dir)"
    )
    parser.add_argument(
        "--apptest-timeout",
        type=float,
        default=420,
        help="seconds per AppTest worker run before it counts as failed (default 420)",
    )
    parser.add_argument("--output", default=str(BENCH / "latest.md"))
    args = parser.parse_args(argv)
    parts = {int(p) for p in args.parts.split(",") if p.strip()}

    started = time.perf_counter()
    report = Report()
    with _workdir(args.workdir) as workdir:
        urls: dict[str, str] = {}
        if parts & {1, 2, 4}:
            log("part 0: databases")
            urls = setup_databases(workdir, args.quick)
        if 1 in parts:
            _guarded(report, "1. AppTest", lambda: part_apptest(report, urls, args.apptest_timeout))
        if parts & {2, 4}:
            _guarded(report, "2./4. browser", lambda: parts_browser(report, urls, workdir, parts))
        if 3 in parts:
            _guarded(report, "3. concurrency", lambda: part_concurrency(report, workdir))
        if 5 in parts:
            _guarded(report, "5. mail", lambda: part_mail(report, workdir))
        if 6 in parts:
            _guarded(report, "6. load", lambda: part_load(report, args.quick))

    large = "20,000" if args.quick else "200,000"
    head = (
        "# Stammtisch benchmark\n\n"
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, parts {args.parts}, "
        f"{'quick: ' if args.quick else ''}large database {large} registrations, "
        f"small 2,000; clock pinned to {NOW}; {os.cpu_count()} cores; "
        f"run took {time.perf_counter() - started:.0f} s.\n"
    )
    summary = f"**Targets: {len(report.met)} met, {len(report.missed)} missed.**"
    if report.missed:
        summary += "\n\nMissed:\n" + "\n".join(f"- {name}" for name in report.missed)
    document = "\n".join([head, *report.sections, summary]) + "\n"
    Path(args.output).write_text(document, encoding="utf-8")
    print(document, end="", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
