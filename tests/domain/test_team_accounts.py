"""Team accounts managed by admins in the app: one-time links to set a password (mailed
through the outbox), deactivation, roles, and at least one active admin always."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from stammtisch import audit, mail, organizer_sessions, organizers
from stammtisch.db import session_scope
from stammtisch.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from stammtisch.models import Mail, MailStatus, Organizer
from stammtisch.organizers import LastAdmin, LoginFailed, OrganizerIdentity
from stammtisch.tokens import hash_token

PASSWORD = "ein-langes-passwort"
NEW_PASSWORD = "ein-neues-langes-passwort"


def _identity(view) -> OrganizerIdentity:
    return OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)


def _call(engine, fn, **kw):
    with session_scope(engine) as s:
        return fn(session=s, **kw)


@pytest.fixture
def admin(engine, now):
    view = _call(
        engine,
        organizers.add_organizer,
        name="anna",
        password=PASSWORD,
        display_name="Anna Admin",
        admin=True,
        now=now,
    )
    return _identity(view)


def _invite(engine, actor, now, name="bert", email="bert@example.org", **kw):
    return _call(
        engine,
        organizers.invite_organizer,
        actor=actor,
        name=name,
        display_name=kw.pop("display_name", name.title()),
        email=email,
        now=now,
        **kw,
    )


def _login(engine, now, name, password):
    return _call(engine, organizers.authenticate, name=name, password=password, now=now)


def test_an_admin_adds_an_account_whose_link_arrives_by_mail_and_sets_the_password(
    engine, now, admin
):
    link = _invite(engine, admin, now)
    assert not link.account.has_password and link.account.role == "organizer"
    assert link.expires_at == now + organizers.PASSWORD_LINK_TTL
    with session_scope(engine) as s:
        row = s.exec(select(Organizer).where(Organizer.name == "bert")).one()
        [queued] = s.exec(select(Mail).where(Mail.kind == "organizer_invite")).all()
    # Only the token's hash is stored with the account; the mail holds it until delivery.
    assert row.password_link_hash == hash_token(link.token) and row.password_hash == ""
    assert queued.to_address == "bert@example.org" and queued.secret == link.token
    assert link.token not in queued.body_text and mail.PASSWORD_LINK in queued.body_text
    delivered = mail.with_secret(
        queued.body_text, queued.secret, escape=False, base_url="https://x.de"
    )
    assert f"https://x.de/passwort-festlegen?token={link.token}" in delivered
    assert "Anna Admin hat für Sie ein Konto" in delivered and "Anmeldename: bert" in delivered
    # No login before the password is set.
    with pytest.raises(LoginFailed):
        _login(engine, now, "bert", "")
    assert _call(engine, organizers.password_link_account, token=link.token, now=now).name == "bert"
    view = _call(
        engine,
        organizers.redeem_password_link,
        token=link.token,
        password=PASSWORD,
        password_repeat=PASSWORD,
        now=now,
    )
    assert view.has_password and _login(engine, now, "bert", PASSWORD).name == "bert"
    # Used up: the same link does nothing any more.
    assert _call(engine, organizers.password_link_account, token=link.token, now=now) is None
    with pytest.raises(InvalidTransition):
        _call(
            engine,
            organizers.redeem_password_link,
            token=link.token,
            password=NEW_PASSWORD,
            password_repeat=NEW_PASSWORD,
            now=now,
        )
    actions = [e.action for e in _call(engine, audit.list_entries, action_prefix="organizer")]
    assert actions == ["organizer.password", "organizer.add", "organizer.add"]


def test_a_link_runs_out_and_a_bad_password_keeps_it(engine, now, admin):
    link = _invite(engine, admin, now)
    with pytest.raises(ValidationError) as err:
        _call(
            engine,
            organizers.redeem_password_link,
            token=link.token,
            password="kurz",
            password_repeat="anders",
            now=now,
        )
    assert err.value.errors["password"].startswith("Das Passwort muss mindestens 12 Zeichen")
    assert _call(engine, organizers.password_link_account, token=link.token, now=now) is not None
    late = now + organizers.PASSWORD_LINK_TTL + timedelta(seconds=1)
    assert _call(engine, organizers.password_link_account, token=link.token, now=late) is None
    with pytest.raises(InvalidTransition) as err:
        _call(
            engine,
            organizers.redeem_password_link,
            token=link.token,
            password=PASSWORD,
            password_repeat=PASSWORD,
            now=late,
        )
    assert "funktioniert nicht (mehr)" in err.value.message


def test_a_reset_link_replaces_the_old_one_and_ends_every_session_when_used(engine, now, admin):
    bert = _call(
        engine,
        organizers.add_organizer,
        name="bert",
        password=PASSWORD,
        email="bert@example.org",
        now=now,
    )
    with session_scope(engine) as s:
        started = organizer_sessions.start(session=s, actor=_identity(bert), now=now)
    first = _call(
        engine, organizers.reset_password_link, actor=admin, organizer_id=bert.id, now=now
    )
    second = _call(
        engine, organizers.reset_password_link, actor=admin, organizer_id=bert.id, now=now
    )
    assert first.mailed and first.token != second.token
    assert _call(engine, organizers.password_link_account, token=first.token, now=now) is None
    with session_scope(engine) as s:
        mails = s.exec(
            select(Mail).where(Mail.kind == "organizer_password").order_by(Mail.id)
        ).all()
    # The first link's mail had not gone out: it never will (its link no longer works).
    assert [m.status for m in mails] == [MailStatus.EXPIRED, MailStatus.QUEUED]
    assert mails[0].secret is None
    assert _login(engine, now, "bert", PASSWORD)  # the old password works until the link is used
    _call(
        engine,
        organizers.redeem_password_link,
        token=second.token,
        password=NEW_PASSWORD,
        password_repeat=NEW_PASSWORD,
        now=now,
    )
    with session_scope(engine) as s:
        assert (
            organizer_sessions.find(
                session=s, session_id=started.view.id, started_at=started.view.created_at
            )
            is None
        )
    with pytest.raises(LoginFailed):
        _login(engine, now, "bert", PASSWORD)
    assert _login(engine, now, "bert", NEW_PASSWORD)


def test_deactivating_ends_the_sessions_and_the_login_and_reactivating_brings_it_back(
    engine, now, admin
):
    bert = _call(engine, organizers.add_organizer, name="bert", password=PASSWORD, now=now)
    with session_scope(engine) as s:
        started = organizer_sessions.start(session=s, actor=_identity(bert), now=now)
    view = _call(
        engine,
        organizers.admin_set_active,
        actor=admin,
        organizer_id=bert.id,
        active=False,
        now=now,
    )
    assert not view.active
    with session_scope(engine) as s:
        assert (
            organizer_sessions.find(
                session=s, session_id=started.view.id, started_at=started.view.created_at
            )
            is None
        )
    with pytest.raises(LoginFailed):
        _login(engine, now, "bert", PASSWORD)
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        organizers.require_organizer(s, _identity(bert))  # what a tab still holds is refused
    _call(
        engine, organizers.admin_set_active, actor=admin, organizer_id=bert.id, active=True, now=now
    )
    assert _login(engine, now, "bert", PASSWORD)
    [entry, *_] = _call(engine, audit.list_entries, action_prefix="organizer.")
    assert entry.action == "organizer.activate" and entry.actor_name == "anna"
    assert entry.details == {"name": "bert", "before": "deaktiviert", "after": "aktiv"}


def test_only_admins_manage_accounts_and_nobody_their_own(engine, now, admin):
    bert = _identity(
        _call(engine, organizers.add_organizer, name="bert", password=PASSWORD, now=now)
    )
    with pytest.raises(PermissionDenied) as err:
        _invite(engine, bert, now, name="carl", email="carl@example.org")
    assert err.value.message == "Konten verwalten können nur Admins des Teams."
    with pytest.raises(PermissionDenied):
        _call(
            engine,
            organizers.admin_set_active,
            actor=bert,
            organizer_id=admin.id,
            active=False,
            now=now,
        )
    with pytest.raises(PermissionDenied):
        _call(engine, organizers.reset_password_link, actor=bert, organizer_id=admin.id, now=now)
    with pytest.raises(InvalidTransition):
        _call(
            engine,
            organizers.admin_set_active,
            actor=admin,
            organizer_id=admin.id,
            active=False,
            now=now,
        )
    with pytest.raises(InvalidTransition):
        _call(engine, organizers.set_role, actor=admin, organizer_id=admin.id, admin=False, now=now)
    with pytest.raises(NotFound):
        _call(
            engine,
            organizers.admin_set_active,
            actor=admin,
            organizer_id=999,
            active=False,
            now=now,
        )


def test_the_last_active_admin_stays(engine, now, admin):
    bert = _call(engine, organizers.add_organizer, name="bert", password=PASSWORD, now=now)
    _call(engine, organizers.set_role, actor=admin, organizer_id=bert.id, admin=True, now=now)
    bert_admin = _identity(bert)
    # Bert takes Anna's role: fine, Bert is an admin too.
    _call(
        engine, organizers.set_role, actor=bert_admin, organizer_id=admin.id, admin=False, now=now
    )
    with pytest.raises(LastAdmin) as err:  # the command line cannot remove the last one either
        _call(engine, organizers.set_active, name="bert", active=False, now=now)
    assert "letzte aktive Admin-Konto" in err.value.message
    with pytest.raises(LastAdmin):
        _call(engine, organizers.remove_organizer, name="bert", now=now)
    with pytest.raises(LastAdmin):
        _call(engine, organizers.set_role_by_name, name="bert", admin=False, now=now)
    # Deactivating a plain organizer is always fine.
    assert not _call(engine, organizers.set_active, name="anna", active=False, now=now).active
    [entry, *_] = _call(engine, audit.list_entries, action_prefix="organizer.role")
    assert entry.details == {"name": "anna", "before": "Admin", "after": "Organisator:in"}


def test_two_admins_deactivating_each_other_at_the_same_moment_leave_one_admin(engine, now, admin):
    bert = _call(
        engine, organizers.add_organizer, name="bert", password=PASSWORD, admin=True, now=now
    )
    pairs = [(admin, bert.id), (_identity(bert), admin.id)]
    barrier = threading.Barrier(len(pairs))

    def deactivate(pair):
        actor, target = pair
        barrier.wait()
        try:
            with session_scope(engine) as s:
                organizers.admin_set_active(
                    session=s, actor=actor, organizer_id=target, active=False, now=now
                )
        except (LastAdmin, PermissionDenied) as exc:
            return type(exc).__name__
        return "ok"

    for _round in range(3):
        with ThreadPoolExecutor(len(pairs)) as pool:
            outcomes = sorted(pool.map(deactivate, pairs))
        assert outcomes[1] == "ok" and outcomes[0] in ("LastAdmin", "PermissionDenied")
        with session_scope(engine) as s:
            active_admins = s.exec(
                select(Organizer).where(Organizer.role == "admin", Organizer.active == True)  # noqa: E712
            ).all()
            assert len(active_admins) == 1
            # Back to two active admins for the next round.
            other = s.exec(select(Organizer).where(Organizer.active == False)).one()  # noqa: E712
        organizers_by_id = {admin.id: "anna", bert.id: "bert"}
        _call(engine, organizers.set_active, name=organizers_by_id[other.id], active=True, now=now)


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("", "x@example.org", "name", "Bitte geben Sie einen Anmeldenamen an."),
        ("a b", "x@example.org", "name", "Der Anmeldename darf nur Buchstaben"),
        ("x" * 61, "x@example.org", "name", "Der Anmeldename ist zu lang (höchstens 60 Zeichen"),
        ("carl", "", "email", "Bitte geben Sie Ihre E-Mail-Adresse an."),
        ("carl", "kaputt", "email", "gültige E-Mail-Adresse"),
        ("ANNA", "x@example.org", "name", "Diesen Anmeldenamen gibt es schon."),
        ("carl", "ANNA@example.org", "email", "gehört schon zum Konto „anna“"),
    ],
)
def test_bad_account_input_gets_german_messages(engine, now, name, email, field, message):
    view = _call(
        engine,
        organizers.add_organizer,
        name="anna",
        password=PASSWORD,
        email="anna@example.org",
        admin=True,
        now=now,
    )
    with pytest.raises(ValidationError) as err:
        _invite(engine, _identity(view), now, name=name, email=email, display_name="Carl")
    assert err.value.errors[field].startswith(message) or message in err.value.errors[field]
    with session_scope(engine) as s:
        assert len(s.exec(select(Organizer)).all()) == 1


def test_an_invited_admin_can_manage_accounts_after_setting_the_password(engine, now, admin):
    link = _invite(engine, admin, now, name="dora", email="dora@example.org", admin=True)
    assert link.account.is_admin
    _call(
        engine,
        organizers.redeem_password_link,
        token=link.token,
        password=PASSWORD,
        password_repeat=PASSWORD,
        now=now,
    )
    dora = _login(engine, now, "dora", PASSWORD)
    assert _invite(engine, dora, now, name="emil", email="emil@example.org").account.name == "emil"
