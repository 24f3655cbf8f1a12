"""Page through long lists: "Seite 2 von 40" with buttons, the offset kept per list."""

from __future__ import annotations

import streamlit as st

from stammtisch.formatting import format_count


def pager(total: int, page_size: int, key: str) -> int:
    """Render the navigation for ``total`` items (only when needed); return the offset."""
    pages = max(1, -(-total // page_size))
    state_key = f"{key}.page"
    page = min(max(int(st.session_state.get(state_key, 1)), 1), pages)
    st.session_state[state_key] = page
    if pages > 1:
        left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
        left.button(
            "Zurück",
            key=f"{key}.prev",
            icon=":material/chevron_left:",
            disabled=page == 1,
            on_click=_turn,
            args=(state_key, -1),
            width="stretch",
        )
        first = (page - 1) * page_size + 1
        last = min(page * page_size, total)
        middle.caption(
            f"Seite {page} von {format_count(pages)} · "
            f"{format_count(first)}–{format_count(last)} von {format_count(total)}"
        )
        right.button(
            "Weiter",
            key=f"{key}.next",
            icon=":material/chevron_right:",
            disabled=page == pages,
            on_click=_turn,
            args=(state_key, 1),
            width="stretch",
        )
    return (page - 1) * page_size


def _turn(state_key: str, step: int) -> None:
    st.session_state[state_key] = int(st.session_state.get(state_key, 1)) + step
