"""Organizer login page, navigation gate and the audit log page (AppTest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from stammtisch import organizers
from tests.pages.conftest import APP, ORGANIZER_PASSWORD, start_session, texts
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
    assert "login.success" in at.dataframe[0].value["Code"].tolist()
    assert "Anmeldung" in at.dataframe[0].value["Aktion"].tolist()


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


def test_idle_session_expires(make_app, app_db, organizer):
    at = make_app()
    at.session_state["organizer.session"] = start_session(
        app_db, organizer, started_at=datetime.now(UTC) - timedelta(minutes=31)
    )
    at.switch_page("pages/login.py").run()
    assert "Ihre Sitzung ist abgelaufen" in texts(at)
    assert_refused(at, "pages/orga_protokoll.py")


def test_session_ends_after_twelve_hours_however_active(make_app, app_db, organizer):
    from stammtisch.db import make_engine, session_scope
    from stammtisch.models import OrganizerSession

    at = make_app()
    ref = start_session(
        app_db, organizer, started_at=datetime.now(UTC) - timedelta(hours=12, minutes=1)
    )
    engine = make_engine(app_db)
    with session_scope(engine) as s:  # active a minute ago, but logged in 12 hours ago
        row = s.get(OrganizerSession, ref[0])
        row.last_active_at = datetime.now(UTC) - timedelta(minutes=1)
        s.add(row)
        s.commit()
    engine.dispose()
    at.session_state["organizer.session"] = ref
    at.switch_page("pages/login.py").run()
    assert "Ihre Sitzung ist abgelaufen" in texts(at)
    assert_refused(at, "pages/orga_protokoll.py")


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("pages/orga_moderation.py", "Themensammlung prüfen"),
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
            session=s, name="orga", now=parse_instant("2021-11-20T12:00:00+01:00")
        )
    engine.dispose()
    at.run()
    # The team section is gone from the navigation; the page's address shows the login.
    assert title not in [t.value for t in at.title]
    assert "Anmeldung für das Team" in [t.value for t in at.title]
    assert_refused(at, "pages/orga_protokoll.py")


def test_deactivated_account_loses_its_session_at_once_and_cannot_log_in(
    make_organizer_app, app_db, organizer
):
    """Deactivating ends the account's sessions in the same transaction."""
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope

    at = make_organizer_app("pages/orga_protokoll.py")
    assert "Änderungsprotokoll" in _titles(at)
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        organizers.set_active(
            session=s, name="orga", active=False, now=parse_instant("2021-11-20T12:00:00+01:00")
        )
    engine.dispose()
    at.run()
    assert "Änderungsprotokoll" not in _titles(at)
    assert "Anmeldung für das Team" in _titles(at)
    assert_refused(at, "pages/orga_protokoll.py")
    login = make_app_for_login(app_db)
    assert "Anmeldename oder Passwort ist falsch." in [e.value for e in login.error]
    assert "Angemeldet als" not in texts(login)


def test_deactivated_account_loses_its_session_at_once(make_organizer_app, app_db):
    """require_organizer refuses inactive accounts; the session lookup asks it."""
    from stammtisch.db import make_engine, session_scope, write_transaction
    from stammtisch.models import Organizer

    at = make_organizer_app("pages/orga_protokoll.py")
    assert "Änderungsprotokoll" in _titles(at)
    engine = make_engine(app_db)
    with session_scope(engine) as s, write_transaction(s):
        row = s.exec(__import__("sqlmodel").select(Organizer)).one()
        row.active = False
        s.add(row)
    engine.dispose()
    at.run()
    assert "Änderungsprotokoll" not in _titles(at)
    assert "Anmeldung für das Team" in _titles(at)


def test_change_password_keeps_this_browser_and_ends_other_sessions(
    make_organizer_app, app_db, organizer
):
    other = start_session(app_db, organizer)  # another browser of the same account
    at = make_organizer_app("pages/login.py")
    assert "Mein Konto" in _titles(at)
    at.text_input(key="password.old_password").input("falsch-falsch-falsch")
    at.text_input(key="password.password").input("ein-neues-langes-passwort")
    at.text_input(key="password.new_password_repeat").input("ein-neues-langes-passwort")
    [button] = [b for b in at.button if b.label == "Passwort ändern"]
    button.click().run()
    assert "Das bisherige Passwort stimmt nicht." in texts(at)
    at.text_input(key="password.old_password").input(ORGANIZER_PASSWORD)
    at.text_input(key="password.password").input("ein-neues-langes-passwort")
    at.text_input(key="password.new_password_repeat").input("ein-neues-langes-passwort")
    [button] = [b for b in at.button if b.label == "Passwort ändern"]
    button.click().run()
    assert not at.exception
    assert "Das Passwort ist geändert" in texts(at)
    at.switch_page("pages/orga_protokoll.py").run()
    assert "Änderungsprotokoll" in _titles(at)  # this browser: logged in afresh
    assert "organizer.password" in at.dataframe[0].value["Code"].tolist()
    # The other browser's session is over; the old password no longer works.
    other_tab = AppTest.from_file(str(APP), default_timeout=30)
    other_tab.session_state["organizer.session"] = other
    other_tab.run()
    assert_refused(other_tab, "pages/orga_protokoll.py")
    login = make_app_for_login(app_db)
    assert "Anmeldename oder Passwort ist falsch." in [e.value for e in login.error]


def make_app_for_login(app_db, password: str = ORGANIZER_PASSWORD):
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.switch_page("pages/login.py").run()
    at.text_input(key="login.name").input("orga")
    at.text_input(key="login.password").input(password)
    [button] = [b for b in at.button if b.label == "Anmelden"]
    return button.click().run()


def test_log_out_everywhere_ends_every_session_of_the_account(
    make_organizer_app, app_db, organizer
):
    other = start_session(app_db, organizer)
    at = make_organizer_app("pages/login.py")
    at.button(key="logout-everywhere").click().run()
    assert "Überall abgemeldet (2 Sitzungen beendet)." in texts(at)
    assert_refused(at, "pages/orga_protokoll.py")
    other_tab = AppTest.from_file(str(APP), default_timeout=30)
    other_tab.session_state["organizer.session"] = other
    other_tab.run()
    assert_refused(other_tab, "pages/orga_protokoll.py")
