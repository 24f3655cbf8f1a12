"""Login for organizers (name and password, or single sign-on when configured)."""

from __future__ import annotations

import streamlit as st

from stammtisch import organizers
from ui import auth, core
from ui.forms import FormState
from ui.render import field_error, form_error

st.title("Anmeldung für das Team")
form = FormState("login")


def _log_in() -> None:
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


def _log_out() -> None:
    auth.log_out()
    if auth.sso_configured():
        st.logout()


identity = auth.current_organizer()
if auth.session_just_expired():
    st.info(
        "Sie wurden nach längerer Inaktivität abgemeldet. Bitte melden Sie sich erneut an.",
        icon=":material/timer_off:",
    )

if identity is not None:
    st.success(f"Angemeldet als {identity.display_name}.", icon=":material/verified_user:")
    st.caption("Die Bereiche für das Team finden Sie jetzt in der Navigation.")
    st.button("Abmelden", icon=":material/logout:", on_click=_log_out, key="logout")
    st.stop()

st.caption(
    "Nur für die Organisator:innen des Stammtischs. Konten legt die Technik mit "
    "`python -m stammtisch organizer add NAME` an."
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
    st.form_submit_button("Anmelden", type="primary", on_click=_log_in, icon=":material/login:")
field_error(errors, "name")

if auth.sso_configured():
    st.divider()
    if st.button("Mit Single-Sign-On anmelden", icon=":material/key:", key="sso"):
        st.login()
