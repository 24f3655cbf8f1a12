"""Organizer login page, navigation gate and the audit log page (AppTest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stammtisch import organizers
from tests.pages.conftest import ORGANIZER_PASSWORD, texts
from ui import layout

ORGANIZER_PAGES = [page for page, *_ in layout.ORGANIZER_PAGES if page != "pages/login.py"]


def _titles(at) -> list[str]:
    return [t.value for t in at.title]


def assert_refused(at, page: str) -> None:
    """Not in the navigation (AppTest refuses to switch) or the page's own gate stops it."""
    try:
        at.switch_page(page).run()
    except ValueError as exc:
        assert "Could not find a navigation page" in str(exc)
        return
    assert "Dieser Bereich ist nur für angemeldete Organisator:innen." in [
        e.value for e in at.error
    ]
    assert _titles(at) == [] and not at.dataframe


def test_login_with_password_shows_team_pages(make_app, organizer):
    at = make_app("pages/login.py")
    at.text_input(key="login.name").input("ORGA")
    at.text_input(key="login.password").input(ORGANIZER_PASSWORD)
    [button] = [b for b in at.button if b.label == "Anmelden"]
    button.click().run()
    assert not at.exception
    assert "Angemeldet als Leon Huff" in texts(at)
    at.switch_page("pages/orga_protokoll.py").run()
    assert "Änderungsprotokoll" in _titles(at)
    assert "login.success" in at.dataframe[0].value["Aktion"].tolist()


def test_wrong_password_shows_german_message_and_keeps_name(make_app, organizer):
    at = make_app("pages/login.py")
    at.text_input(key="login.name").input("orga")
    at.text_input(key="login.password").input("falsch")
    [button] = [b for b in at.button if b.label == "Anmelden"]
    button.click().run()
    assert "Anmeldename oder Passwort ist falsch." in [e.value for e in at.error]
    assert at.text_input(key="login.name").value == "orga"


def test_throttle_message_after_five_failures(make_app, organizer):
    at = make_app("pages/login.py")
    for _ in range(6):
        at.text_input(key="login.name").input("orga")
        at.text_input(key="login.password").input("falsch")
        [button] = [b for b in at.button if b.label == "Anmelden"]
        button.click().run()
    assert any("Zu viele Fehlversuche" in e.value for e in at.error)


@pytest.mark.parametrize("page", ORGANIZER_PAGES)
def test_organizer_pages_are_unreachable_without_login(make_app, page):
    at = make_app()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page).run()


@pytest.mark.parametrize("page", ORGANIZER_PAGES)
def test_organizer_pages_render_for_an_organizer(make_organizer_app, page):
    at = make_organizer_app(page)
    assert not at.exception, at.exception


def test_logout_removes_team_pages(make_organizer_app):
    at = make_organizer_app("pages/login.py")
    at.button(key="logout").click().run()
    assert_refused(at, "pages/orga_protokoll.py")


def test_idle_session_expires(make_organizer_app):
    at = make_organizer_app("pages/login.py")
    at.session_state["organizer.last_seen"] = datetime.now(UTC) - timedelta(hours=1)
    at.run()
    assert "nach längerer Inaktivität abgemeldet" in texts(at)
    assert_refused(at, "pages/orga_protokoll.py")


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("pages/orga_moderation.py", "Vorschläge prüfen"),
        ("pages/orga_impulse.py", "Impuls-Angebote"),
    ],
)
def test_removed_account_loses_cached_team_pages_at_once(make_organizer_app, app_db, page, title):
    """Cached reads skip the services' own check: the session check must catch it."""
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope

    at = make_organizer_app(page)
    assert not at.exception, at.exception
    assert title in [t.value for t in at.title]
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        organizers.remove_organizer(
            session=s,
            name=at.session_state["organizer.identity"].name,
            now=parse_instant("2021-11-20T12:00:00+01:00"),
        )
    engine.dispose()
    at.run()
    # The team section is gone from the navigation; the start page shows instead.
    assert title not in [t.value for t in at.title] and "Nächste Termine" in texts(at)
    assert_refused(at, "pages/orga_protokoll.py")


def test_deactivated_account_loses_team_pages_and_cannot_log_in_again(
    make_organizer_app, make_app, app_db
):
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope

    at = make_organizer_app("pages/orga_moderation.py")
    assert "Vorschläge prüfen" in _titles(at)
    name = at.session_state["organizer.identity"].name
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        organizers.set_active(
            session=s, name=name, active=False, now=parse_instant("2021-11-20T12:00:00+01:00")
        )
    engine.dispose()
    at.run()
    assert "Vorschläge prüfen" not in _titles(at) and "Nächste Termine" in texts(at)
    assert_refused(at, "pages/orga_protokoll.py")

    login = make_app("pages/login.py")
    login.text_input(key="login.name").input(name)
    login.text_input(key="login.password").input(ORGANIZER_PASSWORD)
    [button] = [b for b in login.button if b.label == "Anmelden"]
    button.click().run()
    assert "Anmeldename oder Passwort ist falsch." in [e.value for e in login.error]
    assert "Angemeldet als" not in texts(login)
