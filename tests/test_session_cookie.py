"""The team's login cookie: whatever a browser sends, the lookup answers calmly, and only
the exact cookie of a running session logs anyone in."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from stammtisch import organizer_sessions
from stammtisch.bootstrap import init_database
from stammtisch.db import make_engine, session_scope
from tests import factories as f
from tests.conftest import SEED_NOW
from ui import session_cookie

SECRET = "s" * 48


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """(engine, cookie of a running session, cookie of an ended one)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('cookie') / 'c.db'}")
    init_database(engine, now=SEED_NOW)
    leon = f.organizer(engine, now=SEED_NOW, name="leon")
    now = datetime.now(UTC)
    cookies = []
    for _ in range(2):
        with session_scope(engine) as s:
            started = organizer_sessions.start(session=s, actor=leon, now=now)
        with session_scope(engine) as s:
            token = organizer_sessions.redeem_handover(
                session=s, code=started.handover_code, now=now
            )
        cookies.append(session_cookie.sign(SECRET, token))
    with session_scope(engine) as s:  # the second one logged out: its cookie is replayed
        organizer_sessions.end_by_token(
            session=s, token=session_cookie.unsign(SECRET, cookies[1]), now=now
        )
    yield engine, cookies[0], cookies[1]
    engine.dispose()


def _lookup(engine, value):
    """What a page does with the cookie's value: check the signature, then the database."""
    token = session_cookie.unsign(SECRET, value)
    if token is None:
        return None
    with session_scope(engine) as s:
        return organizer_sessions.find(session=s, token=token)


def test_the_live_cookie_logs_in_the_replayed_one_not(live):
    engine, cookie, replayed = live
    assert _lookup(engine, cookie).organizer.name == "leon"
    assert session_cookie.unsign(SECRET, replayed) is not None  # well signed …
    assert _lookup(engine, replayed) is None  # … but its session is over


def test_another_secret_or_an_old_cookie_is_refused(live, monkeypatch):
    engine, cookie, _ = live
    token = session_cookie.unsign(SECRET, cookie)
    forged = URLSafeTimedSerializer("x" * 48, salt="stammtisch.organizer-session").dumps(token)
    assert session_cookie.unsign(SECRET, forged) is None
    assert _lookup(engine, forged) is None
    # Signed 13 hours ago, longer than a session can live: refused before any lookup.
    monkeypatch.setattr(
        "itsdangerous.timed.TimestampSigner.get_timestamp",
        lambda self: int(time.time()) - 13 * 3600,
    )
    old = session_cookie.sign(SECRET, token)
    monkeypatch.undo()
    assert session_cookie.unsign(SECRET, old) is None
    assert session_cookie.unsign(SECRET, session_cookie.sign(SECRET, token)) == token


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=500),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF0123456789-_.", max_size=200),
        st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
        st.none(),
        st.integers(),
    )
)
def test_garbage_never_raises_and_never_logs_in(live, value):
    engine, _, _ = live
    assert _lookup(engine, value) is None


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_or_altered_cookies_never_raise_and_never_log_in(live, data):
    engine, cookie, replayed = live
    original = data.draw(st.sampled_from([cookie, replayed]))
    cut = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
    assert _lookup(engine, original[:cut]) is None
    position = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
    char = data.draw(st.characters(codec="ascii"))
    altered = original[:position] + char + original[position + 1 :]
    # Base64 leaves the last character's low bits unused: such a twin of the signature is
    # the same cookie, never another session's.
    token = session_cookie.unsign(SECRET, altered)
    assert token is None or token == session_cookie.unsign(SECRET, original)
    extra = data.draw(st.text(min_size=1, max_size=20))
    assert _lookup(engine, original + extra) is None


def test_csrf_tokens_are_bound_to_purpose_and_session():
    token = session_cookie.csrf_token(SECRET, "end", "hash-a")
    assert session_cookie.csrf_ok(SECRET, "end", "hash-a", token)
    assert not session_cookie.csrf_ok(SECRET, "set", "hash-a", token)
    assert not session_cookie.csrf_ok(SECRET, "end", "hash-b", token)
    assert not session_cookie.csrf_ok("y" * 48, "end", "hash-a", token)
    for given_value in (None, "", 5, "x" * 1000):
        assert not session_cookie.csrf_ok(SECRET, "end", "hash-a", given_value)
