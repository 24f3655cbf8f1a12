"""Organizer sessions on the server: handover, lookup, limits, and every way they end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from stammtisch import organizer_sessions as sessions
from stammtisch import organizers
from stammtisch.db import session_scope, write_transaction
from stammtisch.errors import ValidationError
from stammtisch.models import AuditEntry, Organizer
from tests import factories as f

PASSWORD = f.PASSWORD


@pytest.fixture
def leon(engine, now):
    return f.organizer(engine, now=now, name="leon")


def _start(engine, leon, now):
    with session_scope(engine) as s:
        return sessions.start(session=s, actor=leon, now=now)


def _redeem(engine, code, now):
    with session_scope(engine) as s:
        return sessions.redeem_handover(session=s, code=code, now=now)


def _find(engine, **kw):
    with session_scope(engine) as s:
        return sessions.find(session=s, **kw)


def _by_tab(engine, started):
    return _find(engine, session_id=started.view.id, started_at=started.view.created_at)


def test_handover_code_gives_the_cookie_id_once_and_only_in_time(engine, now, leon):
    started = _start(engine, leon, now)
    assert _redeem(engine, "erfunden", now) is None
    token = _redeem(engine, started.handover_code, now + timedelta(seconds=5))
    assert token and _find(engine, token=token).organizer == leon
    assert _redeem(engine, started.handover_code, now) is None  # used
    late = _start(engine, leon, now)
    assert _redeem(engine, late.handover_code, now + sessions.HANDOVER_TTL * 2) is None


def test_only_hashes_are_stored(engine, now, leon):
    started = _start(engine, leon, now)
    token = _redeem(engine, started.handover_code, now)
    with engine.connect() as conn:
        stored = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM organizer_session")) for v in row
        )
    assert token not in stored and started.handover_code not in stored


def test_a_tab_finds_its_session_by_id_and_start_only(engine, now, leon):
    started = _start(engine, leon, now)
    assert _by_tab(engine, started).organizer == leon
    # The number alone names nothing: after the session ends it could be reused.
    assert _find(engine, session_id=started.view.id, started_at=now - timedelta(hours=1)) is None
    assert _find(engine, session_id=started.view.id) is None


def test_idle_timeout_and_absolute_lifetime(engine, now, leon):
    started = _start(engine, leon, now)
    view = _by_tab(engine, started)
    assert view.ended(now + timedelta(minutes=29)) is None
    assert view.ended(now + timedelta(minutes=31)) == "idle"
    # Activity keeps it, but never beyond twelve hours after the login.
    t = now
    while t < now + timedelta(hours=12):
        t += timedelta(minutes=20)
        with session_scope(engine) as s:
            alive = sessions.touch(session=s, session_id=view.id, now=t)
        assert alive == (t < now + sessions.ABSOLUTE_LIFETIME)
    assert _by_tab(engine, started).ended(now + timedelta(hours=12)) == "expired"
    # Too late: touching an idle session fails, ending it removes it.
    with session_scope(engine) as s:
        assert not sessions.touch(session=s, session_id=view.id, now=t + timedelta(hours=1))
    with session_scope(engine) as s:
        sessions.end_expired(session=s, session_id=view.id, now=t + timedelta(hours=1))
    assert _by_tab(engine, started) is None


def test_logout_ends_one_session_everywhere_ends_all(engine, now, leon):
    first, second, third = (_start(engine, leon, now) for _ in range(3))
    token = _redeem(engine, third.handover_code, now)
    with session_scope(engine) as s:
        sessions.end(session=s, session_id=first.view.id, now=now)
    assert _by_tab(engine, first) is None and _by_tab(engine, second) is not None
    with session_scope(engine) as s:
        assert sessions.end_by_token(session=s, token=token, now=now)
    assert _find(engine, token=token) is None  # a copied cookie is worthless now
    with session_scope(engine) as s:
        assert sessions.end_all(session=s, actor=leon, now=now) == 1
    assert _by_tab(engine, second) is None
    assert {"logout", "logout.everywhere"} <= set(f.audit_actions(engine))


def test_new_password_ends_every_session(engine, now, leon):
    a, b = _start(engine, leon, now), _start(engine, leon, now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        organizers.change_password(
            session=s,
            actor=leon,
            old_password="falsch",
            new_password="ein-neues-langes-passwort",
            new_password_repeat="ein-neues-langes-passwort",
            now=now,
        )
    assert "old_password" in err.value.errors and _by_tab(engine, a) is not None
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        organizers.change_password(
            session=s,
            actor=leon,
            old_password=PASSWORD,
            new_password="kurz",
            new_password_repeat="anders",
            now=now,
        )
    assert set(err.value.errors) == {"password", "new_password_repeat"}
    with session_scope(engine) as s:
        organizers.change_password(
            session=s,
            actor=leon,
            old_password=PASSWORD,
            new_password="ein-neues-langes-passwort",
            new_password_repeat="ein-neues-langes-passwort",
            now=now,
        )
    assert _by_tab(engine, a) is None and _by_tab(engine, b) is None
    c = _start(engine, leon, now)
    with session_scope(engine) as s:
        organizers.set_password(session=s, name="LEON", password="noch-ein-passwort-1", now=now)
    assert _by_tab(engine, c) is None
    with session_scope(engine) as s:
        assert (
            organizers.authenticate(
                session=s, name="leon", password="noch-ein-passwort-1", now=now
            ).name
            == "leon"
        )


def test_removed_or_deactivated_account_has_no_session(engine, now, leon):
    started = _start(engine, leon, now)
    with session_scope(engine) as s, write_transaction(s):
        row = s.exec(select(Organizer)).one()
        row.active = False  # as deactivating the account does
        s.add(row)
    assert _by_tab(engine, started) is None
    with session_scope(engine) as s, write_transaction(s):
        row = s.exec(select(Organizer)).one()
        row.active = True
        s.add(row)
    assert _by_tab(engine, started) is not None
    with session_scope(engine) as s:
        organizers.remove_organizer(session=s, name="leon", now=now)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM organizer_session")).scalar_one() == 0


def test_cli_password_sets_a_new_one(tmp_path, monkeypatch, capsys):
    import io

    from stammtisch import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["organizer", "add", "leon", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("kurz\n"))
    assert cli.main(["organizer", "password", "leon", "--password-stdin"]) == 2
    assert "mindestens 12 Zeichen" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-ganz-neues-passwort\n"))
    assert cli.main(["organizer", "password", "LEON", "--password-stdin"]) == 0
    assert "alle Anmeldungen des Kontos sind beendet" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-ganz-neues-passwort\n"))
    assert cli.main(["organizer", "password", "niemand", "--password-stdin"]) == 2


def test_both_ways_to_a_new_password_are_audited_alike(engine, now, leon):
    """The account page and the CLI share one write: same action, object and details;
    only the actor differs (the organizer, or "system" for the CLI)."""
    with session_scope(engine) as s:
        organizers.change_password(
            session=s,
            actor=leon,
            old_password=PASSWORD,
            new_password="ein-neues-langes-passwort",
            new_password_repeat="ein-neues-langes-passwort",
            now=now,
        )
    with session_scope(engine) as s:
        organizers.set_password(session=s, name="Leon", password="noch-ein-passwort-1", now=now)
    with session_scope(engine) as s:
        rows = s.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "organizer.password")
            .order_by(AuditEntry.id)
        ).all()
    assert [(r.actor_name, r.object_type, r.object_id, r.details) for r in rows] == [
        ("leon", "organizer", leon.id, '{"name": "leon"}'),
        ("system", "organizer", leon.id, '{"name": "leon"}'),
    ]
