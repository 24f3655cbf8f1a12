"""Strukturwandel-Stammtisch: the entry point (``streamlit run app.py``, also ``make run``).

``app`` is the whole server: the pages (routed by ``navigation.py``), the start-up hook
(migrations, the mail sender, warm-up), the friendly error page, the plain HTTP routes
(the calendar feed) and, in front of all of it, the client address and the security
headers (``ui/http_security.py``). ``streamlit run`` finds the ``st.App`` here and serves it,
so the command a Streamlit user tries first is the production entry.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui import server

# Streamlit treats a folder named pages/ next to the page script as the old (v1)
# multipage layout until the first script run calls st.navigation: a first visitor
# after a restart would see a list of every file in pages/ and could open one by URL,
# past navigation.py's login gate, and a deep link to a page with its own url_path
# would show "Page not found". navigation.py always uses st.navigation; say so up front.
PagesManager.uses_pages_directory = False

app = st.App(
    "navigation.py",
    lifespan=server.lifespan,
    on_script_error=server.friendly_error,
    routes=server.routes(),
    middleware=server.middleware(),
)
