"""Anmeldungen & Teilnahme: registrations per meeting, waitlist, exports, attendance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from stammtisch import exports, meeting_rules, registration_admin
from stammtisch.models import Attendance, FederalState, RegistrationStatus
from ui import auth, core
from ui.attendance_import import attendance_import
from ui.forms import FormState
from ui.render import field_error, form_error
from ui.team_message import team_message

PAGE_SIZE = 200
ATTENDANCE_BY_LABEL = {a.label: a for a in Attendance}

actor = auth.require_organizer()
st.title("Anmeldungen & Teilnahme", anchor=False)

all_meetings = core.admin_meetings(actor)
if not all_meetings:
    st.info("Noch keine Termine.", icon=":material/event:")
    st.stop()
by_id = {m.id: m for m in all_meetings}
if "reg.meeting" not in st.session_state:
    st.session_state["reg.meeting"] = meeting_rules.team_focus(all_meetings, core.now()).id
meeting_id = st.selectbox(
    "Termin",
    options=list(by_id),
    format_func=lambda i: f"{by_id[i].time_label} – {by_id[i].theme}",
    key="reg.meeting",
)
meeting = by_id[meeting_id]
form = FormState("regadmin")


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _counts(version: str, meeting_id: int, _actor) -> registration_admin.RegistrationCounts:
    return core.read(registration_admin.counts, actor=_actor, meeting_id=meeting_id)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _listing(
    version: str, meeting_id: int, search: str, status: str | None, _actor
) -> registration_admin.RegistrationPage:
    return core.read(
        registration_admin.list_registrations,
        actor=_actor,
        meeting_id=meeting_id,
        search=search,
        status=status,
        limit=PAGE_SIZE,
    )


counts = _counts(core.cache_key(), meeting_id, actor)
c = st.columns(4)
c[0].metric("Bestätigt", counts.confirmed)
c[1].metric("Warteliste", counts.waitlisted)
c[2].metric("Storniert", counts.cancelled)
c[3].metric("Teilgenommen", counts.attended_total)
if counts.unregistered_attendees:
    st.caption(f"Davon {counts.unregistered_attendees} ohne Anmeldung (aus dem Zoom-Bericht).")
if meeting.capacity:
    st.caption(f"{meeting.capacity} Plätze")
waiting_for_opening = core.subscription_figures().per_meeting.get(meeting_id, 0)
if waiting_for_opening:
    who = (
        "Eine Person wartet"
        if waiting_for_opening == 1
        else f"{waiting_for_opening} Personen warten"
    )
    st.caption(f"{who} auf die Öffnung der Anmeldung (und bekommen dann eine Mail).")

left, right = st.columns([2, 1])
search = left.text_input("Suche (Name, E-Mail, Organisation)", key="reg.search")
status = right.selectbox(
    "Status",
    options=[None, *RegistrationStatus],
    format_func=lambda v: "alle" if v is None else RegistrationStatus(v).label,
    key="reg.status",
)
listing = _listing(core.cache_key(), meeting_id, search, status, actor)
rows, total = listing.rows, listing.total
st.caption(
    ("1 Anmeldung" if total == 1 else f"{total} Anmeldungen")
    + (f", die ersten {PAGE_SIZE} angezeigt" if total > PAGE_SIZE else "")
)


def run(fn, **kwargs) -> None:
    form.call(fn, actor=actor, **kwargs)


form_error(form.errors)
field_error(form.errors, "over_capacity")
if rows:
    table = pd.DataFrame(
        [
            {
                "Nr.": r.id,
                "Name": r.name or "(anonymisiert)",
                "E-Mail": r.email or "",
                "Organisation": r.organisation or "",
                "Bundesland": FederalState.label_for(r.federal_state, "")
                if r.federal_state
                else "",
                "Status": RegistrationStatus.label_for(r.status),
                "Teilnahme": Attendance.label_for(r.attendance),
            }
            for r in rows
        ]
    )
    edited = st.data_editor(
        table,
        key=f"reg.table.{meeting_id}",
        hide_index=True,
        width="stretch",
        disabled=[c for c in table.columns if c != "Teilnahme"],
        column_config={
            "Name": st.column_config.TextColumn("Name", pinned=True),
            "Teilnahme": st.column_config.SelectboxColumn(
                "Teilnahme", options=list(ATTENDANCE_BY_LABEL), required=True
            ),
        },
    )
    changed = edited[edited["Teilnahme"] != table["Teilnahme"]]
    if not changed.empty:
        st.caption(f"{len(changed)} Teilnahme-Angaben geändert.")
        merging = counts.unregistered_attendees and (changed["Teilnahme"] == "ja").any()
        if merging:
            st.checkbox(
                f"Diese Personen hat der Zoom-Import unter den {counts.unregistered_attendees} "
                "ohne Anmeldung gezählt (nicht doppelt zählen)",
                key="reg.merge",
            )

        def save_attendance() -> None:
            for label, group in changed.groupby("Teilnahme"):
                run(
                    registration_admin.set_attendance,
                    registration_ids=group["Nr."].tolist(),
                    attendance=ATTENDANCE_BY_LABEL[label],
                    counted_without_registration=bool(st.session_state.get("reg.merge")),
                )
            st.session_state.pop(f"reg.table.{meeting_id}", None)
            st.session_state.pop("reg.merge", None)

        st.button("Teilnahme speichern", type="primary", on_click=save_attendance, key="reg.save")

    waiting = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    active = [r for r in rows if r.status != RegistrationStatus.CANCELLED]
    # One label per registration, anonymised ones too (a choice is matched by its label).
    labels = {
        r.id: f"{r.name or '(anonymisiert)'} ({r.email or 'keine Adresse'}) – Nr. {r.id}"
        for r in rows
    }
    with st.expander("Warteliste und Stornierung"):
        if waiting:
            pick = st.selectbox(
                "Von der Warteliste nachrücken lassen",
                options=[r.id for r in waiting],
                format_func=lambda i: labels.get(i, f"Anmeldung Nr. {i}"),
                key=f"reg.promote.{meeting_id}",  # a choice belongs to its meeting
            )
            over = st.checkbox("auch wenn alle Plätze vergeben sind", key="reg.over")
            st.button(
                "Nachrücken lassen",
                key="reg.promote.go",
                on_click=run,
                args=(registration_admin.promote,),
                kwargs={"registration_id": pick, "over_capacity": over},
            )
        else:
            st.caption("Niemand auf der Warteliste.")
        if active:
            victim = st.selectbox(
                "Anmeldung im Auftrag stornieren",
                options=[r.id for r in active],
                format_func=lambda i: labels.get(i, f"Anmeldung Nr. {i}"),
                key=f"reg.cancel.{meeting_id}",
            )
            st.button(
                "Stornieren",
                key="reg.cancel.go",
                on_click=run,
                args=(registration_admin.cancel_for,),
                kwargs={"registration_id": victim},
            )
else:
    st.caption("Keine Anmeldungen für diese Auswahl.")

team_message(actor, meeting_id)

st.header("Export", anchor=False)


def _export(kind: str) -> bytes:
    """Built when the button is clicked, not on every run of the page."""
    with core.session() as s:
        frame = exports.registrations_frame(session=s, actor=actor, meeting_id=meeting_id)
    return exports.to_csv(frame) if kind == "csv" else exports.to_xlsx(frame)


stem = exports.export_file_stem(meeting.starts_at)
c1, c2 = st.columns(2)
c1.download_button(
    "CSV herunterladen",
    data=lambda: _export("csv"),
    file_name=f"{stem}.csv",
    mime=exports.CSV_MIME,
    icon=":material/download:",
    on_click="ignore",
    key="reg.csv",
)
c2.download_button(
    "Excel herunterladen",
    data=lambda: _export("xlsx"),
    file_name=f"{stem}.xlsx",
    mime=exports.XLSX_MIME,
    icon=":material/download:",
    on_click="ignore",
    key="reg.xlsx",
)


attendance_import(actor, meeting_id)
