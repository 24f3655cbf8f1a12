"""Login for organizers (name and password, or single sign-on when configured); once
logged in, "Mein Konto": logout, log out everywhere, a new password."""

from __future__ import annotations

import streamlit as st

from ui import account, auth

identity = auth.current_organizer()
if identity is not None:
    st.title("Mein Konto")
    account.account(identity)
    st.stop()

st.title("Anmeldung für das Team")
account.notice()
st.caption(
    "Nur für die Organisator:innen des Stammtischs. Konten legt die Technik mit "
    "`python -m stammtisch organizer add NAME` an."
)
account.login_form()
