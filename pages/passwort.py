"""Setting a team account's password through its one-time link (a new account, or a reset
an admin asked for): the link is used up, and then the login form."""

from __future__ import annotations

import streamlit as st

from stammtisch import organizers
from stammtisch.formatting import format_timestamp
from ui import auth, core
from ui.forms import FormState
from ui.render import field_error, form_error

st.title("Passwort festlegen", anchor=False)
token = st.query_params.get("token", "")
form = FormState("set-password")

if form.result is not None and not form.errors:
    st.success(
        f"Ihr Passwort ist gespeichert, {form.result.display_name}. Melden Sie sich jetzt mit "
        f"dem Anmeldenamen „{form.result.name}“ an.",
        icon=":material/check_circle:",
    )
    st.page_link("pages/login.py", label="Zur Anmeldung", icon=":material/login:")
    st.stop()

with core.session() as s:
    account = organizers.password_link_account(session=s, token=token, now=core.now())
if account is None:
    # One message for every unknown, used, late or mistyped link: it reveals nothing.
    st.warning(
        "Dieser Link funktioniert nicht (mehr): Er wurde schon benutzt, ist abgelaufen oder "
        "durch einen neueren ersetzt. Bitten Sie ein Admin des Teams um einen neuen Link.",
        icon=":material/link_off:",
    )
    st.stop()

st.write(
    f"Konto **{account.name}** ({account.display_name}). Der Link gilt einmal und bis "
    f"{format_timestamp(account.password_link_expires_at)}."
)
if auth.current_organizer() is not None:
    st.info(
        "In diesem Browser ist gerade jemand angemeldet. Mit dem neuen Passwort enden alle "
        "Anmeldungen dieses Kontos – auch hier, falls es dasselbe ist.",
        icon=":material/info:",
    )


def save() -> None:
    form.call(
        organizers.redeem_password_link,
        token=token,
        password=form.value("password", ""),
        password_repeat=form.value("password_repeat", ""),
    )
    form.set_inputs(password="", password_repeat="")


errors = form.errors
with st.form("set-password.form"):
    # The name for password managers, which save name and password together.
    st.text_input("Anmeldename", value=account.name, disabled=True, autocomplete="username")
    st.text_input(
        f"Neues Passwort (mindestens {organizers.MIN_PASSWORD_LENGTH} Zeichen)",
        type="password",
        key=form.widget_key("password"),
        autocomplete="new-password",
    )
    field_error(errors, "password", widget_key=form.widget_key("password"))
    st.text_input(
        "Passwort wiederholen",
        type="password",
        key=form.widget_key("password_repeat"),
        autocomplete="new-password",
    )
    field_error(errors, "password_repeat", widget_key=form.widget_key("password_repeat"))
    form_error(errors)
    st.form_submit_button(
        "Passwort speichern", type="primary", on_click=save, icon=":material/key:"
    )
