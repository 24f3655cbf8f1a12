"""The team's login form and "Mein Konto" (logout, log out everywhere, new password).

The login form appears on ``/login`` and, for a visitor who is not logged in, in place
of any team page opened by its address (``navigation.py``): after the login the same
address shows the page itself.
"""

from __future__ import annotations

import streamlit as st

from stammtisch import organizers
from stammtisch.formatting import format_day, format_time
from stammtisch.organizers import OrganizerIdentity
from ui import auth, core
from ui.forms import FormState
from ui.render import field_error, form_error


def login_form() -> None:
    """Name and password (under the login throttle), or single sign-on when configured."""
    form = FormState("login")

    def log_in() -> None:
        def action():
            with core.session() as s:
                return organizers.authenticate(
                    session=s,
                    name=form.value("name", ""),
                    password=form.value("password", ""),
                    now=core.now(),
                    client=core.client_address(),
                    attempt_at=core.real_now(),
                )

        if form.submit(action):
            auth.log_in(form.result)
            form.clear_inputs("password")
            form.reset()

    if auth.session_just_expired():
        st.info(
            "Ihre Sitzung ist abgelaufen (nach 30 Minuten ohne Aktivität oder spätestens "
            "12 Stunden nach der Anmeldung). Bitte melden Sie sich erneut an.",
            icon=":material/timer_off:",
        )
    errors = form.errors
    with st.form("login.form"):
        st.text_input("Anmeldename", key=form.widget_key("name"), autocomplete="username")
        st.text_input(
            "Passwort",
            type="password",
            key=form.widget_key("password"),
            autocomplete="current-password",
        )
        form_error(errors)
        st.form_submit_button("Anmelden", type="primary", on_click=log_in, icon=":material/login:")
    field_error(errors, "name", widget_key=form.widget_key("name"))
    if auth.sso_configured():
        st.divider()
        if st.button("Mit Single-Sign-On anmelden", icon=":material/key:", key="sso"):
            st.login()


def login_gate() -> None:
    """A team page opened by its address without a login: the form, then the page."""
    st.title("Anmeldung für das Team")
    st.caption("Diese Seite ist nur für das Team. Nach der Anmeldung geht es hier weiter.")
    login_form()


def _log_out() -> None:
    auth.log_out()
    if auth.sso_configured():
        st.logout()


def _log_out_everywhere(identity: OrganizerIdentity) -> None:
    count = auth.log_out_everywhere(identity)
    st.session_state["account.notice"] = (
        f"Überall abgemeldet ({count} {'Sitzung' if count == 1 else 'Sitzungen'} beendet)."
    )
    if auth.sso_configured():
        st.logout()


def account(identity: OrganizerIdentity) -> None:
    """ "Mein Konto": who is logged in and until when, logout, new password."""
    st.success(f"Angemeldet als {identity.display_name}.", icon=":material/verified_user:")
    limits = auth.session_limits()
    if limits is not None:
        since, until = limits
        st.caption(
            f"Angemeldet seit {format_day(since)}, {format_time(since)} Uhr. Die Anmeldung "
            "gilt in diesem Browser auch nach einem Neuladen und in neuen Tabs; sie endet "
            "nach 30 Minuten ohne Aktivität, spätestens am "
            f"{format_day(until)} um {format_time(until)} Uhr."
        )
    st.caption("Die Bereiche für das Team finden Sie in der Navigation.")
    left, right = st.columns(2)
    left.button("Abmelden", icon=":material/logout:", on_click=_log_out, key="logout")
    right.button(
        "Überall abmelden",
        icon=":material/devices:",
        on_click=_log_out_everywhere,
        args=(identity,),
        key="logout-everywhere",
        help="Beendet alle Anmeldungen dieses Kontos, in jedem Browser und auf jedem Gerät.",
    )
    with st.expander("Passwort ändern", icon=":material/password:"):
        _password_form(identity)


def _password_form(identity: OrganizerIdentity) -> None:
    form = FormState("password")

    def change() -> None:
        def action():
            with core.session() as s:
                organizers.change_password(
                    session=s,
                    actor=identity,
                    old_password=form.value("old_password", ""),
                    new_password=form.value("password", ""),
                    new_password_repeat=form.value("new_password_repeat", ""),
                    now=core.now(),
                    client=core.client_address(),
                    attempt_at=core.real_now(),
                )
            return True

        ok = form.submit(action)
        form.clear_inputs("old_password", "password", "new_password_repeat")
        if ok:
            # Every session of the account ended; this browser gets a fresh one.
            auth.log_in(identity)

    if form.result:
        st.success(
            "Das Passwort ist geändert. Alle anderen Anmeldungen dieses Kontos sind beendet.",
            icon=":material/check_circle:",
        )
    errors = form.errors
    with st.form("password.form"):
        st.text_input(
            "Bisheriges Passwort",
            type="password",
            key=form.widget_key("old_password"),
            autocomplete="current-password",
        )
        field_error(errors, "old_password", widget_key=form.widget_key("old_password"))
        st.text_input(
            f"Neues Passwort (mindestens {organizers.MIN_PASSWORD_LENGTH} Zeichen)",
            type="password",
            key=form.widget_key("password"),
            autocomplete="new-password",
        )
        field_error(errors, "password", widget_key=form.widget_key("password"))
        st.text_input(
            "Neues Passwort wiederholen",
            type="password",
            key=form.widget_key("new_password_repeat"),
            autocomplete="new-password",
        )
        field_error(
            errors, "new_password_repeat", widget_key=form.widget_key("new_password_repeat")
        )
        form_error(errors)
        st.form_submit_button("Passwort ändern", on_click=change, icon=":material/key:")


def notice() -> None:
    """A message left by an action that logged this tab out (shown once)."""
    message = st.session_state.pop("account.notice", None)
    if message:
        st.info(message, icon=":material/logout:")
