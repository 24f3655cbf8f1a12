"""The team's series planner: date proposals in the usual rhythm, then create them at once.

Proposals come from :mod:`stammtisch.date_proposals` (which also checks the input);
creating them is one call to :func:`stammtisch.meeting_admin.create_series`.
"""

from __future__ import annotations

from datetime import time, timedelta

import pandas as pd
import streamlit as st

from stammtisch import date_proposals, meeting_admin
from stammtisch.clock import BERLIN
from stammtisch.formatting import format_meeting_time
from stammtisch.identity import OrganizerIdentity
from stammtisch.meetings import MeetingInput
from ui import core
from ui.forms import FormState
from ui.render import field_error, form_error

DRAFTS = "series.drafts"


def created_message() -> None:
    """After "Ausgewählte Termine anlegen": how many meetings were created."""
    result = FormState("series").result
    if isinstance(result, list):
        st.success(
            f"{len(result)} Entwürfe angelegt – nur für das Team sichtbar, bis Sie sie unter "
            "„Termin bearbeiten“ veröffentlichen.",
            icon=":material/check_circle:",
        )


def _propose(taken: set) -> None:
    proposals = FormState("series.proposal")

    def action():
        return date_proposals.propose_series(
            first_day=st.session_state["series.first"],
            weekday=st.session_state["series.weekday"],
            start=st.session_state["series.start"],
            end=st.session_state["series.end"],
            every_weeks=int(st.session_state["series.every"]),
            count=int(st.session_state["series.count"]),
            taken=taken,
        )

    if proposals.submit(action):
        st.session_state[DRAFTS] = proposals.result
    else:
        st.session_state.pop(DRAFTS, None)


def series_planner(
    actor: OrganizerIdentity, fields: dict[int, str], meetings: list[meeting_admin.AdminMeeting]
) -> None:
    form = FormState("series")
    proposal_errors = FormState("series.proposal").errors
    st.caption(
        "Schlägt Termine im gewohnten Rhythmus vor und verschiebt Feiertage in Sachsen, "
        "Sachsen-Anhalt und Thüringen um eine Woche. Angelegt werden Entwürfe, die nur das Team "
        "sieht; veröffentlichen Sie jeden, sobald sein Thema steht."
    )
    taken = {m.starts_at.astimezone(BERLIN).date() for m in meetings}
    with st.form("series.form"):
        c1, c2, c3 = st.columns(3)
        c1.date_input(
            "Erster Termin ab",
            key="series.first",
            format="DD.MM.YYYY",
            value=(core.now() + timedelta(days=14)).astimezone(BERLIN).date(),
        )
        c2.number_input("Alle … Wochen", key="series.every", min_value=1, max_value=26, value=6)
        c3.number_input("Anzahl", key="series.count", min_value=1, max_value=24, value=4)
        c1, c2, c3 = st.columns(3)
        c1.selectbox(
            "Wochentag",
            options=range(7),
            format_func=date_proposals.WEEKDAYS.__getitem__,
            key="series.weekday",
        )
        c2.time_input("Beginn", key="series.start", value=time(17, 0), step=timedelta(minutes=15))
        c3.time_input("Ende", key="series.end", value=time(18, 30), step=timedelta(minutes=15))
        field_error(proposal_errors, "end")
        st.text_input("Arbeitstitel der Termine", key="series.theme", value="Thema folgt")
        st.selectbox("Themenfeld", options=list(fields), format_func=fields.get, key="series.field")
        form_error(proposal_errors)
        st.form_submit_button("Entwurf berechnen", on_click=_propose, args=(taken,))
    form_error(form.errors)
    drafts = st.session_state.get(DRAFTS)
    if not drafts:
        return
    table = pd.DataFrame(
        {
            "anlegen": [True] * len(drafts),
            "Termin": [format_meeting_time(d.starts_at, d.ends_at) for d in drafts],
            "Hinweis": [d.note for d in drafts],
        }
    )
    edited = st.data_editor(
        table, key="series.table", hide_index=True, disabled=["Termin", "Hinweis"], width="stretch"
    )

    def create() -> None:
        chosen = [d for d, keep in zip(drafts, edited["anlegen"], strict=True) if keep]
        template = MeetingInput(
            theme=st.session_state.get("series.theme", ""),
            starts_at=None,
            ends_at=None,
            primary_topic_field_id=st.session_state.get("series.field"),
        )
        if form.call(meeting_admin.create_series, actor=actor, proposals=chosen, template=template):
            st.session_state.pop(DRAFTS, None)

    st.button("Ausgewählte Termine anlegen", type="primary", on_click=create, key="series.create")
