"""The login throttle: a stranger's failures slow only the stranger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stammtisch import cli, login_throttle, organizers
from stammtisch.db import session_scope
from stammtisch.login_throttle import LoginThrottled
from stammtisch.models import LoginThrottle
from stammtisch.organizers import LoginFailed

PASSWORD = "ein-langes-passwort"
STRANGER = "203.0.113.7"
ORGANIZER = "198.51.100.2"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """Cheap argon2 parameters: these tests make hundreds of attempts, and what they check
    is the throttle, not the hash (which keeps its own test in test_organizers)."""
    from argon2 import PasswordHasher

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(organizers, "_hasher", quick)
    monkeypatch.setattr(organizers, "_DUMMY_HASH", quick.hash("dummy"))


@pytest.fixture
def leon(engine, now):
    with session_scope(engine) as s:
        organizers.add_organizer(session=s, name="leon", password=PASSWORD, now=now)


def _login(engine, now, at, client, name="leon", password=PASSWORD):
    """An attempt at real time ``at``; the app clock stays at ``now`` (pinned, as in demos)."""
    with session_scope(engine) as s:
        return organizers.authenticate(
            session=s, name=name, password=password, now=now, client=client, attempt_at=at
        )


def _fail_until_checked(engine, now, at, client, name="leon"):
    """One wrong password that is really checked (waiting out a running block first);
    returns the real time after the attempt."""
    while True:
        try:
            _login(engine, now, at, client, name=name, password="falsch")
        except LoginThrottled as exc:
            at += exc.retry_after
            continue
        except LoginFailed:
            return at
        raise AssertionError("a wrong password was accepted")


def _rows(engine) -> int:
    with session_scope(engine) as s:
        return s.execute(select(func.count()).select_from(LoginThrottle)).scalar_one()


def test_the_delay_doubles_from_the_fifth_failure_up_to_fifteen_minutes():
    delays = [login_throttle.delay_for(n).total_seconds() for n in range(13)]
    assert delays == [0, 0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256]
    assert login_throttle.delay_for(20) == timedelta(minutes=15)


def test_fifty_failures_from_one_address_leave_the_organizer_in_from_another_at_once(
    engine, now, leon
):
    at = now
    for _ in range(50):
        at = _fail_until_checked(engine, now, at, STRANGER)
    # The stranger waits the longest delay …
    with pytest.raises(LoginThrottled) as err:
        _login(engine, now, at, STRANGER)
    assert err.value.retry_after == login_throttle.MAX_DELAY
    # … the organizer, at the same moment from another address, is in at once.
    assert _login(engine, now, at, ORGANIZER).name == "leon"


def test_many_addresses_slow_the_name_for_seconds_only(engine, now, leon):
    at = now
    for n in range(40):  # a guess spread over 40 machines, each failing once
        at = _fail_until_checked(engine, now, at, f"10.0.0.{n + 1}")
    with pytest.raises(LoginThrottled) as err:
        _login(engine, now, at, ORGANIZER)
    assert err.value.retry_after <= login_throttle.NAME_MAX_DELAY
    assert "Sekunden" in err.value.message
    assert _login(engine, now, at + login_throttle.NAME_MAX_DELAY, ORGANIZER).name == "leon"


def test_waits_run_on_the_real_clock_while_the_app_clock_is_pinned(engine, now, leon):
    at = now + timedelta(days=400)  # the real clock, far from the pinned app clock
    for _ in range(login_throttle.FREE_ATTEMPTS):
        at = _fail_until_checked(engine, now, at, ORGANIZER)
    with pytest.raises(LoginThrottled) as err:
        _login(engine, now, at, ORGANIZER)
    # The block ends when the real clock says so, though "now" never moves.
    assert _login(engine, now, at + err.value.retry_after, ORGANIZER).name == "leon"


def test_unknown_names_are_throttled_alike_and_forgotten(engine, now):
    at = now
    for _ in range(login_throttle.FREE_ATTEMPTS):
        at = _fail_until_checked(engine, now, at, STRANGER, name="rate-mal")
    with pytest.raises(LoginThrottled):
        _login(engine, now, at, STRANGER, name="rate-mal")
    assert _rows(engine) == 1
    # A day later any new failure prunes what is old.
    _fail_until_checked(
        engine, now, at + login_throttle.FORGET_AFTER + timedelta(hours=1), STRANGER, "anders"
    )
    assert _rows(engine) == 1


def test_invented_names_never_grow_the_table_beyond_its_bound(engine, now, monkeypatch):
    monkeypatch.setattr(login_throttle, "MAX_ROWS", 20)
    at = now
    for n in range(60):
        at = _fail_until_checked(engine, now, at + timedelta(seconds=1), STRANGER, f"x{n}")
    assert _rows(engine) <= 21


def test_unlock_lifts_every_wait_for_the_name(engine, now, leon):
    at = now
    for client in (STRANGER, ORGANIZER):
        for _ in range(8):
            at = _fail_until_checked(engine, now, at, client)
    with pytest.raises(LoginThrottled):
        _login(engine, now, at, ORGANIZER)
    with session_scope(engine) as s:
        assert organizers.unlock(session=s, name="LEON", now=now) == 2
    assert _login(engine, now, at, ORGANIZER).name == "leon"


def test_ipv6_addresses_count_by_their_network():
    key = login_throttle.client_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:203.0.113.7") == key("203.0.113.7") == "203.0.113.7"
    assert key(None) == key("") == "local"
    assert key("kein-ip") == "unknown"


def test_cli_unlock(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(PASSWORD + "\n"))
    assert cli.main(["organizer", "add", "leon", "--password-stdin"]) == 0
    assert cli.main(["organizer", "unlock", "leon"]) == 0
    assert "aufgehoben" in capsys.readouterr().out
    assert cli.main(["organizer", "unlock", "niemand"]) == 2
    assert "Kein Organisator-Konto" in capsys.readouterr().err
