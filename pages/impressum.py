"""Imprint (§ 5 DDG): who runs the Stammtisch and this app, and how to reach them.

Every detail comes from the page texts the team keeps ("Seitentexte"); one that is
missing is left out, never invented (the team sees a warning until it is filled in).
"""

from __future__ import annotations

import streamlit as st

from ui import layout, site_content

st.title("Impressum", anchor=False)
site_content.imprint(layout.texts())
