"""Bare two-page Streamlit app: the baseline of bench/run.py's browser figures.

``streamlit run bench/bare_app.py``: the first page writes "Hallo", the second (a file
next to this one) writes "Zweite Seite".
"""

import streamlit as st


def start() -> None:
    st.write("Hallo")


nav = st.navigation(
    [
        st.Page(start, title="Start", icon=":material/home:", default=True),
        st.Page("bare_page2.py", title="Seite 2", icon=":material/article:", url_path="seite-2"),
    ],
    expanded=True,
)
nav.run()
