"""Visitors never see a traceback: a broken database gives a friendly German message."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.conftest import wait_idle

pytestmark = pytest.mark.browser


def test_unexpected_error_shows_german_message_without_traceback(seed_app_db, page):
    base, db_url = seed_app_db
    # Break the database under the running app (as a failing disk or bad migration would).
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("DROP TABLE impulse")
    page.goto(base + "/")
    page.get_by_text("Entschuldigung, hier ist etwas schiefgegangen").wait_for(timeout=30_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "Traceback" not in body and "OperationalError" not in body and "sqlite" not in body
    assert page.locator('[data-testid="stException"]').count() == 0
