"""A burst of visitors: many simultaneous sessions against a running ``streamlit run`` server.

The moment it models: the newsletter goes out; within a short window N people open the
start page, a share of them opens the registration form of one meeting (capacity 40) and
registers, while one organizer keeps reloading the dashboard. Streamlit runs every script
run of every session in one Python process, so this is what the app must hold.

Visitors are driven at the WebSocket level with Streamlit's own protocol messages from the
installed package (``streamlit.proto``): a page load is ``GET /`` (which sets the cookies a
browser gets: the visitor cookie, behind nginx the sticky-node cookie), then the WebSocket
``/_stcore/stream`` and a ``BackMsg.rerun_script`` with the page's ``ClientState``, exactly
what the frontend sends; every ForwardMsg until ``script_finished`` is read and parsed.
Opening the form is a rerun with the expander's widget state set, registering a rerun
with the form's values and the submit button's trigger, as the frontend sends them. A
visitor's address reaches the app as ``X-Forwarded-For`` from the local (trusted) proxy,
so each simulated visitor is its own network for the app's limits. The organizer holds
the team's login cookie (a server-side session redeemed through ``/team/sitzung``, as the
browser does after a login) and reloads the dashboard: a fresh session each time.

The same arrival pattern runs against the bare two-page app (``bench/bare_app.py``): its
visitors load "Hallo", the same share switches to "Seite 2". Figures that have a target
are ratios of app and bare measured in one run, interleaved per N.

``.venv/bin/python bench/load.py [--sizes 25,50,100,200] [--databases sqlite,postgresql]
[--window 10] [--browsers 2] [--nginx]`` prints a Markdown report and writes it to
``bench/load.md`` with the curve ``bench/load.png``; ``bench/run.py`` runs it as part 6.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.appserver import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402

PYTHON = sys.executable
NOW = "2026-11-25T12:00:00+01:00"
ORGANIZER = "lasttest"
PASSWORD = "lasttest-passwort-123"
SECRET_KEY = "lasttest-gemeinsamer-schluessel-fuer-alle-prozesse"
CAPACITY = 40
SHARE = 0.5  # of the visitors register
SIZES = (25, 50, 100, 200)
WINDOW_S = 10.0
STEP_TIMEOUT_S = 60.0
RATIO_TARGET = 2.0  # app p95 / bare p95 at N = 100
THEME = "Lasttest: Der Newsletter ist raus"
DASHBOARD_PATH = "team-auswertung"
APP_MARKER = "Nächste Termine"
BARE_MARKER = "Hallo"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the protocol client -----------------------------------------------------------------


class ProtocolError(Exception):
    """The server answered something a browser would show as an error."""


@dataclass
class Element:
    kind: str  # "text_input", "button", "alert", …, or "block"
    proto: object
    path: tuple[int, ...]


@dataclass
class ScriptRun:
    """The ForwardMsgs of one script run, parsed."""

    elements: list[Element] = field(default_factory=list)
    navigation: object | None = None
    finished_at: float = 0.0
    first_marker_at: float | None = None
    messages: int = 0
    bytes: int = 0
    exception: str | None = None

    def texts(self) -> list[str]:
        out = []
        for el in self.elements:
            body = getattr(el.proto, "body", None)
            if isinstance(body, str):
                out.append(body)
            label = getattr(el.proto, "label", None)
            if isinstance(label, str):
                out.append(label)
        return out

    def has_text(self, text: str) -> bool:
        return any(text in t for t in self.texts())

    def widget(self, kind: str, label: str | None = None, id_suffix: str | None = None):
        for el in self.elements:
            if el.kind != kind:
                continue
            if label is not None and getattr(el.proto, "label", None) != label:
                continue
            if id_suffix is not None and not str(getattr(el.proto, "id", "")).endswith(id_suffix):
                continue
            return el.proto
        raise ProtocolError(f"no {kind} {label or id_suffix!r} on the page")

    def expander_id(self, id_suffix: str) -> str:
        for el in self.elements:
            expandable = el.kind == "block" and el.proto.HasField("expandable")
            if expandable and el.proto.expandable.id.endswith(id_suffix):
                return el.proto.expandable.id
        raise ProtocolError(f"no expander {id_suffix!r} on the page")


class Client:
    """One browser tab, spoken to in Streamlit's protocol."""

    def __init__(self, base: str, *, address: str | None = None, cookies: dict | None = None):
        self.base = base
        self.address = address
        self.cookies: dict[str, str] = dict(cookies or {})
        self.ws = None
        self.states: dict[str, tuple[str, object]] = {}
        self.page_script_hash = ""

    def _headers(self) -> dict[str, str]:
        headers = {}
        if self.address:
            headers["X-Forwarded-For"] = self.address
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _get_page(self, path: str) -> None:
        request = urllib.request.Request(self.base + "/" + path, headers=self._headers())
        with urllib.request.urlopen(request, timeout=STEP_TIMEOUT_S) as response:
            response.read()
            for name, value in response.headers.items():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]

    async def open(self, path: str = "") -> None:
        """The page's HTML (as the browser loads it), then the WebSocket."""
        from websockets.asyncio.client import connect

        await asyncio.to_thread(self._get_page, path)
        url = self.base.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.ws = await connect(
            url,
            subprotocols=["streamlit"],
            additional_headers={**self._headers(), "Origin": self.base},
            max_size=None,
            open_timeout=STEP_TIMEOUT_S,
            ping_interval=None,
        )

    async def close(self) -> None:
        if self.ws is not None:
            with suppress(Exception):
                await self.ws.close()
            self.ws = None

    def set(self, widget_id: str, value_type: str, value: object) -> None:
        self.states[widget_id] = (value_type, value)

    async def rerun(
        self,
        *,
        page_name: str = "",
        trigger: str | None = None,
        marker: str | None = None,
        started: float | None = None,
    ) -> ScriptRun:
        """Send a rerun with every widget value this tab holds (plus a button's trigger),
        read until the script run has finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = self.page_script_hash
        state.page_name = page_name
        state.context_info.timezone = "Europe/Berlin"
        state.context_info.timezone_offset = -60
        state.context_info.locale = "de-DE"
        state.context_info.url = f"{self.base}/{page_name}"
        for widget_id, (value_type, value) in self.states.items():
            w = state.widget_states.widgets.add()
            w.id = widget_id
            setattr(w, value_type, value)
        if trigger is not None:
            w = state.widget_states.widgets.add()
            w.id = trigger
            w.trigger_value = True
        await self.ws.send(msg.SerializeToString())
        run = ScriptRun()
        by_path: dict[tuple[int, ...], Element] = {}
        while True:
            data = await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT_S)
            run.messages += 1
            run.bytes += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "delta":
                path = tuple(fm.metadata.delta_path)
                delta = fm.delta
                which = delta.WhichOneof("type")
                if which == "new_element":
                    el_kind = delta.new_element.WhichOneof("type")
                    proto = getattr(delta.new_element, el_kind)
                    by_path[path] = Element(el_kind, proto, path)
                    if el_kind == "exception":
                        run.exception = proto.message
                    if marker and run.first_marker_at is None:
                        body = getattr(proto, "body", "")
                        if isinstance(body, str) and marker in body:
                            run.first_marker_at = time.perf_counter()
                elif which == "add_block":
                    by_path[path] = Element("block", delta.add_block, path)
            elif kind == "navigation":
                run.navigation = fm.navigation
                if fm.navigation.page_script_hash:
                    self.page_script_hash = fm.navigation.page_script_hash
            elif kind == "page_not_found":
                raise ProtocolError(f"page not found: {page_name}")
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    by_path.clear()
                    continue
                if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise ProtocolError("script compile error")
                run.finished_at = time.perf_counter()
                break
        run.elements = [by_path[p] for p in sorted(by_path)]
        for el in run.elements:
            if el.kind == "alert" and "schiefgegangen" in el.proto.body:
                raise ProtocolError("error page: " + el.proto.body[:80])
        if run.exception:
            raise ProtocolError("exception: " + run.exception[:200])
        return run

    def page_hash(self, run: ScriptRun, title: str) -> str:
        nav = run.navigation
        if nav is None:
            raise ProtocolError("no navigation message")
        for page in nav.app_pages:
            if page.page_name == title:
                return page.page_script_hash
        raise ProtocolError(f"no page {title!r}")


# --- one visitor, one organizer ----------------------------------------------------------


@dataclass
class Visit:
    arrival: float
    registers: bool
    load_ms: float | None = None
    first_content_ms: float | None = None
    open_ms: float | None = None
    register_ms: float | None = None
    status: str | None = None  # "confirmed", "waitlisted" (app) or "switched" (bare)
    error: str | None = None
    timeout: bool = False
    messages: int = 0
    bytes: int = 0


@dataclass
class Target:
    name: str  # "app" or "bare"
    base: str
    pids: list[int]
    meeting_id: int | None = None
    organizer_cookie: dict[str, str] | None = None


async def visitor(target: Target, visit: Visit, index: int, tag: str, started: float, rng):
    await asyncio.sleep(max(0.0, started + visit.arrival - time.perf_counter()))
    address = f"10.{hash(tag) % 200 + 20}.{index // 250}.{index % 250 + 1}"
    client = Client(target.base, address=address)
    marker = APP_MARKER if target.name == "app" else BARE_MARKER
    try:
        t0 = time.perf_counter()
        await client.open()
        run = await client.rerun(marker=marker)
        visit.load_ms = (run.finished_at - t0) * 1000
        if run.first_marker_at is not None:
            visit.first_content_ms = (run.first_marker_at - t0) * 1000
        visit.messages += run.messages
        visit.bytes += run.bytes
        if not run.has_text(marker):
            raise ProtocolError(f"{marker!r} missing on the start page")
        if not visit.registers:
            return client
        await asyncio.sleep(rng.uniform(0.5, 2.0))  # reading, then the click
        if target.name == "bare":
            t1 = time.perf_counter()
            client.page_script_hash = client.page_hash(run, "Seite 2")
            second = await client.rerun(page_name="seite-2")
            visit.register_ms = (second.finished_at - t1) * 1000
            if not second.has_text("Zweite Seite"):
                raise ProtocolError("'Zweite Seite' missing")
            visit.status = "switched"
            return client
        opener = run.expander_id(f"-reg{target.meeting_id}.open")
        client.set(opener, "bool_value", True)
        t1 = time.perf_counter()
        form = await client.rerun()
        visit.open_ms = (form.finished_at - t1) * 1000
        fields = {
            "Name": f"Besucherin {tag}-{index}",
            "E-Mail-Adresse": f"besuch-{tag}-{index}@example.org",
            "Organisation oder Initiative (freiwillig)": "",
        }
        for label, value in fields.items():
            client.set(form.widget("text_input", label).id, "string_value", value)
        client.set(form.widget("text_input", "Website").id, "string_value", "")
        consent = next(
            el.proto
            for el in form.elements
            if el.kind == "checkbox" and "einverstanden" in el.proto.label
        )
        client.set(consent.id, "bool_value", True)
        submit = next(
            el.proto for el in form.elements if el.kind == "button" and el.proto.is_form_submitter
        )
        await asyncio.sleep(rng.uniform(1.0, 3.0))  # typing
        t2 = time.perf_counter()
        done = await client.rerun(trigger=submit.id)
        visit.register_ms = (done.finished_at - t2) * 1000
        visit.messages += form.messages + done.messages
        if done.has_text("Sie sind angemeldet"):
            visit.status = "confirmed"
        elif done.has_text("Warteliste auf Position"):
            visit.status = "waitlisted"
        else:
            errors = [
                el.proto.body for el in done.elements if el.kind == "alert" and el.proto.format == 1
            ]
            raise ProtocolError("no confirmation: " + " / ".join(errors)[:200])
        return client
    except TimeoutError:
        visit.timeout = True
        visit.error = "timeout"
    except Exception as exc:  # counted and shown in the report, never hidden
        visit.error = f"{type(exc).__name__}: {exc}"[:300]
    await client.close()
    return None


async def organizer(target: Target, stop: asyncio.Event, loads: list[float], errors: list[str]):
    """Reloads the dashboard (a fresh session each time) until the visitors are done."""
    path, marker = (DASHBOARD_PATH, "Auswertung") if target.name == "app" else ("seite-2", "Zweite")
    while not stop.is_set():
        client = Client(target.base, cookies=target.organizer_cookie)
        try:
            t0 = time.perf_counter()
            await client.open(path)
            run = await client.rerun(page_name=path)
            loads.append((run.finished_at - t0) * 1000)
            if not run.has_text(marker):
                errors.append(f"dashboard without {marker!r}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        finally:
            await client.close()
        with suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


# --- server samples ------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    """RSS and CPU share of the server processes every ``interval`` seconds."""

    def __init__(self, pids: list[int], interval: float = 0.5):
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.samples: list[dict] = []
        self._halt = threading.Event()

    def run(self) -> None:
        t0 = time.perf_counter()
        last = {pid: _cpu_ticks(pid) for pid in self.pids}
        last_t = t0
        while not self._halt.wait(self.interval):
            now = time.perf_counter()
            row = {"t": now - t0}
            for pid in self.pids:
                with suppress(OSError):
                    ticks = _cpu_ticks(pid)
                    row[f"cpu{pid}"] = (ticks - last[pid]) / TICKS / (now - last_t) * 100
                    row[f"rss{pid}"] = _rss_mb(pid)
                    last[pid] = ticks
            last_t = now
            self.samples.append(row)

    def stop(self) -> list[dict]:
        self._halt.set()
        self.join()
        return self.samples


# --- one run -----------------------------------------------------------------------------------


@dataclass
class RunResult:
    target: str
    database: str
    n: int
    visits: list[Visit]
    dashboard_ms: list[float]
    dashboard_errors: list[str]
    samples: list[dict]
    pids: list[int]
    wall_s: float
    confirmed_db: int | None = None
    waitlisted_db: int | None = None
    browser: list[dict] = field(default_factory=list)

    def values(self, name: str) -> list[float]:
        return [getattr(v, name) for v in self.visits if getattr(v, name) is not None]

    @property
    def errors(self) -> int:
        return sum(1 for v in self.visits if v.error and not v.timeout) + len(self.dashboard_errors)

    @property
    def timeouts(self) -> int:
        return sum(1 for v in self.visits if v.timeout)

    @property
    def registrants(self) -> int:
        return sum(1 for v in self.visits if v.registers)

    def counts(self, status: str) -> int:
        return sum(1 for v in self.visits if v.status == status)

    def cpu(self) -> list[float]:
        return [sum(s.get(f"cpu{p}", 0) for p in self.pids) for s in self.samples]

    def rss(self) -> list[float]:
        return [sum(s.get(f"rss{p}", 0) for p in self.pids) for s in self.samples]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def arrivals(n: int, window: float, seed: int, share: float = SHARE) -> list[tuple[float, bool]]:
    """The same pattern for app and bare: times spread over the window, every other
    visitor (a random half) registers."""
    rng = random.Random(seed)
    times = sorted(rng.uniform(0, window) for _ in range(n))
    who = set(rng.sample(range(n), round(n * share)))
    return [(t, i in who) for i, t in enumerate(times)]


async def _run(
    target: Target, n: int, window: float, seed: int, tag: str, browsers: int, share: float
):
    pattern = arrivals(n, window, seed, share)
    visits = [Visit(arrival=t, registers=r) for t, r in pattern]
    rng = random.Random(seed + 1)
    stop = asyncio.Event()
    dash: list[float] = []
    dash_errors: list[str] = []
    sampler = Sampler(target.pids)
    sampler.start()
    started = time.perf_counter() + 0.2
    browser_results: list[dict] = []
    browser_thread = None
    if browsers:
        offsets = [window * (k + 1) / (browsers + 1) for k in range(browsers)]
        browser_thread = threading.Thread(
            target=_browser_sessions,
            args=(target, started, offsets, browser_results),
            daemon=True,
        )
        browser_thread.start()
    org = asyncio.create_task(organizer(target, stop, dash, dash_errors))
    clients = await asyncio.gather(
        *(visitor(target, v, i, tag, started, rng) for i, v in enumerate(visits))
    )
    wall = time.perf_counter() - started
    if browser_thread is not None:
        await asyncio.to_thread(browser_thread.join, 180)
    stop.set()
    await org
    samples = sampler.stop()
    await asyncio.gather(*(c.close() for c in clients if c is not None))
    return visits, dash, dash_errors, samples, wall, browser_results


def run_once(
    target: Target,
    database: str,
    n: int,
    window: float,
    seed: int,
    browsers: int = 0,
    share: float = SHARE,
):
    """N visitors against ``target``: the figures, the samples, the browsers' view."""
    tag = f"{database[:2]}{target.name[0]}{n}s{seed}"
    visits, dash, dash_errors, samples, wall, browser = asyncio.run(
        _run(target, n, window, seed, tag, browsers, share)
    )
    result = RunResult(
        target=target.name,
        database=database,
        n=n,
        visits=visits,
        dashboard_ms=dash,
        dashboard_errors=dash_errors,
        samples=samples,
        pids=target.pids,
        wall_s=wall,
        browser=browser,
    )
    return result


