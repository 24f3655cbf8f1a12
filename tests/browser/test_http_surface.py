"""What the app's own server answers besides the pages: security headers on every
response, a Content-Security-Policy no page breaks under, no framing by foreign pages,
no public metrics, and feed links that a request's Host header cannot redirect."""

from __future__ import annotations

import http.client
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import SEED_NOW, log_in, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
}


@pytest.fixture(scope="module")
def http_app(tmp_path_factory):
    """The app as ``make run`` starts it: no STAMMTISCH_BASE_URL (the README's default
    applies), one extra allow-listed host name; demo data and one organizer account."""
    tmp = tmp_path_factory.mktemp("http")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'http.db'}",
        "STAMMTISCH_NOW": SEED_NOW,
        "STAMMTISCH_OUTBOX_DIR": str(tmp / "outbox"),
        "STAMMTISCH_BASE_URL": "",
        "STAMMTISCH_ALLOWED_HOSTS": "stammtisch.example",
    }
    cli = [sys.executable, "-m", "stammtisch"]
    run_env = {**env, "PATH": "/usr/bin"}
    subprocess.run([*cli, "demo"], check=True, cwd=ROOT, env=run_env, capture_output=True)
    subprocess.run(
        [*cli, "organizer", "add", "leon", "--password-stdin", "--display-name", "Leon"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=run_env,
        capture_output=True,
    )
    proc, base = start_app(env, log=tmp / "server.log")
    try:
        yield base
    finally:
        stop_app(proc)


def _get(base: str, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return response.status, headers, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/team-auswertung", "/kalender.ics", "/_stcore/health"])
def test_security_headers_on_every_response(http_app, path):
    status, headers, _body = _get(http_app, path)
    assert status == 200
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (path, name, headers)
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp
    assert "'unsafe-eval'" not in csp and "http" not in csp  # no foreign origin anywhere


def test_metrics_endpoint_is_off(http_app):
    for path in ("/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?families=x"):
        status, headers, body = _get(http_app, path)
        assert status == 404 and b"cache" not in body, path
        assert headers.get("x-content-type-options") == "nosniff"


def test_feed_links_ignore_a_foreign_host_header(http_app):
    status, headers, body = _get(http_app, "/kalender.ics", host="evil.example")
    assert status == 200 and b"evil.example" not in body
    assert b"http://localhost:8501" in body  # the README's default
    assert headers["cache-control"] == "public, max-age=900"


def test_feed_links_use_an_allow_listed_host_without_public_caching(http_app):
    status, headers, body = _get(http_app, "/kalender.ics", host="stammtisch.example")
    assert status == 200 and b"http://stammtisch.example" in body
    assert headers["cache-control"].startswith("private") and "Host" in headers["vary"]


def test_no_page_breaks_under_the_content_security_policy(http_app, browser):
    """Every public and team page (and every chart tab) renders in Chromium with no
    CSP violation and no CSP message on the console."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.expose_function("reportViolation", lambda text: problems.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportViolation('violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    try:
        for path, shows in [
            ("/", "Nächste Termine"),
            ("/themensammlung", "Vorschlag einreichen"),
            ("/impuls-anbieten", "Selbst etwas vorstellen"),
            ("/datenschutz", "Datenschutz"),
            ("/impressum", "Impressum"),
        ]:
            page.goto(http_app + path)
            page.get_by_text(shows).first.wait_for(timeout=30_000)
            wait_idle(page)
        log_in(page, http_app, "leon", PASSWORD, "Leon")
        sidebar = page.locator('[data-testid="stSidebar"]')
        for link, title in [
            ("Auswertung", "Auswertung"),
            ("Themenplanung", "Themenplanung"),
            ("Termine verwalten", "Termine verwalten"),
            ("Themensammlung prüfen", "Themensammlung prüfen"),
            ("Impuls-Angebote", "Impuls-Angebote"),
            ("Anmeldungen & Teilnahme", "Anmeldungen & Teilnahme"),
            ("Datenschutz & Löschung", "Datenschutz & Löschung"),
            ("Postausgang", "Postausgang"),
            ("Änderungsprotokoll", "Änderungsprotokoll"),
        ]:
            sidebar.get_by_text(link).first.click()
            page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)
            wait_idle(page)
            if title == "Auswertung":
                for tab in page.get_by_role("tab").all():
                    tab.click()
                    wait_idle(page)
                    # Vega-Lite draws each chart; under a too strict policy it would not.
                    page.locator(
                        '[data-testid="stVegaLiteChart"] canvas, '
                        '[data-testid="stVegaLiteChart"] svg'
                    ).first.wait_for(timeout=30_000)
            assert page.locator('[data-testid="stException"]').count() == 0, title
        assert problems == []
    finally:
        context.close()


def test_a_foreign_page_cannot_frame_the_app(http_app, browser):
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
    try:
        # A page of another origin (about:blank here) embeds the login.
        page.set_content(
            f'<iframe id="f" src="{http_app}/login" width="800" height="600"></iframe>'
        )
        page.wait_for_timeout(3_000)
        frame = page.frame_locator("#f")
        assert frame.get_by_text("Anmeldung für das Team").count() == 0
        assert refused, "Chromium reports the refused frame"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("STAMMTISCH_SECRET_KEY", "zu-kurz", "STAMMTISCH_SECRET_KEY ist zu kurz"),
        ("STAMMTISCH_TRUSTED_PROXIES", "proxy.example", "ist keine IP-Adresse"),
    ],
)
def test_an_unusable_setting_stops_the_start_with_its_reason(tmp_path, name, value, reason):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bad.db'}", name: value}
    with pytest.raises(RuntimeError) as err:
        start_app(env, log=tmp_path / "server.log", timeout=60)
    assert "Start abgebrochen" in str(err.value) and reason in str(err.value)
