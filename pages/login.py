"""Login for organizers (name and password, or single sign-on when configured); once
logged in, "Mein Konto": logout, log out everywhere, a new password."""

from __future__ import annotations

import streamlit as st

from ui import account, auth, layout

identity = auth.current_organizer()
if identity is not None:
    st.title("Mein Konto")
    layout.imprint_warning()  # where a login lands: the team sees it until it is filled
    account.account(identity)
    st.stop()

st.title("Anmeldung für das Team")
account.notice()
st.caption(
    "Nur für die Organisator:innen des Stammtischs. Konten legen die Admins des Teams unter "
    "„Team-Konten“ an; das erste die Technik mit `python -m stammtisch organizer add NAME "
    "--admin`."
)
account.login_form()