# --- a few real browsers in the same run ----------------------------------------------------

_browser_lock = threading.Lock()
_browser = {}


def _browser_sessions(target: Target, started: float, offsets: list[float], out: list[dict]):
    """Real Chromium tabs arriving among the protocol visitors: what a person would see."""
    from playwright.sync_api import sync_playwright

    marker = APP_MARKER if target.name == "app" else BARE_MARKER
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for offset in offsets:
                time.sleep(max(0.0, started + offset - time.perf_counter()))
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900}, locale="de-DE"
                )
                try:
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(target.base + "/", timeout=120_000)
                    page.get_by_text(marker, exact=True).first.wait_for(timeout=120_000)
                    page.wait_for_selector(
                        '[data-testid="stApp"][data-test-script-state="notRunning"]',
                        timeout=120_000,
                    )
                    out.append({"at": t0 - started, "ms": (time.perf_counter() - t0) * 1000})
                except Exception as exc:
                    out.append(
                        {"at": offset, "ms": None, "error": f"{type(exc).__name__}: {exc}"[:200]}
                    )
                finally:
                    context.close()
        finally:
            browser.close()


# --- set-up: databases, servers, the meeting, the organizer's cookie -------------------------


def _env(db_url: str, workdir: Path, extra: dict | None = None) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "STAMMTISCH_NOW": NOW,
        # Immediate registrations: the place (or the waitlist) is decided by the form.
        "STAMMTISCH_CONFIRM_REGISTRATIONS": "0",
        "STAMMTISCH_OUTBOX_DIR": str(workdir / "outbox"),
        "STAMMTISCH_SECRET_KEY": SECRET_KEY,
        **(extra or {}),
    }


