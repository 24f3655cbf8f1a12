"""Second page of bench/bare_app.py."""

import streamlit as st

st.write("Zweite Seite")
