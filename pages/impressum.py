"""Imprint: who runs the Stammtisch and this app."""

from __future__ import annotations

import streamlit as st

from ui import layout
from ui.render import literal

texts = layout.texts()

st.title("Impressum", anchor=False)
st.header("Anbieter", anchor=False)
literal(texts["address"])
if texts["website"]:
    st.link_button(
        texts["website"].removeprefix("https://"), texts["website"], icon=":material/public:"
    )
if texts["contact_name"]:
    st.header("Ansprechperson", anchor=False)
    st.markdown(f"Strukturwandel-Stammtisch: {texts['contact_name']}")
st.header("Förderung", anchor=False)
literal(texts["funding"])
