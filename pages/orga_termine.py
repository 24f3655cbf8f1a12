"""Termine verwalten: the overview, one meeting's editor, and the series planner."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from stammtisch.models import MeetingStatus, RegistrationState
from ui import auth, core
from ui.meeting_editor import NEW, SELECTED, impulses, meeting_form, status_actions
from ui.series_planner import created_message, series_planner

actor = auth.require_organizer()
st.title("Termine verwalten", anchor=False)

all_meetings = core.admin_meetings(actor)
fields = core.topic_field_choices()  # on offer; a meeting's form adds its archived ones
by_id = {m.id: m for m in all_meetings}

created_message()
tab_list, tab_edit, tab_series = st.tabs(["Übersicht", "Termin bearbeiten", "Serie planen"])

with tab_list:
    if not all_meetings:
        st.info("Noch keine Termine. Legen Sie unter „Termin bearbeiten“ den ersten an.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Termin": m.time_label,
                        "Thema": m.theme,
                        "Status": MeetingStatus.label_for(m.status),
                        "Anmeldung": RegistrationState.label_for(m.registration_state),
                        "Bestätigt": m.confirmed,
                        "Warteliste": m.waitlisted,
                        "Plätze": m.capacity,
                    }
                    for m in all_meetings
                ]
            ),
            hide_index=True,
            width="stretch",
        )

with tab_edit:
    options = [NEW, *by_id]
    if st.session_state.get(SELECTED) not in options:
        st.session_state[SELECTED] = NEW
    selected = st.selectbox(
        "Termin",
        options=options,
        format_func=lambda i: (
            "Neuer Termin" if i == NEW else f"{by_id[i].time_label} – {by_id[i].theme}"
        ),
        key=SELECTED,
    )
    meeting = by_id.get(selected) if selected != NEW else None
    own = [meeting.primary_topic_field_id, *meeting.further_topic_field_ids] if meeting else []
    meeting_form(actor, meeting, core.topic_field_choices(keep=own), all_meetings)
    if meeting is not None:
        st.divider()
        status_actions(actor, meeting)
        st.divider()
        st.subheader("Impulse", anchor=False)
        impulses(actor, meeting.id)

with tab_series:
    series_planner(actor, fields, all_meetings)
