"""Strukturwandel-Stammtisch: entry point and router (``streamlit run app.py``)."""

import streamlit as st

from ui import core, layout

st.set_page_config(
    page_title="Strukturwandel-Stammtisch",
    page_icon=":material/forum:",
    layout="centered",
    menu_items={"Get help": None, "Report a bug": None, "About": None},
)

core.engine()  # migrate and seed an empty database before any page reads from it

pages = [
    st.Page("pages/termine.py", title="Termine", icon=":material/event:", default=True),
]

nav = st.navigation(pages)
layout.sidebar()
nav.run()
layout.footer()
