"""Configuration: the environment wins over secrets, secrets over defaults."""

from __future__ import annotations

from stammtisch.config import DEFAULT_DATABASE_URL, load_settings


def test_settings_environment_wins_over_secrets_over_defaults():
    assert load_settings({}, {}).database_url == DEFAULT_DATABASE_URL
    assert load_settings({}, {"DATABASE_URL": "sqlite:///s.db"}).database_url == "sqlite:///s.db"
    both = load_settings({"DATABASE_URL": "sqlite:///e.db"}, {"DATABASE_URL": "sqlite:///s.db"})
    assert both.database_url == "sqlite:///e.db"
    assert load_settings({"STAMMTISCH_NOW": "2021-11-20T12:00"}, {}).now == "2021-11-20T12:00"
    assert DEFAULT_DATABASE_URL.endswith("/data/stammtisch.db")
