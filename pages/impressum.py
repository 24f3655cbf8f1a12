"""Imprint (§ 5 DDG): who runs the Stammtisch and this app, and how to reach them.

Every detail comes from the page texts the team keeps; one that is missing is left out,
never invented (the team sees a warning until it is filled in).
"""

from __future__ import annotations

import streamlit as st

from ui import layout
from ui.render import literal

texts = layout.texts()

st.title("Impressum", anchor=False)
st.header("Anbieter", anchor=False)
literal(texts["address"])
if texts["imprint_representatives"]:
    st.header("Vertreten durch", anchor=False)
    literal(texts["imprint_representatives"])
if texts["imprint_register"]:
    st.header("Registereintrag", anchor=False)
    literal(texts["imprint_register"])
st.header("Kontakt", anchor=False)
if texts["contact_email"]:
    literal(f"E-Mail: {texts['contact_email']}")
if texts["contact_name"]:
    literal(f"Ansprechperson für den Strukturwandel-Stammtisch: {texts['contact_name']}")
if texts["website"]:
    st.link_button(
        texts["website"].removeprefix("https://"), texts["website"], icon=":material/public:"
    )
if texts["imprint_responsible"]:
    st.header("Verantwortlich für den Inhalt", anchor=False)
    literal(texts["imprint_responsible"])
st.header("Förderung", anchor=False)
literal(texts["funding"])
