"""Two app processes on one PostgreSQL behind nginx (deploy/nginx-stammtisch.conf).

A registration made through one process is visible in the other on the next page load:
the cached read paths are keyed by the data version that every write moves forward.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import select

from stammtisch.db import make_engine, session_scope, write_transaction
from stammtisch.models import Meeting
from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import (
    SEED_NOW,
    confirm_from_mail,
    mail_env,
    register_in_card,
    wait_idle,
)
from tests.pgserver import free_port

pytestmark = pytest.mark.browser

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UPSTREAM_HEADER = "x-stammtisch-upstream"


def _nginx_config(tmp: Path, listen: int, backends: list[str]) -> Path:
    """The deployment file with this test's ports, inside a minimal nginx.conf."""
    site = (ROOT / "deploy" / "nginx-stammtisch.conf").read_text(encoding="utf-8")
    site = site.replace("server 127.0.0.1:8501;", f"server {backends[0]};")
    site = site.replace("server 127.0.0.1:8502;", f"server {backends[1]};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    # Only for the test: tell which process answered.
    site = site.replace(
        "proxy_pass http://stammtisch;",
        f"proxy_pass http://stammtisch;\n        add_header {UPSTREAM_HEADER} $upstream_addr always;",
    )
    assert site.count(UPSTREAM_HEADER) == 1 and str(listen) in site
    (tmp / "stammtisch.conf").write_text(site, encoding="utf-8")
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
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
    return conf


@pytest.fixture
def cluster(tmp_path, empty_pg_url, smtp_server):
    """Two app processes started together on one database, nginx in front of them; both
    send mail (two senders on one outbox) to the test's SMTP server."""
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX} (make test installs it)")
    listen = free_port()
    env = {
        "DATABASE_URL": empty_pg_url,
        "STAMMTISCH_NOW": SEED_NOW,
        "STAMMTISCH_BASE_URL": f"http://127.0.0.1:{listen}",
        # As in production: the same cookie key on every process.
        "STAMMTISCH_SECRET_KEY": "ein-gemeinsamer-schluessel-fuer-beide-prozesse",
        **mail_env(tmp_path, smtp_server),
    }
    apps: list = []
    nginx = None
    try:  # whatever starts is stopped again, also when a later start fails
        apps.append(start_app(env))
        apps.append(start_app(env))
        backends = [base.removeprefix("http://") for _, base in apps]
        conf = _nginx_config(tmp_path, listen, backends)
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        proxy = f"http://127.0.0.1:{listen}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{proxy}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    nginx.kill()
                    raise RuntimeError(f"nginx did not start:\n{nginx.stdout.read()}") from None
                time.sleep(0.2)
        yield proxy, backends, empty_pg_url
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for proc, _ in apps:
            stop_app(proc)


def _card(page):
    return page.locator("[class*='st-key-meeting-']").filter(has_text="Mo, 06.12.2021").first


def _open(page, url: str) -> str:
    response = page.goto(url)
    page.get_by_text("Nächste Termine").wait_for(timeout=30_000)
    wait_idle(page)
    return response.headers[UPSTREAM_HEADER]


def test_a_change_through_one_process_shows_in_the_other_at_once(cluster, browser, smtp_server):
    proxy, backends, db_url = cluster
    engine = make_engine(db_url)
    with session_scope(engine) as s, write_transaction(s):
        meeting = s.exec(select(Meeting).where(Meeting.id == 2)).one()
        meeting.capacity = 1
        s.add(meeting)
    engine.dispose()

    contexts: list = []
    try:
        _register_through_one_see_in_other(browser, proxy, backends, contexts, smtp_server)
    finally:
        for context in contexts:
            context.close()


def _register_through_one_see_in_other(
    browser, proxy, backends, contexts: list, smtp_server
) -> None:
    # Browsers until each process has one (the proxy picks at random, then sticks).
    pages: dict[str, object] = {}
    for _ in range(16):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
        contexts.append(context)
        page = context.new_page()
        upstream = _open(page, proxy + "/")
        pages.setdefault(upstream, page)
        if len(pages) == 2:
            break
    assert sorted(pages) == sorted(backends), "the proxy spreads browsers over both processes"
    first, second = pages[backends[0]], pages[backends[1]]

    # The second process has rendered (and cached) the start page: one place left.
    assert "Ausgebucht" not in _card(second).inner_text()

    register_in_card(_card(first), "Erika Beispiel", "erika@example.org")
    first.get_by_text("Bitte bestätigen Sie Ihre Anmeldung").wait_for(timeout=30_000)
    # The link from the mail, opened in the same browser (the proxy keeps it on its process).
    confirm_from_mail(first, smtp_server, "erika@example.org")
    first.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
    # Two senders on one outbox: each mail went out once.
    smtp_server.wait_for("erika@example.org", 2)
    time.sleep(1)
    assert len(smtp_server.to("erika@example.org")) == 2

    # Sticky: the same browser keeps reaching its own process.
    assert _open(first, proxy + "/") == backends[0]
    # The other process shows the change on its very next run, no cache expiry needed.
    assert _open(second, proxy + "/") == backends[1]
    _card(second).get_by_text("Ausgebucht – Warteliste offen").wait_for(timeout=5_000)


def test_two_processes_share_one_login(cluster, browser):
    """Logged in through one process, the same browser's cookie is a login in the other;
    logging out through the first ends it in the second at once."""
    from stammtisch.clock import parse_instant
    from tests import factories as f
    from tests.browser.test_team_sessions import assert_login_shown, log_in_cookie_as

    proxy, backends, db_url = cluster
    engine = make_engine(db_url)
    f.organizer(engine, now=parse_instant(SEED_NOW), name="leon", display_name="Leon")
    engine.dispose()
    contexts: list = []
    try:
        pages: dict[str, object] = {}
        for _ in range(16):  # browsers until each process has one
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
            contexts.append(context)
            page = context.new_page()
            pages.setdefault(_open(page, proxy + "/"), page)
            if len(pages) == 2:
                break
        first, second = pages[backends[0]], pages[backends[1]]
        cookie = log_in_cookie_as(first, proxy, "leon", f.PASSWORD)
        second.context.add_cookies([cookie])
        response = second.goto(proxy + "/team-protokoll")
        assert response.headers[UPSTREAM_HEADER] == backends[1]  # the other process
        second.get_by_role("heading", name="Änderungsprotokoll").wait_for(timeout=30_000)
        wait_idle(second)

        first.goto(proxy + "/login")
        first.get_by_role("button", name="Abmelden", exact=True).click()
        first.get_by_role("heading", name="Anmeldung für das Team").wait_for(timeout=30_000)
        second.locator('[data-testid="stSidebar"]').get_by_text("Auswertung").click()
        assert_login_shown(second)
    finally:
        for context in contexts:
            context.close()