def prepare_database(
    db_url: str, workdir: Path, registrations: int, capacity: int = CAPACITY
) -> int:
    """Demo data (none for ``registrations=0``: the seed only), the organizer and the
    meeting everybody registers for; its id."""
    env = {**os.environ, **_env(db_url, workdir)}
    steps = [["init"]]
    if registrations:
        people = str(max(100, registrations * 3 // 4))
        steps.append(
            [
                "demo",
                "--scale",
                "netzwerk",
                "--registrations",
                str(registrations),
                "--people",
                people,
            ]
        )
    for args in steps:
        subprocess.run(
            [PYTHON, "-m", "stammtisch", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    from stammtisch import meeting_admin, organizers, topics
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope
    from stammtisch.meetings import MeetingInput
    from stammtisch.models import RegistrationState

    now = parse_instant(NOW)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            organizers.add_organizer(session=s, name=ORGANIZER, password=PASSWORD, now=now)
        with session_scope(engine) as s:
            actor = organizers.authenticate(session=s, name=ORGANIZER, password=PASSWORD, now=now)
        with session_scope(engine) as s:
            field_id = topics.list_topic_fields(session=s)[0].id
        starts = now + timedelta(days=7)
        with session_scope(engine) as s:
            return meeting_admin.create_meeting(
                session=s,
                actor=actor,
                data=MeetingInput(
                    theme=THEME,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=90),
                    primary_topic_field_id=field_id,
                    registration_state=RegistrationState.OPEN,
                    capacity=capacity,
                    description="Alle auf einmal: wer zuerst kommt, hat einen Platz.",
                ),
                now=now,
            )
    finally:
        engine.dispose()


def reset_meeting(db_url: str, meeting_id: int) -> None:
    """An empty meeting before every run (and the data version moved, as after a write)."""
    from sqlalchemy import delete

    from stammtisch.db import make_engine, session_scope, write_transaction
    from stammtisch.models import Registration

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s, write_transaction(s):
            s.execute(delete(Registration).where(Registration.meeting_id == meeting_id))
    finally:
        engine.dispose()


def meeting_counts(db_url: str, meeting_id: int) -> tuple[int, int]:
    from sqlalchemy import func, select

    from stammtisch.db import make_engine
    from stammtisch.models import Registration, RegistrationStatus

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = dict(
                conn.execute(
                    select(Registration.status, func.count())
                    .where(Registration.meeting_id == meeting_id)
                    .group_by(Registration.status)
                ).all()
            )
    finally:
        engine.dispose()
    return (
        rows.get(RegistrationStatus.CONFIRMED.value, 0),
        rows.get(RegistrationStatus.WAITLISTED.value, 0),
    )


def organizer_cookie(db_url: str, base: str) -> dict[str, str]:
    """The team's login cookie, as the browser gets it after a login: a server-side
    session, its handover code redeemed at ``/team/sitzung`` with the CSRF token."""
    from stammtisch import organizer_sessions, organizers
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope
    from stammtisch.tokens import hash_token
    from ui import session_cookie

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            actor = organizers.authenticate(
                session=s, name=ORGANIZER, password=PASSWORD, now=parse_instant(NOW)
            )
        with session_scope(engine) as s:
            started = organizer_sessions.start(
                session=s, actor=actor, now=datetime.now().astimezone()
            )
    finally:
        engine.dispose()
    code = started.handover_code
    body = json.dumps(
        {"code": code, "csrf": session_cookie.csrf_token(SECRET_KEY, "set", hash_token(code))}
    ).encode()
    request = urllib.request.Request(
        base + "/team/sitzung",
        data=body,
        headers={"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        for name, value in response.headers.items():
            if name.lower() == "set-cookie" and value.startswith(session_cookie.COOKIE + "="):
                return {session_cookie.COOKIE: value.split(";", 1)[0].split("=", 1)[1]}
    raise RuntimeError("no team cookie from /team/sitzung")


@dataclass
class Servers:
    procs: list = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.nginx.wait(timeout=10)
        for proc in self.procs:
            stop_app(proc)
        self.procs.clear()


def start(script: str, env: dict[str, str], logfile: Path) -> tuple[subprocess.Popen, str]:
    return start_app(env, script, log=logfile, timeout=120)


def warm(base: str, path: str = "") -> None:
    """One visit before the measurements: imports, first compiles, caches."""

    async def once():
        client = Client(base)
        try:
            await client.open(path)
            await client.rerun(page_name=path)
        finally:
            await client.close()

    asyncio.run(once())


def start_nginx(workdir: Path, backends: list[str]) -> tuple[subprocess.Popen, str, Path]:
    """nginx with the repository's deployment file in front of ``backends``; an access
    log that names the process each WebSocket went to."""
    from tests.pgserver import free_port

    listen = free_port()
    tmp = workdir / "nginx"
    tmp.mkdir(exist_ok=True)
    site = (ROOT / "deploy" / "nginx-stammtisch.conf").read_text(encoding="utf-8")
    site = site.replace("server 127.0.0.1:8501;", f"server {backends[0]};")
    site = site.replace("server 127.0.0.1:8502;", f"server {backends[1]};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (tmp / "stammtisch.conf").write_text(site, encoding="utf-8")
    access = tmp / "access.log"
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format upstream '$request_uri $upstream_addr $status';
    access_log {access} upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/stammtisch.conf;
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{listen}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return proc, base, access
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("nginx did not start") from None
            time.sleep(0.2)


def spread(access: Path, backends: list[str]) -> dict[str, int]:
    """WebSocket sessions per process, from nginx's access log."""
    counts = dict.fromkeys(backends, 0)
    for line in access.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("/_stcore/stream") and parts[1] in counts:
            counts[parts[1]] += 1
    return counts


# --- the sweep ----------------------------------------------------------------------------------


@dataclass
class Setup:
    database: str
    db_url: str
    meeting_id: int
    app: Target
    bare: Target
    servers: Servers


def _expected(registrants: int) -> tuple[int, int]:
    confirmed = min(registrants, CAPACITY)
    return confirmed, registrants - confirmed


def measure_app(setup: Setup, n: int, window: float, seed: int, browsers: int) -> RunResult:
    reset_meeting(setup.db_url, setup.meeting_id)
    result = run_once(setup.app, setup.database, n, window, seed, browsers)
    result.confirmed_db, result.waitlisted_db = meeting_counts(setup.db_url, setup.meeting_id)
    return result


def sweep(setup: Setup, sizes, window: float, seed: int):
    results = []
    for k, n in enumerate(sizes):
        order = ("bare", "app") if k % 2 == 0 else ("app", "bare")
        for which in order:
            log(f"{setup.database}: {which}, N = {n}")
            if which == "app":
                r = measure_app(setup, n, window, seed + n, 0)
            else:
                r = run_once(setup.bare, setup.database, n, window, seed + n)
            results.append(r)
            log(
                f"  p95 {fmt(pct(r.values('load_ms'), 0.95))} ms, errors {r.errors}, "
                f"timeouts {r.timeouts}"
                + (f", {r.confirmed_db}/{r.waitlisted_db}" if which == "app" else "")
            )
    return results


def fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def start_setup(database: str, db_url: str, workdir: Path, registrations: int) -> Setup:
    log(f"{database}: preparing the database")
    meeting_id = prepare_database(db_url, workdir, registrations)
    servers = Servers()
    env = _env(db_url, workdir)
    app_proc, app_base = start("app.py", env, workdir / f"app-{database}.log")
    servers.procs.append(app_proc)
    bare_proc, bare_base = start("bench/bare_app.py", env, workdir / f"bare-{database}.log")
    servers.procs.append(bare_proc)
    cookie = organizer_cookie(db_url, app_base)
    app = Target("app", app_base, [app_proc.pid], meeting_id, cookie)
    bare = Target("bare", bare_base, [bare_proc.pid])
    for target, path in ((app, ""), (app, DASHBOARD_PATH), (bare, ""), (bare, "seite-2")):
        if path == DASHBOARD_PATH:
            asyncio.run(_warm_with_cookie(target, path))
        else:
            warm(target.base, path)
    return Setup(database, db_url, meeting_id, app, bare, servers)


async def _warm_with_cookie(target: Target, path: str) -> None:
    client = Client(target.base, cookies=target.organizer_cookie)
    try:
        await client.open(path)
        run = await client.rerun(page_name=path)
        if not run.has_text("Auswertung"):
            raise RuntimeError("the organizer's cookie does not open the dashboard")
    finally:
        await client.close()


def multi_process(db_url: str, workdir: Path, meeting_id: int, n: int, window: float, seed: int):
    """Two app processes behind nginx (deploy/nginx-stammtisch.conf) against one process,
    interleaved, at the same N on the same PostgreSQL database."""
    servers = Servers()
    try:
        env = _env(db_url, workdir)
        for k in range(2):
            proc, _base = start("app.py", env, workdir / f"app-pg-{k}.log")
            servers.procs.append(proc)
        bases = [
            f"127.0.0.1:{_port_of(workdir / f'app-pg-{k}.log', proc)}"
            for k, proc in enumerate(servers.procs)
        ]
        servers.nginx, proxy, access = start_nginx(workdir, bases)
        single = Target("app", "http://" + bases[0], [servers.procs[0].pid], meeting_id)
        single.organizer_cookie = organizer_cookie(db_url, single.base)
        both = Target("app", proxy, [p.pid for p in servers.procs], meeting_id)
        both.organizer_cookie = organizer_cookie(db_url, proxy)
        for target in (both, single):
            warm(target.base)
        warm("http://" + bases[1])
        results = {}
        for name, target in (("one process", single), ("two processes (nginx)", both)):
            log(f"postgresql: {name}, N = {n}")
            access.write_text("")
            reset_meeting(db_url, meeting_id)
            r = run_once(target, "postgresql", n, window, seed)
            r.confirmed_db, r.waitlisted_db = meeting_counts(db_url, meeting_id)
            results[name] = (r, spread(access, bases) if target is both else None)
            log(f"  p95 {fmt(pct(r.values('load_ms'), 0.95))} ms, errors {r.errors}")
        return results, bases
    finally:
        servers.stop()


def _port_of(logfile: Path, proc) -> int:
    """The port start_app chose, from the server's command line."""
    args = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    return int(args[args.index(b"--server.port") + 1])


# --- report ---------------------------------------------------------------------------------------


def sweep_table(results: list[RunResult]) -> tuple[str, list[str], list[str]]:
    met, missed = [], []
    header = [
        "N",
        "app load p50 / p95 / max (ms)",
        "bare load p50 / p95 / max (ms)",
        "app p95 / bare p95",
        "first content p95 app / bare (ms)",
        "registration p95 (ms) [bare: page switch]",
        "dashboard reloads: n, median / max (ms)",
        "confirmed / waitlisted (expected)",
        "errors / timeouts app, bare",
        "server RSS peak app / bare (MB)",
        "server CPU mean / peak app (%)",
    ]
    rows = []
    by = {(r.target, r.n): r for r in results}
    for n in sorted({r.n for r in results}):
        app, bare = by.get(("app", n)), by.get(("bare", n))
        if app is None or bare is None:
            continue
        a, b = app.values("load_ms"), bare.values("load_ms")
        ratio = pct(a, 0.95) / pct(b, 0.95) if a and b else None
        expected = _expected(app.registrants)
        counts_ok = (app.confirmed_db, app.waitlisted_db) == expected and (
            app.counts("confirmed"),
            app.counts("waitlisted"),
        ) == expected
        clean = app.errors == app.timeouts == bare.errors == bare.timeouts == 0
        label = f"{app.database} N={n}"
        (met if counts_ok else missed).append(
            f"{label}: {expected[0]} confirmed, {expected[1]} waitlisted"
        )
        (met if clean else missed).append(f"{label}: 0 errors, 0 timeouts")
        mark = ""
        if n == 100 and ratio is not None:
            ok = ratio <= RATIO_TARGET
            (met if ok else missed).append(f"{label}: app p95 / bare p95 ≤ {RATIO_TARGET}×")
            mark = " ✅" if ok else " ❌"
        cpu = app.cpu()
        rows.append(
            [
                n,
                " / ".join(fmt(pct(a, q)) for q in (0.5, 0.95, 1.0)),
                " / ".join(fmt(pct(b, q)) for q in (0.5, 0.95, 1.0)),
                (f"{ratio:.2f}×" if ratio else "–") + mark,
                f"{fmt(pct(app.values('first_content_ms'), 0.95))} / "
                f"{fmt(pct(bare.values('first_content_ms'), 0.95))}",
                f"{fmt(pct(app.values('register_ms'), 0.95))} "
                f"[{fmt(pct(bare.values('register_ms'), 0.95))}]",
                f"{len(app.dashboard_ms)}, {fmt(pct(app.dashboard_ms, 0.5))} / "
                f"{fmt(max(app.dashboard_ms, default=None))}",
                f"{app.confirmed_db} / {app.waitlisted_db} ({expected[0]} / {expected[1]})"
                + (" ✅" if counts_ok else " ❌"),
                f"{app.errors} / {app.timeouts}, {bare.errors} / {bare.timeouts}"
                + (" ✅" if clean else " ❌"),
                f"{fmt(max(app.rss(), default=None))} / {fmt(max(bare.rss(), default=None))}",
                f"{fmt(statistics.mean(cpu) if cpu else None)} / {fmt(max(cpu, default=None))}",
            ]
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines), met, missed


def error_notes(results: list[RunResult]) -> list[str]:
    notes = []
    for r in results:
        seen = set()
        for v in r.visits:
            if v.error and v.error not in seen:
                seen.add(v.error)
                notes.append(f"- {r.database} {r.target} N={r.n}: `{v.error}`")
        for e in r.dashboard_errors[:2]:
            notes.append(f"- {r.database} {r.target} N={r.n} dashboard: `{e}`")
    return notes[:12]


def browser_check(results: list[RunResult], idle: dict) -> str:
    rows = []
    for r in results:
        for b in r.browser:
            near = [
                v.load_ms
                for v in r.visits
                if v.load_ms is not None and abs(v.arrival - b["at"]) <= 1.5
            ]
            rows.append(
                [
                    f"{r.database} N={r.n}",
                    f"{b['at']:.1f}",
                    fmt(b["ms"]) if b.get("ms") else "❌ " + b.get("error", ""),
                    fmt(idle.get("browser")),
                    fmt(statistics.median(near) if near else None) + f" ({len(near)})",
                    fmt(idle.get("protocol")),
                    fmt(b["ms"] - idle["browser"]) if b.get("ms") and idle.get("browser") else "–",
                    fmt(statistics.median(near) - idle["protocol"])
                    if near and idle.get("protocol")
                    else "–",
                ]
            )
    if not rows:
        return ""
    header = [
        "run",
        "arrived at (s)",
        "Chromium: content + idle (ms)",
        "Chromium idle (ms)",
        "protocol visitors ±1.5 s: median (n)",
        "protocol idle (ms)",
        "Chromium: added by load",
        "protocol: added by load",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def draw(results: list[RunResult], multi, path: Path) -> str:
    """p95 over N (app and bare per database) and the server's CPU/RSS in the N = 200 runs."""
    import altair as alt
    import pandas as pd

    curve = pd.DataFrame(
        [
            {
                "N": r.n,
                "p95 (ms)": pct(r.values("load_ms"), 0.95),
                "Server": f"{'App' if r.target == 'app' else 'leere App'} ({r.database})",
            }
            for r in results
            if r.values("load_ms")
        ]
    )
    left = (
        alt.Chart(curve, title="Startseite: p95 vom Verbinden bis zum Inhalt")
        .mark_line(point=True)
        .encode(
            x=alt.X("N:Q", scale=alt.Scale(type="log", base=2), axis=alt.Axis(values=list(SIZES))),
            y=alt.Y("p95 (ms):Q"),
            color="Server:N",
        )
        .properties(width=380, height=260)
    )
    series = []
    for r in results:
        if r.n != max(x.n for x in results) or r.target != "app":
            continue
        for s, cpu, rss in zip(r.samples, r.cpu(), r.rss(), strict=False):
            series.append({"t (s)": s["t"], "Wert": cpu, "Größe": f"CPU % ({r.database})"})
            series.append({"t (s)": s["t"], "Wert": rss, "Größe": f"RSS MB ({r.database})"})
    charts = [left]
    if series:
        right = (
            alt.Chart(pd.DataFrame(series), title=f"App-Server bei N = {max(x.n for x in results)}")
            .mark_line()
            .encode(x="t (s):Q", y="Wert:Q", color="Größe:N")
            .properties(width=380, height=260)
        )
        charts.append(right)
    chart = alt.hconcat(*charts)
    try:
        chart.save(str(path), ppi=110)
        return f"![curve]({path.name})"
    except Exception as exc:  # no vl-convert: say so instead of failing the run
        return f"(no PNG: {type(exc).__name__}: {exc})"


def cpu_per_load(target: Target, loads: int = 30) -> float:
    """The server's CPU time per start-page load, one visitor after the other (ms): what
    a burst multiplies. From /proc, in the kernel's 10 ms ticks, so many loads."""

    async def visits() -> None:
        for _ in range(loads):
            client = Client(target.base)
            try:
                await client.open()
                await client.rerun()
            finally:
                await client.close()

    before = sum(_cpu_ticks(pid) for pid in target.pids)
    asyncio.run(visits())
    after = sum(_cpu_ticks(pid) for pid in target.pids)
    return (after - before) / TICKS / loads * 1000


def idle_figures(setup: Setup) -> dict:
    """One protocol visit and one Chromium visit on the idle app: the baseline of the
    browser check."""

    async def protocol() -> float:
        client = Client(setup.app.base)
        try:
            t0 = time.perf_counter()
            await client.open()
            run = await client.rerun()
            return (run.finished_at - t0) * 1000
        finally:
            await client.close()

    figures = {"protocol": statistics.median([asyncio.run(protocol()) for _ in range(3)])}
    out: list[dict] = []
    t = threading.Thread(
        target=_browser_sessions,
        args=(setup.app, time.perf_counter(), [0.0, 0.0, 0.0], out),
    )
    t.start()
    t.join(300)
    ok = [b["ms"] for b in out if b.get("ms")]
    figures["browser"] = statistics.median(ok[1:] or ok) if ok else None
    return figures


@dataclass
class Outcome:
    document: str
    met: list[str]
    missed: list[str]


def main(argv: list[str] | None = None) -> int:
    outcome = run(argv)
    print(outcome.document, end="", flush=True)
    return 1 if outcome.missed else 0


def run(argv: list[str] | None = None) -> Outcome:
    """The whole load test; writes the report (``--output``) and the curve (``--png``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--window", type=float, default=WINDOW_S, help="arrival window (s)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--registrations", type=int, default=20_000, help="demo data size")
    parser.add_argument("--browsers", type=int, default=2, help="Chromium tabs per checked run")
    parser.add_argument(
        "--browser-sizes", default="100,200", help="the app runs with Chromium tabs among them"
    )
    parser.add_argument("--nginx", default="200", help="N for two processes behind nginx (0: off)")
    parser.add_argument("--workdir")
    parser.add_argument("--output", default=str(BENCH / "load.md"))
    parser.add_argument("--png", default=str(BENCH / "load.png"))
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    browsers_at = {int(x) for x in args.browser_sizes.split(",") if x.strip()}
    if not Path(CHROMIUM).exists():
        args.browsers = 0
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="stammtisch-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sections = []
    all_results: list[RunResult] = []
    met: list[str] = []
    missed: list[str] = []
    multi = None
    pg = None
    try:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            if database == "sqlite":
                db_url = f"sqlite:///{workdir / 'load.db'}"
                for stale in workdir.glob("load.db*"):
                    stale.unlink()
            else:
                from sqlalchemy import create_engine, text

                from tests.pgserver import start_server as start_pg

                pg = start_pg()
                admin = create_engine(pg.url("postgres"), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("CREATE DATABASE load"))
                admin.dispose()
                db_url = pg.url("load")
            setup = start_setup(database, db_url, workdir, args.registrations)
            try:
                cost = {t.name: cpu_per_load(t) for t in (setup.app, setup.bare)}
                idle = idle_figures(setup) if args.browsers and browsers_at & set(sizes) else {}
                results = sweep(setup, sizes, args.window, args.seed)
                # Chromium costs the server's machine CPU too: its runs are extra runs,
                # not the ones the table and the ratios come from.
                checked = []
                for n in sorted(browsers_at & set(sizes)) if args.browsers else []:
                    log(f"{database}: app with {args.browsers} Chromium tabs among N = {n}")
                    checked.append(measure_app(setup, n, args.window, args.seed + n, args.browsers))
            finally:
                setup.servers.stop()
            all_results += results
            text_, m, x = sweep_table(results)
            met += m
            missed += x
            section = (
                f"### {database}\n\n{text_}\n\nServer CPU per start-page load, one visitor "
                f"after the other: app {cost['app']:.0f} ms, bare {cost['bare']:.0f} ms "
                f"({cost['app'] / max(cost['bare'], 0.1):.0f}×). A burst multiplies this by "
                "the runs it asks for (each visitor's load, and for half of them the form and "
                "the registration); all of it runs under one GIL.\n"
            )
            check = browser_check(checked, idle)
            if check:
                section += (
                    "\n\nReal Chromium tabs arriving among the protocol visitors, in extra "
                    "runs with the same arrival pattern (fresh context, until the text is "
                    "visible and the script has finished; the browser adds its own constant "
                    "work, so compare what the load adds):\n\n" + check + "\n"
                )
            sections.append(section)
            if database == "postgresql" and args.nginx != "0" and Path(NGINX).exists():
                multi = multi_process(
                    db_url, workdir, setup.meeting_id, int(args.nginx), args.window, args.seed
                )
            elif database == "postgresql" and args.nginx != "0":
                sections.append("nginx not found: the two-process run was skipped.\n")
            if pg is not None:
                pg.stop()
                pg = None
    finally:
        if pg is not None:
            pg.stop()
    if multi is not None:
        results, bases = multi
        rows = []
        for name, (r, counts) in results.items():
            a = r.values("load_ms")
            cpu_per = [
                fmt(statistics.mean([s.get(f"cpu{p}", 0) for s in r.samples]))
                for p in r.pids
                if r.samples
            ]
            expected = _expected(r.registrants)
            ok = (r.confirmed_db, r.waitlisted_db) == expected and r.errors == r.timeouts == 0
            (met if ok else missed).append(f"{name}: {expected[0]}/{expected[1]}, 0 errors")
            rows.append(
                [
                    name,
                    " / ".join(fmt(pct(a, q)) for q in (0.5, 0.95, 1.0)),
                    fmt(pct(r.values("register_ms"), 0.95)),
                    " / ".join(str(counts[b]) for b in bases) if counts else str(r.n + 1),
                    " / ".join(cpu_per),
                    f"{r.confirmed_db} / {r.waitlisted_db}" + (" ✅" if ok else " ❌"),
                    f"{r.errors} / {r.timeouts}",
                ]
            )
        one, two = (pct(r.values("load_ms"), 0.95) for r, _ in results.values())
        header = [
            "setup",
            "load p50 / p95 / max (ms)",
            "registration p95 (ms)",
            "WebSocket sessions per process",
            "mean CPU per process (%)",
            "confirmed / waitlisted",
            "errors / timeouts",
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        sections.append(
            f"### Two processes behind nginx, PostgreSQL, N = {args.nginx}\n\n"
            + "\n".join(lines)
            + (f"\n\np95 two processes / one process: {two / one:.2f}×\n" if one and two else "\n")
        )
    picture = draw(all_results, multi, Path(args.png))
    notes = error_notes(all_results)
    head = (
        f"## 6. A burst of visitors (load test)\n\n"
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} cores; "
        f"demo data with {args.registrations:,} registrations; N visitors arrive at random "
        f"over {args.window:.0f} s, {SHARE:.0%} of them open the form and register for one "
        f"meeting of capacity {CAPACITY} (immediate registrations, no mail step) after "
        "reading 0.5–2 s and typing 1–3 s; one organizer reloads the dashboard meanwhile "
        "(the bare app: page 2). Load = from the page's HTTP request to the end of the "
        "first script run (all content sent); first content = the first message with "
        f"„{APP_MARKER}“ / „{BARE_MARKER}“. App and bare alternate per N; run took "
        f"{time.perf_counter() - started:.0f} s.\n\n{picture}\n"
    )
    summary = f"**Load targets: {len(met)} met, {len(missed)} missed.**"
    if missed:
        summary += "\n\nMissed:\n" + "\n".join(f"- {x}" for x in missed)
    document = (
        "\n".join([head, *sections, *(["Errors:\n", *notes] if notes else []), summary]) + "\n"
    )
    Path(args.output).write_text(document, encoding="utf-8")
    (workdir / "results.json").write_text(
        json.dumps(
            [
                {
                    "target": r.target,
                    "database": r.database,
                    "n": r.n,
                    "visits": [v.__dict__ for v in r.visits],
                    "dashboard_ms": r.dashboard_ms,
                    "samples": r.samples,
                }
                for r in all_results
            ]
        )
    )
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return Outcome(document, met, missed)


if __name__ == "__main__":
    raise SystemExit(main())
