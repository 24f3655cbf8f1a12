"""Parts every page shares: the sidebar and the footer."""

from __future__ import annotations

import streamlit as st

from stammtisch.site import site_texts
from ui import core


@st.cache_data(ttl=300, show_spinner=False)
def _texts(url: str) -> dict[str, str]:
    return core.read(site_texts)


def texts() -> dict[str, str]:
    return _texts(core.settings().database_url)


def sidebar() -> None:
    t = texts()
    with st.sidebar:
        st.caption(t["organisation"])
        if core.settings().now:
            st.info(
                f"Angezeigte Zeit fest eingestellt auf {core.settings().now}.",
                icon=":material/schedule:",
            )


def footer() -> None:
    t = texts()
    st.divider()
    left, right = st.columns(2)
    with left:
        st.caption("Adresse")
        st.text(t["address"])
    with right:
        st.caption("Förderung")
        st.text(t["funding"], width="stretch")
    st.caption(t["copyright"])
