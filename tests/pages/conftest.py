"""AppTest fixtures: each test gets its own SQLite database and empty caches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import core

APP = Path(__file__).resolve().parents[2] / "navigation.py"
SEED_NOW = "2021-11-20T12:00:00+01:00"


@pytest.fixture(autouse=True, scope="session")
def full_error_details():
    """Production hides error details from visitors; tests want to see them."""
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")


@pytest.fixture
def app_db(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STAMMTISCH_NOW", SEED_NOW)
    monkeypatch.setenv("STAMMTISCH_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("STAMMTISCH_SMTP_URL", raising=False)
    monkeypatch.delenv("STAMMTISCH_CONFIRM_REGISTRATIONS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    core.SHARED.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()
    core.SHARED.clear()


@pytest.fixture
def make_app(app_db):
    def factory(page: str | None = None, **query) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        if query:
            at.query_params.update(query)
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return factory


def texts(at: AppTest) -> str:
    """Everything the page shows as text, for simple assertions."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "error",
        "success",
        "warning",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    joined = "\n".join(parts).replace("**", "")
    return re.sub(r"\\([^\w\s])", r"\1", joined)  # undo Markdown escapes


ORGANIZER_PASSWORD = "ein-sehr-langes-passwort"


@pytest.fixture
def organizer(app_db):
    """An organizer account in the (migrated and seeded) app database."""
    from stammtisch import organizers
    from stammtisch.bootstrap import init_database
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope

    engine = make_engine(app_db)
    init_database(engine, now=parse_instant(SEED_NOW))
    with session_scope(engine) as s:
        view = organizers.add_organizer(
            session=s,
            name="orga",
            password=ORGANIZER_PASSWORD,
            now=parse_instant(SEED_NOW),
            display_name="Leon Huff",
        )
    engine.dispose()
    return organizers.OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)


def start_session(app_db: str, identity, *, started_at=None) -> tuple:
    """A server-side session for ``identity``, as a login starts it; returns what a tab
    keeps of it (``organizer.session``: its id and start)."""
    from datetime import UTC, datetime

    from stammtisch import organizer_sessions
    from stammtisch.db import make_engine, session_scope

    engine = make_engine(app_db)
    with session_scope(engine) as s:
        started = organizer_sessions.start(
            session=s, actor=identity, now=started_at or datetime.now(UTC)
        )
    engine.dispose()
    return (started.view.id, started.view.created_at)


@pytest.fixture
def make_organizer_app(app_db, organizer):
    """Like make_app, with the organizer logged in before the first run."""

    def factory(page: str | None = None, **query) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        at.session_state["organizer.session"] = start_session(app_db, organizer)
        if query:
            at.query_params.update(query)
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return factory


@pytest.fixture
def make_admin_app(app_db, organizer, make_organizer_app):
    """Like make_organizer_app, with the organizer's account an admin."""
    from stammtisch import organizers
    from stammtisch.clock import parse_instant
    from stammtisch.db import make_engine, session_scope

    engine = make_engine(app_db)
    with session_scope(engine) as s:
        organizers.set_role_by_name(
            session=s, name=organizer.name, admin=True, now=parse_instant(SEED_NOW)
        )
    engine.dispose()
    return make_organizer_app
