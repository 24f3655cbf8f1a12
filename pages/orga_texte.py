"""Seitentexte: everything visitors read besides meetings – the start page, the footer,
the privacy contact and the imprint – edited by the team, each with its preview."""

from __future__ import annotations

import streamlit as st

from ui import auth, layout, site_editor

actor = auth.require_organizer()
st.title("Seitentexte", anchor=False)
st.caption(
    "Was Besucher:innen außer den Terminen lesen. Gespeichert wird in der Datenbank; "
    "Änderungen gelten sofort auf allen Seiten. Jede Änderung steht im Änderungsprotokoll."
)


def _keep_an_area() -> None:
    """A second click on the chosen area would deselect it: it stays chosen instead."""
    if st.session_state.get("texts.area") is None:
        st.session_state["texts.area"] = st.session_state.get("texts.last_area", "start")
    st.session_state["texts.last_area"] = st.session_state["texts.area"]


area = (
    st.segmented_control(
        "Bereich",
        options=list(site_editor.AREAS),
        format_func=lambda key: site_editor.AREAS[key].title,
        default="start",
        key="texts.area",
        on_change=_keep_an_area,
    )
    or "start"
)
others = [title for title in site_editor.unsaved_areas() if title != site_editor.AREAS[area].title]
if others:
    st.info(
        "Noch nicht gespeichert: " + ", ".join(others) + ". Die Eingaben bleiben, bis Sie "
        "dort speichern oder verwerfen.",
        icon=":material/edit_note:",
    )
site_editor.editor(actor, layout.texts(), area)
