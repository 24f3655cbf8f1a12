"""Organizer accounts, login throttling, permission checks and the audit log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session, select

from stammtisch import audit, organizers
from stammtisch.db import session_scope
from stammtisch.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from stammtisch.models import LoginThrottle, Mail, MailStatus, Organizer
from stammtisch.organizers import LoginFailed, LoginThrottled, OrganizerIdentity
from tests import factories as f

PASSWORD = "ein-langes-passwort"


def _add(engine, now, name="leon", **kw):
    with session_scope(engine) as s:
        return organizers.add_organizer(session=s, name=name, password=PASSWORD, now=now, **kw)


def _login(engine, now, name="leon", password=PASSWORD):
    with session_scope(engine) as s:
        return organizers.authenticate(session=s, name=name, password=password, now=now)


def test_password_is_stored_as_argon2_hash(engine, now):
    _add(engine, now)
    with session_scope(engine) as s:
        row = s.exec(select(Organizer)).one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_login_is_case_insensitive_on_the_name(engine, now):
    _add(engine, now, name="Leon")
    identity = _login(engine, now, name="LEON")
    assert identity.name == "Leon"


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [("", PASSWORD, "name"), ("a b", PASSWORD, "name"), ("anna", "kurz", "password")],
)
def test_add_organizer_validation(engine, now, name, password, field):
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        organizers.add_organizer(session=s, name=name, password=password, now=now)
    assert field in err.value.errors


def test_a_name_whose_folded_key_outgrows_the_column_is_refused(engine, now):
    # 40 characters, but its key "ss" * 40 would not fit the 60 of Organizer.login_key
    # (PostgreSQL refuses the insert, SQLite would keep it silently).
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        organizers.add_organizer(session=s, name="ß" * 40, password=PASSWORD, now=now)
    assert "zu lang" in err.value.errors["name"]
    assert _add(engine, now, name="ß" * 30).name == "ß" * 30  # key of 60 still fits


def test_duplicate_name_refused(engine, now):
    _add(engine, now, name="leon")
    with pytest.raises(ValidationError):
        _add(engine, now, name="LEON")


def test_wrong_password_and_unknown_name_give_the_same_message(engine, now):
    _add(engine, now)
    with pytest.raises(LoginFailed) as wrong:
        _login(engine, now, password="falsch-falsch-falsch")
    with pytest.raises(LoginFailed) as unknown:
        _login(engine, now, name="niemand")
    assert wrong.value.message == unknown.value.message


def test_throttle_after_five_failures_with_growing_delay(engine, now):
    _add(engine, now)
    t = now
    for _ in range(4):
        with pytest.raises(LoginFailed):
            _login(engine, t, password="falsch")
    with pytest.raises(LoginFailed):  # the fifth failure starts the delay
        _login(engine, t, password="falsch")
    # Even the right password is refused while the delay runs.
    with pytest.raises(LoginThrottled) as err:
        _login(engine, t + timedelta(seconds=1))
    assert "Sekunden" in err.value.message
    delays = []
    for _ in range(4):
        t = t + timedelta(hours=1)
        with pytest.raises(LoginFailed):
            _login(engine, t, password="falsch")
        with pytest.raises(LoginThrottled) as err:
            _login(engine, t)
        delays.append(err.value.retry_after)
    assert delays == sorted(delays) and delays[-1] > delays[0]
    # After the delay the right password works and resets the counter.
    assert _login(engine, t + timedelta(hours=1)).name == "leon"
    with pytest.raises(LoginFailed):
        _login(engine, t + timedelta(hours=1), password="falsch")


def test_throttle_also_for_unknown_names(engine, now):
    for _ in range(5):
        with pytest.raises(LoginFailed):
            _login(engine, now, name="rate-mal", password="x")
    with pytest.raises(LoginThrottled):
        _login(engine, now, name="rate-mal", password="x")


def test_scripted_series_of_wrong_passwords_is_held_back(engine, now):
    _add(engine, now)
    outcomes = []
    t = now
    for _ in range(50):  # an attacker trying as fast as the server answers
        try:
            _login(engine, t, password="rate")
        except LoginThrottled:
            outcomes.append("throttled")
        except LoginFailed:
            outcomes.append("checked")
        t += timedelta(milliseconds=100)
    assert outcomes.count("checked") <= 6  # five free attempts, then one per delay


def test_require_organizer_refuses_missing_unknown_and_removed(engine, now):
    view = _add(engine, now)
    identity = OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)
    with session_scope(engine) as s:
        assert organizers.require_organizer(s, identity).id == view.id
        with pytest.raises(PermissionDenied):
            organizers.require_organizer(s, None)
        with pytest.raises(PermissionDenied):
            organizers.require_organizer(s, OrganizerIdentity(id=999, name="x", display_name="x"))
        with pytest.raises(PermissionDenied):
            organizers.require_organizer(
                s, OrganizerIdentity(id=view.id, name="anna", display_name="")
            )
    with session_scope(engine) as s:
        organizers.remove_organizer(session=s, name="leon", now=now)
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        organizers.require_organizer(s, identity)
    with session_scope(engine) as s, pytest.raises(NotFound):
        organizers.remove_organizer(session=s, name="leon", now=now)


def _set_active(engine, now, active, name="leon"):
    with session_scope(engine) as s:
        return organizers.set_active(session=s, name=name, active=active, now=now)


def _stored_active(engine, name="leon") -> bool:
    with session_scope(engine) as s:
        return s.exec(select(Organizer).where(Organizer.name == name)).one().active


def test_deactivated_account_can_neither_log_in_nor_act_until_activated(engine, now):
    _add(engine, now, email="leon@example.org")
    identity = _login(engine, now)
    with pytest.raises(LoginFailed) as wrong:
        _login(engine, now, password="falsch-falsch-falsch")
    view = _set_active(engine, now, False, name="LEON")
    assert (view.name, view.active) == ("leon", False) and not _stored_active(engine)
    # Refused like a wrong password: the login reveals nothing about the account.
    with pytest.raises(LoginFailed) as refused:
        _login(engine, now)
    assert refused.value.message == wrong.value.message
    with session_scope(engine) as s:
        assert organizers.identity_for_email(session=s, email="leon@example.org", now=now) is None
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        organizers.require_organizer(s, identity)
    with session_scope(engine) as s:
        assert [v.active for v in organizers.list_organizers(session=s)] == [False]

    assert _set_active(engine, now, True).active and _stored_active(engine)
    again = _login(engine, now)
    with session_scope(engine) as s:
        assert organizers.require_organizer(s, again).id == identity.id
    with session_scope(engine) as s:
        assert organizers.identity_for_email(session=s, email="leon@example.org", now=now)


def test_set_active_is_audited_and_refuses_unknown_names_and_the_same_state(engine, now):
    _add(engine, now)
    with pytest.raises(InvalidTransition) as err:
        _set_active(engine, now, True)
    assert err.value.message == "Das Organisator-Konto „leon“ ist bereits aktiv."
    _set_active(engine, now, False)
    with pytest.raises(InvalidTransition) as err:
        _set_active(engine, now, False)
    assert err.value.message == "Das Organisator-Konto „leon“ ist bereits deaktiviert."
    with pytest.raises(NotFound):
        _set_active(engine, now, False, name="niemand")
    view = _set_active(engine, now, True)
    assert f.last_audit(engine) == (
        "organizer.activate",
        "system",
        "organizer",
        view.id,
        {"name": "leon", "before": "deaktiviert", "after": "aktiv"},  # German, for the log
    )
    with session_scope(engine) as s:
        entries = audit.list_entries(session=s)
    assert [e.action for e in entries] == [
        "organizer.activate",
        "organizer.deactivate",
        "organizer.add",
    ]
    assert {e.details["name"] for e in entries} == {"leon"}


def test_sso_maps_email_to_account(engine, now):
    _add(engine, now, email="Leon@Example.org")
    with session_scope(engine) as s:
        assert (
            organizers.identity_for_email(session=s, email="leon@example.org", now=now).name
            == "leon"
        )
    with session_scope(engine) as s:
        assert organizers.identity_for_email(session=s, email="fremd@example.org", now=now) is None


def test_account_changes_and_logins_are_audited(engine, now):
    _add(engine, now)
    _login(engine, now)
    with session_scope(engine) as s:
        entries = audit.list_entries(session=s)
    assert [e.action for e in entries] == ["login.success", "organizer.add"]
    assert entries[1].details == {
        "name": "leon",
        "after": {
            "Anzeigename": "leon",
            "E-Mail": "–",
            "Rolle": "Organisator:in",
            "Zustand": "aktiv",
        },
    }


def test_idle_sessions_expire():
    from datetime import UTC, datetime

    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert organizers.session_expired(None, t)
    assert not organizers.session_expired(t - timedelta(minutes=29), t)
    assert organizers.session_expired(t - timedelta(minutes=31), t)


def test_logins_are_noted_and_logged_without_touching_the_data_version(engine, now):
    from stammtisch.db import read_data_version

    view = _add(engine, now, email="leon@example.org")
    before = read_data_version(engine)
    later = now + timedelta(minutes=3)
    _login(engine, later)
    with session_scope(engine) as s:
        assert s.get(Organizer, view.id).last_login_at == later
    assert f.last_audit(engine) == (
        "login.success",
        "system",
        "organizer",
        view.id,
        {"name": "leon"},
    )
    sso = later + timedelta(minutes=1)
    with session_scope(engine) as s:
        organizers.identity_for_email(session=s, email="LEON@example.org", now=sso)
    assert f.last_audit(engine) == ("login.sso", "system", "organizer", view.id, {"name": "leon"})
    with session_scope(engine) as s:
        assert s.get(Organizer, view.id).last_login_at == sso
    # A login is no content change: no page cache of another process goes stale.
    assert read_data_version(engine) == before


def test_removal_is_logged_with_the_name(engine, now):
    view = _add(engine, now)
    with session_scope(engine) as s:
        organizers.remove_organizer(session=s, name="LEON", now=now + timedelta(minutes=1))
    assert f.last_audit(engine) == (
        "organizer.remove",
        "system",
        "organizer",
        view.id,
        {"name": "leon"},
    )


@pytest.mark.parametrize(
    ("wait", "seconds"),
    [
        (timedelta(milliseconds=1), 1),
        (timedelta(seconds=2), 2),
        (timedelta(seconds=2, milliseconds=1), 3),  # rounded up: never too short a wait
        (timedelta(minutes=15), 900),
    ],
)
def test_throttle_message_says_how_long_to_wait(wait, seconds):
    refusal = LoginThrottled(wait)
    assert refusal.retry_after == wait
    assert refusal.message == (
        f"Zu viele Fehlversuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es dann "
        "erneut."
    )


# --- exact refusals and bounds ---------------------------------------------------------------


def _refused(engine, now, **kw) -> dict[str, str]:
    values = {"name": "leon", "password": PASSWORD, **kw}
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        organizers.add_organizer(session=s, now=now, **values)
    return err.value.errors


def test_account_refusals_in_full_and_the_bounds_of_a_password(engine, now):
    assert _refused(engine, now, name="", password="kurz") == {
        "name": "Bitte geben Sie einen Anmeldenamen an.",
        "password": "Das Passwort muss mindestens 12 Zeichen lang sein.",
    }
    assert _refused(engine, now, name="le on!") == {
        "name": "Der Anmeldename darf nur Buchstaben, Ziffern und . _ - @ enthalten."
    }
    assert _refused(engine, now, password="p" * 1025) == {
        "password": "Das Passwort ist zu lang (höchstens 1024 Zeichen)."
    }
    assert _refused(engine, now, display_name="d" * 121, email="kaputt") == {
        "display_name": "Der Anzeigename ist zu lang (höchstens 120 Zeichen, jetzt 121).",
        "email": "Bitte geben Sie eine gültige E-Mail-Adresse an (zum Beispiel name@beispiel.de).",
    }
    with session_scope(engine) as s:
        organizers.add_organizer(session=s, name="a.b_c-d@e", password="p" * 12, now=now)
    with session_scope(engine) as s:
        organizers.add_organizer(session=s, name="lang", password="p" * 1024, now=now)
    assert _refused(engine, now, name="A.B_C-D@E") == {"name": "Diesen Anmeldenamen gibt es schon."}
    with session_scope(engine) as s:
        assert [v.name for v in organizers.list_organizers(session=s)] == ["a.b_c-d@e", "lang"]


def test_accounts_are_listed_by_login_name_whatever_the_case(engine, now):
    for name in ("beta", "Alpha", "gamma"):
        _add(engine, now, name=name)
    with session_scope(engine) as s:
        assert [v.name for v in organizers.list_organizers(session=s)] == ["Alpha", "beta", "gamma"]


def test_a_failed_login_is_counted_with_its_time_and_blocks_only_from_the_fifth(engine, now):
    _add(engine, now)
    with pytest.raises(LoginFailed):
        _login(engine, now, password="falsch-falsch-falsch")
    with session_scope(engine) as s:
        throttle = s.get(LoginThrottle, ("leon", "local"))
        assert (throttle.failures, throttle.last_failure_at, throttle.blocked_until) == (
            1,
            now,
            None,
        )
    for _ in range(4):
        with pytest.raises(LoginFailed):
            _login(engine, now, password="falsch-falsch-falsch")
    with session_scope(engine) as s:
        blocked_until = s.get(LoginThrottle, ("leon", "local")).blocked_until
    assert blocked_until == now + timedelta(seconds=2)
    with pytest.raises(LoginThrottled):
        _login(engine, blocked_until - timedelta(microseconds=1))
    assert _login(engine, blocked_until).name == "leon"  # the delay is over at its end


def test_missing_name_or_password_is_asked_for_and_not_counted(engine, now):
    _add(engine, now)
    for name, password in (("", PASSWORD), ("leon", ""), ("   ", PASSWORD)):
        with pytest.raises(LoginFailed) as err:
            _login(engine, now, name=name, password=password)
        assert err.value.message == "Bitte geben Sie Anmeldename und Passwort ein."
    with session_scope(engine) as s:
        assert s.exec(select(LoginThrottle)).all() == []


def test_long_names_share_the_throttle_of_their_first_120_characters(engine, now):
    for _ in range(5):
        with pytest.raises(LoginFailed):
            _login(engine, now, name="x" * 120 + "a")
    with pytest.raises(LoginThrottled):
        _login(engine, now, name="x" * 120 + "b")


def test_a_hash_with_other_cost_settings_is_renewed_at_the_next_login(engine, now, monkeypatch):
    from argon2 import PasswordHasher

    current = organizers._hasher
    monkeypatch.setattr(
        organizers, "_hasher", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    )
    view = _add(engine, now)
    monkeypatch.setattr(organizers, "_hasher", current)
    with session_scope(engine) as s:
        old = s.get(Organizer, view.id).password_hash
    assert current.check_needs_rehash(old)
    _login(engine, now)
    with session_scope(engine) as s:
        new = s.get(Organizer, view.id).password_hash
    assert new != old and not current.check_needs_rehash(new)
    assert _login(engine, now).name == "leon"


def test_require_organizer_refuses_anything_but_an_identity_in_german(engine, now):
    view = _add(engine, now)
    for bad in (None, "leon", view, OrganizerIdentity(id=view.id, name="anna", display_name="")):
        with session_scope(engine) as s, pytest.raises(PermissionDenied) as err:
            organizers.require_organizer(s, bad)
        assert err.value.message == "Dafür müssen Sie als Organisator:in angemeldet sein."


def test_a_session_expires_only_after_more_than_thirty_minutes():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert not organizers.session_expired(t - timedelta(minutes=30), t)
    assert organizers.session_expired(t - timedelta(minutes=30, microseconds=1), t)


def _identity(view) -> OrganizerIdentity:
    return OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)


def _sessions(engine, view) -> int:
    from stammtisch import organizer_sessions

    with session_scope(engine) as s:
        organizer_sessions.start(session=s, actor=_identity(view), now=datetime.now(UTC))
    from stammtisch.models import OrganizerSession

    with session_scope(engine) as s:
        return len(s.exec(select(OrganizerSession)).all())


def _open_sessions(engine) -> int:
    from stammtisch.models import OrganizerSession

    with session_scope(engine) as s:
        return len(s.exec(select(OrganizerSession)).all())


def _change(engine, now, view, old, new, repeat=None, client="203.0.113.9"):
    with session_scope(engine) as s:
        organizers.change_password(
            session=s,
            actor=_identity(view),
            old_password=old,
            new_password=new,
            new_password_repeat=new if repeat is None else repeat,
            now=now,
            client=client,
        )


def test_changing_ones_password_refusals_in_full(engine, now):
    view = _add(engine, now)
    new = "ein-ganz-neues-passwort"
    with pytest.raises(ValidationError) as err:
        _change(engine, now, view, PASSWORD, new, repeat=new + "x")
    assert err.value.errors == {
        "new_password_repeat": "Die beiden neuen Passwörter stimmen nicht überein."
    }
    with pytest.raises(ValidationError) as err:
        _change(engine, now, view, PASSWORD, PASSWORD)
    assert err.value.errors == {
        "password": "Das neue Passwort muss sich vom bisherigen unterscheiden."
    }
    with pytest.raises(ValidationError) as err:
        _change(engine, now, view, "falsch-falsch-falsch", new)
    assert err.value.errors == {"old_password": "Das bisherige Passwort stimmt nicht."}
    assert _login(engine, now).name == "leon"  # nothing changed


def test_a_wrong_old_password_counts_for_the_throttle_of_that_address(engine, now):
    view = _add(engine, now)
    for _ in range(5):
        with pytest.raises(ValidationError):
            _change(engine, now, view, "falsch-falsch-falsch", "ein-ganz-neues-passwort")
    with session_scope(engine) as s:
        row = s.get(LoginThrottle, ("leon", "203.0.113.9"))
        assert (row.failures, row.blocked_until) == (5, now + timedelta(seconds=2))
    with pytest.raises(LoginThrottled):  # even the right one waits now, from there
        _change(engine, now, view, PASSWORD, "ein-ganz-neues-passwort")
    _change(engine, now, view, PASSWORD, "ein-ganz-neues-passwort", client="198.51.100.4")
    assert _login(engine, now, password="ein-ganz-neues-passwort").name == "leon"


def test_a_new_password_ends_every_session_and_is_logged(engine, now):
    view = _add(engine, now)
    assert _sessions(engine, view) == 1
    _change(engine, now, view, PASSWORD, "ein-ganz-neues-passwort")
    assert _open_sessions(engine) == 0
    assert f.last_audit(engine) == (
        "organizer.password",
        "leon",
        "organizer",
        view.id,
        {"name": "leon"},
    )
    _sessions(engine, view)
    with session_scope(engine) as s:
        organizers.set_password(session=s, name="LEON", password="noch-ein-passwort", now=now)
    assert _open_sessions(engine) == 0
    assert f.last_audit(engine) == (
        "organizer.password",
        "system",
        "organizer",
        view.id,
        {"name": "leon"},
    )
    assert _login(engine, now, password="noch-ein-passwort").name == "leon"


def test_unknown_accounts_are_named_in_the_refusal(engine, now):
    calls = (
        lambda s: organizers.set_password(session=s, name="niemand", password=PASSWORD, now=now),
        lambda s: organizers.unlock(session=s, name="niemand", now=now),
        lambda s: organizers.remove_organizer(session=s, name="niemand", now=now),
        lambda s: organizers.set_active(session=s, name="niemand", active=False, now=now),
    )
    for call in calls:
        with session_scope(engine) as s, pytest.raises(NotFound) as err:
            call(s)
        assert err.value.message == "Kein Organisator-Konto mit dem Namen „niemand“."


def test_unlock_is_logged_with_how_many_rows_went(engine, now):
    view = _add(engine, now)
    with pytest.raises(LoginFailed):
        _login(engine, now, password="falsch-falsch-falsch")
    with session_scope(engine) as s:
        assert organizers.unlock(session=s, name="Leon", now=now) == 1
    assert f.last_audit(engine) == (
        "organizer.unlock",
        "system",
        "organizer",
        view.id,
        {"name": "leon", "rows": 1},
    )


def test_deactivating_or_removing_an_account_ends_its_sessions_activating_does_not(engine, now):
    view = _add(engine, now)
    _sessions(engine, view)
    with session_scope(engine) as s:
        organizers.set_active(session=s, name="leon", active=False, now=now)
    assert _open_sessions(engine) == 0
    with session_scope(engine) as s:
        organizers.set_active(session=s, name="leon", active=True, now=now)
    assert _sessions(engine, view) == 1
    other = _add(engine, now, name="anna")
    _sessions(engine, other)
    with session_scope(engine) as s:
        organizers.set_active(session=s, name="anna", active=False, now=now)
    assert _open_sessions(engine) == 1  # only anna's ended
    with session_scope(engine) as s:
        organizers.remove_organizer(session=s, name="leon", now=now)
    assert _open_sessions(engine) == 0


def test_a_new_account_is_logged_with_its_id(engine, now):
    view = _add(engine, now)
    action, _actor, kind, obj, _details = f.last_audit(engine)
    assert (action, kind, obj) == ("organizer.add", "organizer", view.id)


def test_a_correct_login_forgets_the_failures_of_that_address_only(engine, now):
    _add(engine, now)

    def attempt(client, password="falsch-falsch-falsch"):
        with session_scope(engine) as s:
            return organizers.authenticate(
                session=s, name="leon", password=password, now=now, client=client
            )

    for client in ("203.0.113.1", "203.0.113.2"):
        with pytest.raises(LoginFailed) as err:
            attempt(client)
        assert err.value.message == "Anmeldename oder Passwort ist falsch."
    assert attempt("203.0.113.1", PASSWORD).name == "leon"
    with session_scope(engine) as s:
        left = [(r.login_key, r.client_key) for r in s.exec(select(LoginThrottle)).all()]
    assert left == [("leon", "203.0.113.2")]


def test_an_invitation_and_a_new_link_are_mailed_logged_and_handed_back(engine, now):
    from stammtisch.models import Mail

    admin_view = _add(engine, now, name="anna", display_name="Anna Admin", admin=True)
    admin = _identity(admin_view)
    with session_scope(engine) as s:
        link = organizers.invite_organizer(
            session=s,
            actor=admin,
            name="bert",
            display_name="Bert Beispiel",
            email="bert@example.org",
            now=now,
        )
    expiry = now + organizers.PASSWORD_LINK_TTL
    assert (link.account.display_name, link.expires_at, link.mailed) == (
        "Bert Beispiel",
        expiry,
        True,
    )
    assert f.last_audit(engine) == (
        "organizer.add",
        "anna",
        "organizer",
        link.account.id,
        {
            "name": "bert",
            "after": {
                "Anzeigename": "Bert Beispiel",
                "E-Mail": "bert@example.org",
                "Rolle": "Organisator:in",
                "Zustand": "aktiv",
            },
        },
    )

    def newest_mail():
        with session_scope(engine) as s:
            m = s.exec(select(Mail).order_by(Mail.id.desc())).first()
            return (m.kind, m.to_name, m.to_address, m.expires_at, m.secret, m.body_text)

    kind, to_name, to_address, expires_at, secret, body = newest_mail()
    assert (kind, to_name, to_address, expires_at) == (
        "organizer_invite",
        "Bert Beispiel",
        "bert@example.org",
        expiry,
    )
    assert secret == link.token and "Anna Admin" in body and "Bert Beispiel" in body
    later = now + timedelta(hours=1)
    with session_scope(engine) as s:
        again = organizers.reset_password_link(
            session=s, actor=admin, organizer_id=link.account.id, now=later
        )
    assert (again.account.id, again.expires_at, again.mailed) == (
        link.account.id,
        later + organizers.PASSWORD_LINK_TTL,
        True,
    )
    assert f.last_audit(engine) == (
        "organizer.password_link",
        "anna",
        "organizer",
        link.account.id,
        {"name": "bert", "mail": "bert@example.org"},
    )
    kind, to_name, _, expires_at, secret, body = newest_mail()
    assert (to_name, expires_at, secret) == ("Bert Beispiel", again.expires_at, again.token)
    assert "Anna Admin" in body
    # Without an address: shown once to the admin, nothing mailed, logged with a dash.
    quiet = _add(engine, now, name="carl")
    with session_scope(engine) as s:
        shown = organizers.reset_password_link(
            session=s, actor=admin, organizer_id=quiet.id, now=later
        )
    assert shown.mailed is False and f.last_audit(engine)[4] == {"name": "carl", "mail": "–"}
    with session_scope(engine) as s:
        organizers.set_active(session=s, name="carl", active=False, now=now)
    with session_scope(engine) as s, pytest.raises(InvalidTransition) as err:
        organizers.reset_password_link(session=s, actor=admin, organizer_id=quiet.id, now=later)
    assert err.value.message == "Das Konto „carl“ ist deaktiviert. Aktivieren Sie es zuerst."


def test_a_password_link_works_once_up_to_its_expiry(engine, now):
    admin = _identity(_add(engine, now, name="anna", admin=True))
    with session_scope(engine) as s:
        link = organizers.invite_organizer(
            session=s, actor=admin, name="bert", display_name="Bert", email="b@example.org", now=now
        )

    def redeem(token, at, password="ein-neues-langes-passwort", repeat=None):
        with session_scope(engine) as s:
            return organizers.redeem_password_link(
                session=s,
                token=token,
                password=password,
                password_repeat=password if repeat is None else repeat,
                now=at,
            )

    dead = (
        "Dieser Link funktioniert nicht (mehr): Er wurde schon benutzt, ist abgelaufen "
        "oder durch einen neueren ersetzt. Bitten Sie ein Admin des Teams um einen neuen Link."
    )
    with pytest.raises(ValidationError) as err:
        redeem(link.token, now, repeat="etwas-anderes-langes")
    assert err.value.errors == {"password_repeat": "Die beiden Passwörter stimmen nicht überein."}
    late = link.expires_at + timedelta(microseconds=1)
    for token, at in ((link.token, late), ("", now), ("x" * 201, now)):
        with pytest.raises(InvalidTransition) as refused:
            redeem(token, at)
        assert refused.value.message == dead
    assert redeem(link.token, link.expires_at).name == "bert"  # the last moment still counts
    assert f.last_audit(engine) == (
        "organizer.password",
        "system",
        "organizer",
        link.account.id,
        {"name": "bert", "via": "Link", "first": True},
    )
    with pytest.raises(InvalidTransition):  # used up
        redeem(link.token, now)
    with session_scope(engine) as s:
        again = organizers.reset_password_link(
            session=s, actor=admin, organizer_id=link.account.id, now=link.expires_at
        )
    redeem(again.token, link.expires_at, password="noch-ein-langes-passwort")
    assert f.last_audit(engine)[4] == {"name": "bert", "via": "Link", "first": False}


def test_admin_refusals_in_full_and_role_changes_logged(engine, now):
    from stammtisch.organizers import LastAdmin

    anna = _identity(_add(engine, now, name="anna", admin=True))
    bert = _add(engine, now, name="bert")

    def call(fn, **kw):
        with session_scope(engine) as s:
            return fn(session=s, actor=anna, now=now, **kw)

    with pytest.raises(InvalidTransition) as err:
        call(organizers.admin_set_active, organizer_id=anna.id, active=False)
    assert err.value.message == (
        "Ihr eigenes Konto können Sie hier nicht deaktivieren – das macht ein anderes Admin-Konto."
    )
    with pytest.raises(InvalidTransition) as err:
        call(organizers.set_role, organizer_id=anna.id, admin=False)
    assert err.value.message == "Die eigene Rolle ändert ein anderes Admin-Konto."
    with pytest.raises(NotFound) as err:
        call(organizers.set_role, organizer_id=4711, admin=True)
    assert err.value.message == "Dieses Konto gibt es nicht (mehr)."
    with pytest.raises(InvalidTransition) as err:
        call(organizers.set_role, organizer_id=bert.id, admin=False)
    assert err.value.message == "„bert“ hat die Rolle „Organisator:in“ schon."
    assert call(organizers.set_role, organizer_id=bert.id, admin=True).role == "admin"
    assert f.last_audit(engine) == (
        "organizer.role",
        "anna",
        "organizer",
        bert.id,
        {"name": "bert", "before": "Organisator:in", "after": "Admin"},
    )
    view = call(organizers.admin_set_active, organizer_id=bert.id, active=False)
    assert view.active is False
    assert f.last_audit(engine)[4] == {"name": "bert", "before": "aktiv", "after": "deaktiviert"}
    with session_scope(engine) as s, pytest.raises(LastAdmin) as err:
        organizers.set_role_by_name(session=s, name="anna", admin=False, now=now)
    assert err.value.message.startswith("„anna“ ist das letzte aktive Admin-Konto.")
    assert err.value.message.endswith(
        "bleiben, damit jemand die Konten verwalten kann – machen Sie zuerst ein anderes "
        "Konto zum Admin."
    )


# --- links, mails and roles in detail --------------------------------------------------------


def _invite(engine, now, actor, name="bert", **kw):
    values = {"display_name": name.title(), "email": f"{name}@example.org", **kw}
    with session_scope(engine) as s:
        return organizers.invite_organizer(session=s, actor=actor, name=name, now=now, **values)


def _redeem(engine, now, token, password="ein-neues-langes-passwort"):
    with session_scope(engine) as s:
        return organizers.redeem_password_link(
            session=s, token=token, password=password, password_repeat=password, now=now
        )


def _mails(engine) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as s:
        return [(m.kind, m.status, m.secret) for m in s.exec(select(Mail).order_by(Mail.id))]


def test_a_link_of_a_deactivated_account_works_again_only_once_it_is_reactivated(engine, now):
    anna = _identity(_add(engine, now, name="anna", admin=True))
    link = _invite(engine, now, anna)
    with session_scope(engine) as s:
        organizers.admin_set_active(
            session=s, actor=anna, organizer_id=link.account.id, active=False, now=now
        )
    with session_scope(engine) as s:
        assert organizers.password_link_account(session=s, token=link.token, now=now) is None
    with pytest.raises(InvalidTransition) as err:
        _redeem(engine, now, link.token)
    assert err.value.message.startswith("Dieser Link funktioniert nicht (mehr)")
    with session_scope(engine) as s:
        assert not s.get(Organizer, link.account.id).password_hash  # nothing was set
    with session_scope(engine) as s:
        organizers.admin_set_active(
            session=s, actor=anna, organizer_id=link.account.id, active=True, now=now
        )
    assert _redeem(engine, now, link.token).has_password


def test_a_new_link_or_a_used_one_stops_the_unsent_invitation_and_reset_mails(engine, now):
    anna = _identity(_add(engine, now, name="anna", admin=True))
    link = _invite(engine, now, anna)
    with session_scope(engine) as s:
        again = organizers.reset_password_link(
            session=s, actor=anna, organizer_id=link.account.id, now=now
        )
    # The invitation's link no longer works: its mail never goes out, its secret is gone.
    assert _mails(engine) == [
        ("organizer_invite", MailStatus.EXPIRED, None),
        ("organizer_password", MailStatus.QUEUED, again.token),
    ]
    _redeem(engine, now, again.token)
    assert _mails(engine) == [
        ("organizer_invite", MailStatus.EXPIRED, None),
        ("organizer_password", MailStatus.EXPIRED, None),
    ]


def test_the_mails_name_the_role_of_an_invitation_and_greet_the_account(engine, now):
    anna = _identity(_add(engine, now, name="anna", display_name="Anna Admin", admin=True))
    _invite(engine, now, anna, name="dora", display_name="Dora Datei", admin=True)
    plain = _invite(engine, now, anna, name="emil", display_name="Emil Eimer")
    with session_scope(engine) as s:
        organizers.reset_password_link(
            session=s, actor=anna, organizer_id=plain.account.id, now=now
        )
    with session_scope(engine) as s:
        bodies = [m.body_text for m in s.exec(select(Mail).order_by(Mail.id))]
    dora, emil, reset = bodies
    assert "Admin (verwaltet auch die Konten)" in dora and "Organisator:in" not in dora
    assert "Organisator:in" in emil and "verwaltet auch die Konten" not in emil
    assert "Hallo Dora Datei," in dora and "Hallo Emil Eimer," in emil
    assert "Hallo Emil Eimer," in reset and "Anna Admin hat für Ihr Konto" in reset


def test_used_links_of_several_accounts_are_all_forgotten(engine, now):
    # The link hash is unique: a used link is cleared to nothing, not to a shared value.
    anna = _identity(_add(engine, now, name="anna", admin=True))
    links = [_invite(engine, now, anna, name=name) for name in ("bert", "carl", "dora")]
    for link in links:
        assert _redeem(engine, now, link.token).has_password
    with session_scope(engine) as s:
        rows = s.exec(select(Organizer).where(Organizer.name != "anna")).all()
        assert [(r.password_link_hash, r.password_link_expires_at) for r in rows] == [
            (None, None)
        ] * 3
    for name in ("bert", "carl", "dora"):
        assert _login(engine, now, name=name, password="ein-neues-langes-passwort").name == name


def test_a_taken_name_is_named_first_even_when_the_address_is_taken_too(engine, now):
    anna = _identity(_add(engine, now, name="anna", email="anna@example.org", admin=True))
    with pytest.raises(ValidationError) as err:
        _invite(engine, now, anna, name="ANNA", email="Anna@example.org")
    assert err.value.errors == {"name": "Diesen Anmeldenamen gibt es schon."}
    assert _refused(engine, now, name="Anna", email="anna@example.org") == {
        "name": "Diesen Anmeldenamen gibt es schon."
    }


def test_the_command_line_gives_and_takes_the_admin_role_and_logs_it(engine, now):
    _add(engine, now, name="anna", admin=True)
    bert = _add(engine, now, name="bert")
    later = now + timedelta(minutes=5)

    def by_name(admin: bool, at: datetime):
        with session_scope(engine) as s:
            return organizers.set_role_by_name(session=s, name="BERT", admin=admin, now=at)

    view = by_name(True, later)
    assert (view.id, view.name, view.role, view.is_admin) == (bert.id, "bert", "admin", True)
    with session_scope(engine) as s:
        assert s.get(Organizer, bert.id).role == "admin"
        [entry] = audit.list_entries(session=s, action_prefix="organizer.role")
    assert (entry.at, entry.actor_name, entry.object_id, entry.details) == (
        later,
        "system",
        bert.id,
        {"name": "bert", "before": "Organisator:in", "after": "Admin"},
    )
    assert by_name(False, later).role == "organizer"
    with pytest.raises(InvalidTransition) as err:
        by_name(False, later)
    assert err.value.message == "„bert“ hat die Rolle „Organisator:in“ schon."


# --- two transactions at the same moment -----------------------------------------------------


def _wait_until_one_waits_for_a_lock(engine: Engine) -> None:
    """PostgreSQL: until a transaction of this database waits for a lock another holds.
    SQLite lets one writer in at a time: the second waits to begin, a short pause will do."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.2)
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 20
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(query).scalar_one()
            conn.rollback()  # pg_stat_activity is read once per transaction
            if waiting:
                return
            time.sleep(0.01)
    pytest.fail("the second transaction never waited for the first")


