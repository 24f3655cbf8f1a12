"""The team's login in a real browser: it survives a reload and reaches a second tab, ends
everywhere at once, and its cookie is worth nothing when stolen, forged or replayed."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.appserver import ROOT, start_app, stop_app
from tests.browser.conftest import SEED_NOW, log_in, wait_idle
from ui import session_cookie

pytestmark = pytest.mark.browser

PASSWORD = "ein-sehr-langes-passwort"
SECRET = "test-schluessel-" + "x" * 40
COOKIE = session_cookie.COOKIE


@pytest.fixture(scope="module")
def team_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sessions")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'sessions.db'}",
        "STAMMTISCH_NOW": SEED_NOW,
        "STAMMTISCH_OUTBOX_DIR": str(tmp / "outbox"),
        "STAMMTISCH_SECRET_KEY": SECRET,
    }
    add_organizer(env)
    proc, base = start_app(env, log=tmp / "server.log")
    try:
        yield base
    finally:
        stop_app(proc)


def add_organizer(env: dict[str, str], name: str = "leon") -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "stammtisch",
            "organizer",
            "add",
            name,
            "--password-stdin",
            "--display-name",
            "Leon",
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin"},
        capture_output=True,
    )


def _context(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")


def log_in_with_cookie(page, base: str) -> dict:
    """Log in through the form; returns the cookie the server set."""
    return log_in_cookie_as(page, base, "leon", PASSWORD)


def log_in_cookie_as(page, base: str, name: str, password: str) -> dict:
    log_in(page, base, name, password, "Leon")
    page.wait_for_function(
        "() => document.documentElement.getAttribute('data-stammtisch-session') === '204'",
        timeout=30_000,
    )
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return cookie


def assert_team_page(page, base: str) -> None:
    page.goto(base + "/team-protokoll")
    page.get_by_role("heading", name="Änderungsprotokoll").wait_for(timeout=30_000)
    wait_idle(page)


def assert_login_shown(page) -> None:
    page.get_by_role("heading", name="Anmeldung für das Team").wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("heading", name="Änderungsprotokoll").count() == 0
    assert "Angemeldet als" not in page.inner_text("body")


def _post(base: str, path: str, body: dict, **headers: str) -> urllib.response.addinfourl:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        return urllib.request.urlopen(request, timeout=15)
    except urllib.error.HTTPError as err:
        return err


def test_login_survives_a_reload_and_reaches_a_second_tab(team_app, browser):
    context = _context(browser)
    try:
        page = context.new_page()
        cookie = log_in_with_cookie(page, team_app)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
        assert cookie["path"] == "/" and cookie["expires"] > 0
        page.reload()
        page.get_by_text("Angemeldet als Leon").first.wait_for(timeout=30_000)
        wait_idle(page)
        second = context.new_page()  # a link opened from the Postausgang, a second tab
        assert_team_page(second, team_app)
        assert "Angemeldet als Leon" in second.inner_text("body")
    finally:
        context.close()


def test_logout_in_one_tab_ends_the_other_and_the_stolen_cookie(team_app, browser):
    context, thief = _context(browser), _context(browser)
    try:
        first = context.new_page()
        stolen = log_in_with_cookie(first, team_app)
        second = context.new_page()
        assert_team_page(second, team_app)
        # The copied cookie works as long as the login lasts …
        thief.add_cookies([stolen])
        thief_page = thief.new_page()
        assert_team_page(thief_page, team_app)

        first.goto(team_app + "/login")
        first.get_by_role("button", name="Abmelden", exact=True).click()
        first.get_by_role("heading", name="Anmeldung für das Team").wait_for(timeout=30_000)
        first.wait_for_function(
            "() => document.documentElement.getAttribute('data-stammtisch-session') === '204'",
            timeout=30_000,
        )
        assert COOKIE not in [c["name"] for c in context.cookies()]

        # The other tab's next action (a click in its navigation) shows the login.
        second.locator('[data-testid="stSidebar"]').get_by_text("Auswertung").click()
        assert_login_shown(second)
        # … and the stolen cookie, sent again after the logout, is refused.
        thief_page.reload()
        assert_login_shown(thief_page)
        other = thief.new_page()
        other.goto(team_app + "/team-protokoll")
        assert_login_shown(other)
    finally:
        context.close()
        thief.close()


def test_a_cookie_signed_with_another_secret_is_refused(team_app, browser):
    context, forger = _context(browser), _context(browser)
    try:
        genuine = log_in_with_cookie(context.new_page(), team_app)
        token = session_cookie.unsign(SECRET, genuine["value"])
        assert token is not None  # the real session id, in the hands of the forger
        signer = URLSafeTimedSerializer("ein-anderer-schluessel-" + "y" * 30, salt=_salt())
        forger.add_cookies([{**genuine, "value": signer.dumps(token)}])
        page = forger.new_page()
        page.goto(team_app + "/team-protokoll")
        assert_login_shown(page)
        # The genuine cookie in the same kind of fresh browser does log in.
        forger.add_cookies([genuine])
        assert_team_page(page, team_app)
    finally:
        context.close()
        forger.close()


def _salt() -> str:
    return session_cookie._SALT


def test_cookie_routes_need_the_csrf_token_and_a_post(team_app, browser):
    context = _context(browser)
    captured: list[dict] = []

    def intercept(route):
        captured.append(json.loads(route.request.post_data))
        route.abort()  # the browser's own call never arrives: its code stays unused

    try:
        page = context.new_page()
        page.route("**/team/sitzung", intercept)
        log_in(page, team_app, "leon", PASSWORD, "Leon")
        page.wait_for_timeout(1_000)
        [body] = captured
        assert set(body) == {"code", "csrf"}

        refused = [
            _post(team_app, "/team/sitzung", {"code": body["code"]}),  # no token
            _post(team_app, "/team/sitzung", {"code": body["code"], "csrf": "geraten"}),
            _post(team_app, "/team/sitzung", body, **{"Sec-Fetch-Site": "cross-site"}),
            _post(team_app, "/team/sitzung", body, Origin="https://evil.example"),
        ]
        for response in refused:
            assert response.status == 403 and COOKIE not in str(response.headers)
        with pytest.raises(urllib.error.HTTPError) as err:  # never a state change on GET
            urllib.request.urlopen(
                f"{team_app}/team/sitzung?code={body['code']}&csrf={body['csrf']}", timeout=15
            )
        assert err.value.code == 405

        # The same code with its token: the cookie (so only the token made the difference).
        accepted = _post(team_app, "/team/sitzung", body)
        assert accepted.status == 204
        set_cookie = accepted.headers["Set-Cookie"]
        assert set_cookie.startswith(f"{COOKIE}=") and "HttpOnly" in set_cookie
        assert "SameSite=lax" in set_cookie or "SameSite=Lax" in set_cookie
        # Used once: a second redemption fails.
        assert _post(team_app, "/team/sitzung", body).status == 403

        # Logging out through the route needs the token bound to the cookie's session.
        cookie = set_cookie.split(";", 1)[0]
        assert _post(team_app, "/team/sitzung/ende", {}, Cookie=cookie).status == 403
        fresh = context.new_page()
        context.add_cookies([{"name": COOKIE, "value": cookie.split("=", 1)[1], "url": team_app}])
        assert_team_page(fresh, team_app)  # still logged in after the refused logout
    finally:
        context.close()


def test_a_team_link_without_login_shows_the_login_then_the_page(team_app, browser):
    context = _context(browser)
    try:
        page = context.new_page()
        page.goto(team_app + "/team-protokoll")  # as a link from a mail opens it
        assert_login_shown(page)
        page.get_by_role("textbox", name="Anmeldename").fill("leon")
        page.get_by_role("textbox", name="Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("heading", name="Änderungsprotokoll").wait_for(timeout=30_000)
        assert page.url == team_app + "/team-protokoll"
    finally:
        context.close()


def test_a_strangers_failures_do_not_keep_the_organizer_out(team_app, browser):
    """Keyed on name and address in the running server: the stranger (another address, as
    the local proxy reports it) is held back, the organizer logs in at the same moment."""
    stranger = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.7"})
    organizer = browser.new_context(extra_http_headers={"X-Forwarded-For": "198.51.100.2"})
    try:
        page = stranger.new_page()
        page.goto(team_app + "/login")
        page.get_by_role("textbox", name="Anmeldename").wait_for(timeout=30_000)
        wait_idle(page)
        for _ in range(7):
            page.get_by_role("textbox", name="Anmeldename").fill("leon")
            page.get_by_role("textbox", name="Passwort").fill("geraten-geraten")
            page.get_by_role("button", name="Anmelden").click()
            page.get_by_text("Anmeldename oder Passwort ist falsch").or_(
                page.get_by_text("Zu viele Fehlversuche")
            ).first.wait_for(timeout=30_000)
            wait_idle(page)
        assert "Zu viele Fehlversuche" in page.inner_text("body")
        log_in_cookie_as(organizer.new_page(), team_app, "leon", PASSWORD)
    finally:
        stranger.close()
        organizer.close()


@pytest.mark.parametrize(("width", "closed"), [(390, "true"), (1280, "false")])
def test_the_sidebar_closes_after_choosing_a_page_on_a_phone(team_app, browser, width, closed):
    """On a phone the open sidebar covers the page: choosing a page closes it (Streamlit
    closes it, then reopens it for the new page's sidebar content; ui/a11y.js closes it
    again). On a wide screen it stays where it is."""
    context = browser.new_context(viewport={"width": width, "height": 850}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, team_app, "leon", PASSWORD, "Leon")
        sidebar = page.locator('[data-testid="stSidebar"]')
        if sidebar.get_attribute("data-collapsed") == "true":
            page.locator('[data-testid="stExpandSidebarButton"]').click()
            page.wait_for_function(
                "() => document.querySelector('[data-testid=stSidebar]')"
                ".getAttribute('data-collapsed') === 'false'"
            )
        page.get_by_role("link", name="Themenplanung").click()
        page.get_by_role("heading", name="Themenplanung", level=1).wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_function(
            "(closed) => document.querySelector('[data-testid=stSidebar]')"
            ".getAttribute('data-collapsed') === closed",
            arg=closed,
            timeout=10_000,
        )
        # And it stays that way once the page has settled.
        page.wait_for_timeout(1000)
        assert sidebar.get_attribute("data-collapsed") == closed
    finally:
        context.close()
