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


def test_trusted_proxies_default_to_this_machine_and_refuse_garbage():
    import pytest

    from stammtisch.config import ConfigError

    assert load_settings({}, {}).trusted_proxies == ("127.0.0.1", "::1")
    cfg = load_settings({"STAMMTISCH_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5"}, {})
    assert cfg.trusted_proxies == ("10.0.0.0/8", "192.168.1.5")
    assert load_settings({"STAMMTISCH_TRUSTED_PROXIES": "none"}, {}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="STAMMTISCH_TRUSTED_PROXIES"):
        load_settings({"STAMMTISCH_TRUSTED_PROXIES": "proxy.example"}, {})


def test_links_use_the_base_url_unless_the_host_is_allow_listed():
    default = load_settings({}, {})
    assert default.link_base("evil.example", "http") == ("http://localhost:8501", False)
    assert default.link_base(None) == ("http://localhost:8501", False)
    cfg = load_settings(
        {
            "STAMMTISCH_BASE_URL": "https://stammtisch.example.org/",
            "STAMMTISCH_ALLOWED_HOSTS": "Stammtisch.example, 127.0.0.1",
        },
        {},
    )
    assert cfg.link_base("evil.example", "https") == ("https://stammtisch.example.org", False)
    assert cfg.link_base("stammtisch.example", "https") == ("https://stammtisch.example", True)
    assert cfg.link_base("127.0.0.1:8502", "http") == ("http://127.0.0.1:8502", True)
    # Only a plain host[:port]; anything else falls back to the configured address.
    for host in ("stammtisch.example/evil", "stammtisch.example:80@evil", "stammtisch.example "):
        assert cfg.link_base(host + "x", "https")[1] is False
    assert cfg.link_base("stammtisch.example", "javascript")[1] is False


def test_secret_key_must_be_long():
    import pytest

    from stammtisch.config import ConfigError

    assert load_settings({}, {}).secret_key is None
    key = "k" * 40
    assert load_settings({}, {"STAMMTISCH_SECRET_KEY": key}).secret_key == key
    with pytest.raises(ConfigError, match="zu kurz"):
        load_settings({"STAMMTISCH_SECRET_KEY": "geheim"}, {})