def _second_while_first_commits(
    engine: Engine, first: Callable[[Session], object], second: Callable[[Session], object]
) -> tuple[object, object]:
    """Run ``first`` up to its commit and hold it there; start ``second`` and let ``first``
    commit once ``second`` waits for it. Each outcome is the result or the refusal."""
    at_commit, go_on = threading.Event(), threading.Event()

    def outcome(call: Callable[[Session], object], hold: bool) -> object:
        with session_scope(engine) as s:
            if hold:

                @event.listens_for(s, "before_commit")
                def _hold(_session: Session) -> None:
                    at_commit.set()
                    go_on.wait(timeout=30)

            try:
                return call(s)
            except DomainError as exc:
                return exc

    with ThreadPoolExecutor(2) as pool:
        done_first = pool.submit(outcome, first, True)
        assert at_commit.wait(timeout=30), done_first.result()
        done_second = pool.submit(outcome, second, False)
        try:
            _wait_until_one_waits_for_a_lock(engine)
        finally:
            go_on.set()
        return done_first.result(timeout=30), done_second.result(timeout=30)


def test_an_admin_acting_while_another_deactivates_them_waits_and_is_refused(engine, now):
    # Pins the team lock (PostgreSQL; SQLite's write lock serialises anyway): without it
    # bert would still count as an active admin and both would be deactivated.
    anna = _identity(_add(engine, now, name="anna", admin=True))
    bert = _identity(_add(engine, now, name="bert", admin=True))
    first, second = _second_while_first_commits(
        engine,
        lambda s: organizers.admin_set_active(
            session=s, actor=anna, organizer_id=bert.id, active=False, now=now
        ),
        lambda s: organizers.admin_set_active(
            session=s, actor=bert, organizer_id=anna.id, active=False, now=now
        ),
    )
    assert not first.active and isinstance(second, PermissionDenied)
    with session_scope(engine) as s:
        assert [(v.name, v.active) for v in organizers.list_organizers(session=s)] == [
            ("anna", True),
            ("bert", False),
        ]


@pytest.mark.parametrize("invited", [False, True])
def test_a_name_added_at_the_same_moment_is_refused_in_german(engine, now, invited):
    # On PostgreSQL the second does not see the first's row yet and the unique login key
    # refuses its insert; the refusal must read like the one for a known name.
    anna = _identity(_add(engine, now, name="anna", admin=True))

    def second(s: Session) -> object:
        if invited:
            return organizers.invite_organizer(
                session=s,
                actor=anna,
                name="Bert",
                display_name=None,
                email="b@example.org",
                now=now,
            )
        return organizers.add_organizer(session=s, name="Bert", password=PASSWORD, now=now)

    first, refused = _second_while_first_commits(
        engine,
        lambda s: organizers.add_organizer(session=s, name="bert", password=PASSWORD, now=now),
        second,
    )
    assert first.name == "bert"
    assert isinstance(refused, ValidationError)
    assert refused.errors == {"name": "Diesen Anmeldenamen gibt es schon."}
    with session_scope(engine) as s:
        assert [v.name for v in organizers.list_organizers(session=s)] == ["anna", "bert"]
        assert s.exec(select(Mail)).all() == []
