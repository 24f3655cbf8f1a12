"""Termine verwalten: create, edit, cancel and document meetings; impulses; plan a series."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from stammtisch import meeting_admin, planning
from stammtisch.clock import BERLIN
from stammtisch.meetings import ImpulseInput, MeetingInput, get_meeting
from stammtisch.models import MeetingStatus, RegistrationState
from ui import auth, core
from ui.forms import FormState
from ui.render import field_error, form_error, literal

REGISTRATION_LABELS = {
    RegistrationState.NOT_OPEN: "noch nicht geöffnet",
    RegistrationState.OPEN: "offen",
    RegistrationState.CLOSED: "geschlossen",
}
STATUS_LABELS = {
    MeetingStatus.PLANNED: "geplant",
    MeetingStatus.HELD: "stattgefunden",
    MeetingStatus.CANCELLED: "abgesagt",
}
NEW = "__new__"

actor = auth.require_organizer()
now = core.now()
st.title("Termine verwalten")

all_meetings = core.admin_meetings(actor)
fields = {tf.id: tf.name for tf in core.topic_fields()}
by_id = {m.id: m for m in all_meetings}


def _combine(day: date | None, clock: time | None) -> datetime | None:
    return datetime.combine(day, clock, BERLIN) if day and clock else None


def _meeting_input(form: FormState, status: str) -> MeetingInput:
    day = form.value("day")
    return MeetingInput(
        theme=form.value("theme", ""),
        description=form.value("description", ""),
        starts_at=_combine(day, form.value("start")),
        ends_at=_combine(day, form.value("end")),
        primary_topic_field_id=form.value("primary"),
        further_topic_field_ids=form.value("further", []),
        registration_state=form.value("registration_state"),
        capacity=form.value("capacity") or None,
        online_link=form.value("online_link", ""),
        documentation_url=form.value("documentation_url", ""),
        documentation_text=form.value("documentation_text", ""),
        status=status,
    )


def _save(form: FormState, meeting_id: int | None) -> None:
    def action():
        status = by_id[meeting_id].status if meeting_id else MeetingStatus.PLANNED
        data = _meeting_input(form, status)
        with core.session() as s:
            if meeting_id is None:
                return meeting_admin.create_meeting(
                    session=s, actor=actor, data=data, now=core.now()
                )
            meeting_admin.update_meeting(
                session=s, actor=actor, meeting_id=meeting_id, data=data, now=core.now()
            )
            return meeting_id

    if form.submit(action):
        st.session_state["termine.selected"] = form.result
        st.session_state["termine.saved"] = True


def _prefill(form: FormState, meeting: meeting_admin.AdminMeeting | None) -> None:
    """Load a meeting's values into the form widgets when another meeting is chosen."""
    if st.session_state.get("termine.loaded") == (meeting.id if meeting else NEW):
        return
    st.session_state["termine.loaded"] = meeting.id if meeting else NEW
    form.reset()
    if meeting is None:
        st.session_state.update(
            {
                form.widget_key("theme"): "",
                form.widget_key("description"): "",
                form.widget_key("day"): (now + timedelta(days=42)).astimezone(BERLIN).date(),
                form.widget_key("start"): time(17, 0),
                form.widget_key("end"): time(18, 30),
                form.widget_key("primary"): next(iter(fields), None),
                form.widget_key("further"): [],
                form.widget_key("registration_state"): RegistrationState.NOT_OPEN,
                form.widget_key("capacity"): None,
                form.widget_key("online_link"): "",
                form.widget_key("documentation_url"): "",
                form.widget_key("documentation_text"): "",
            }
        )
        return
    start, end = meeting.starts_at.astimezone(BERLIN), meeting.ends_at.astimezone(BERLIN)
    st.session_state.update(
        {
            form.widget_key("theme"): meeting.theme,
            form.widget_key("description"): meeting.description,
            form.widget_key("day"): start.date(),
            form.widget_key("start"): start.time().replace(tzinfo=None),
            form.widget_key("end"): end.time().replace(tzinfo=None),
            form.widget_key("primary"): meeting.primary_topic_field_id,
            form.widget_key("further"): list(meeting.further_topic_field_ids),
            form.widget_key("registration_state"): RegistrationState(meeting.registration_state),
            form.widget_key("capacity"): meeting.capacity,
            form.widget_key("online_link"): meeting.online_link or "",
            form.widget_key("documentation_url"): meeting.documentation_url or "",
            form.widget_key("documentation_text"): meeting.documentation_text or "",
        }
    )


def _meeting_form(meeting: meeting_admin.AdminMeeting | None) -> None:
    form = FormState("meeting")
    _prefill(form, meeting)
    errors = form.errors
    if st.session_state.pop("termine.saved", False) and not errors:
        st.success("Gespeichert.", icon=":material/check_circle:")
    with st.form("meeting.form"):
        st.text_input("Thema", key=form.widget_key("theme"), max_chars=200)
        field_error(errors, "theme")
        st.text_area("Beschreibung", key=form.widget_key("description"), max_chars=5000)
        field_error(errors, "description")
        c1, c2, c3 = st.columns(3)
        c1.date_input("Datum", key=form.widget_key("day"), format="DD.MM.YYYY")
        c2.time_input("Beginn", key=form.widget_key("start"), step=timedelta(minutes=15))
        c3.time_input("Ende", key=form.widget_key("end"), step=timedelta(minutes=15))
        field_error(errors, "starts_at")
        field_error(errors, "ends_at")
        st.selectbox(
            "Themenfeld",
            options=list(fields),
            format_func=fields.get,
            key=form.widget_key("primary"),
        )
        field_error(errors, "primary_topic_field_id")
        st.multiselect(
            "Weitere Themenfelder",
            options=list(fields),
            placeholder="keine",
            format_func=fields.get,
            key=form.widget_key("further"),
        )
        field_error(errors, "further_topic_field_ids")
        c1, c2 = st.columns(2)
        c1.selectbox(
            "Anmeldung",
            options=list(RegistrationState),
            format_func=REGISTRATION_LABELS.get,
            key=form.widget_key("registration_state"),
        )
        c2.number_input(
            "Plätze (leer = unbegrenzt)",
            min_value=1,
            max_value=10_000,
            step=1,
            key=form.widget_key("capacity"),
        )
        field_error(errors, "registration_state")
        field_error(errors, "capacity")
        st.text_input(
            "Zoom-Link (sehen nur Angemeldete)", key=form.widget_key("online_link"), max_chars=2000
        )
        field_error(errors, "online_link")
        with st.expander("Dokumentation (nach dem Treffen)"):
            st.text_input("Link zur Dokumentation", key=form.widget_key("documentation_url"))
            field_error(errors, "documentation_url")
            st.text_area("Text zur Dokumentation", key=form.widget_key("documentation_text"))
            field_error(errors, "documentation_text")
        form_error(errors)
        st.form_submit_button(
            "Termin anlegen" if meeting is None else "Änderungen speichern",
            type="primary",
            on_click=_save,
            args=(form, meeting.id if meeting else None),
        )


def _status_actions(meeting: meeting_admin.AdminMeeting) -> None:
    form = FormState("status")

    def change(status: MeetingStatus) -> None:
        def action():
            with core.session() as s:
                meeting_admin.set_status(
                    session=s,
                    actor=actor,
                    meeting_id=meeting.id,
                    status=status,
                    now=core.now(),
                    documentation_url=st.session_state.get("meeting.documentation_url"),
                    documentation_text=st.session_state.get("meeting.documentation_text"),
                )
            return status

        form.submit(action)
        st.session_state.pop("status.confirm_cancel", None)

    st.markdown(f"**Status:** {STATUS_LABELS.get(meeting.status, meeting.status)}")
    cols = st.columns(3)
    if meeting.status == MeetingStatus.PLANNED:
        if st.session_state.get("status.confirm_cancel"):
            st.warning(
                f"Treffen wirklich absagen? {meeting.confirmed} bestätigte Anmeldungen bleiben "
                "erhalten; bitte informieren Sie die Angemeldeten.",
                icon=":material/warning:",
            )
            cols[0].button(
                "Ja, absagen",
                key="status.cancel_yes",
                on_click=change,
                args=(MeetingStatus.CANCELLED,),
                type="primary",
            )
            cols[1].button(
                "Nein",
                key="status.cancel_no",
                on_click=lambda: st.session_state.pop("status.confirm_cancel", None),
            )
        else:
            cols[0].button(
                "Absagen",
                key="status.cancel",
                icon=":material/event_busy:",
                on_click=lambda: st.session_state.update({"status.confirm_cancel": True}),
            )
            cols[1].button(
                "Als stattgefunden markieren",
                key="status.held",
                icon=":material/task_alt:",
                on_click=change,
                args=(MeetingStatus.HELD,),
                help="Übernimmt die Dokumentation aus dem Formular oben.",
            )
    elif meeting.status == MeetingStatus.CANCELLED:
        cols[0].button(
            "Wieder planen", key="status.replan", on_click=change, args=(MeetingStatus.PLANNED,)
        )
    form_error(form.errors)
    if "status" in form.errors:
        st.error(form.errors["status"], icon=":material/error:")


def _impulses(meeting_id: int) -> None:
    with core.session() as s:
        view = get_meeting(session=s, meeting_id=meeting_id)
    form = FormState("impulse")

    def run(fn, **kwargs) -> None:
        form.call(fn, actor=actor, **kwargs)

    if not view.impulses:
        st.caption("Noch keine Impulse. Angenommene Impuls-Angebote erscheinen hier.")
    for index, impulse in enumerate(view.impulses):
        with st.container(border=True):
            who = impulse.presenter + (f" ({impulse.organisation})" if impulse.organisation else "")
            literal(f"{index + 1}. {impulse.title} – {who}")
            c1, c2, c3 = st.columns(3)
            c1.button(
                "Nach oben",
                key=f"imp.up.{impulse.id}",
                disabled=index == 0,
                on_click=run,
                args=(meeting_admin.move_impulse,),
                kwargs={"impulse_id": impulse.id, "step": -1},
            )
            c2.button(
                "Nach unten",
                key=f"imp.down.{impulse.id}",
                disabled=index == len(view.impulses) - 1,
                on_click=run,
                args=(meeting_admin.move_impulse,),
                kwargs={"impulse_id": impulse.id, "step": 1},
            )
            c3.button(
                "Entfernen",
                key=f"imp.del.{impulse.id}",
                on_click=run,
                args=(meeting_admin.remove_impulse,),
                kwargs={"impulse_id": impulse.id},
            )
    errors = form.errors
    with st.form("impulse.form", clear_on_submit=False):
        st.markdown("**Impuls hinzufügen**")
        st.text_input("Titel", key=form.widget_key("title"))
        field_error(errors, "title")
        c1, c2 = st.columns(2)
        c1.text_input("Vortragende Person", key=form.widget_key("presenter"))
        c2.text_input("Organisation", key=form.widget_key("organisation"))
        field_error(errors, "presenter")
        form_error(errors)

        def add() -> None:
            run(
                meeting_admin.add_impulse,
                meeting_id=meeting_id,
                data=ImpulseInput(
                    title=form.value("title", ""),
                    presenter=form.value("presenter", ""),
                    organisation=form.value("organisation", ""),
                ),
            )
            if not form.errors:
                form.clear_inputs("title", "presenter", "organisation")

        st.form_submit_button("Impuls hinzufügen", on_click=add)


def _series() -> None:
    form = FormState("series")
    errors = form.errors
    st.caption(
        "Schlägt Termine im gewohnten Rhythmus vor und verschiebt Feiertage in Sachsen, "
        "Sachsen-Anhalt und Thüringen um eine Woche. Die Entwürfe prüfen Sie, bevor sie angelegt "
        "werden."
    )
    with st.form("series.form"):
        c1, c2, c3 = st.columns(3)
        c1.date_input(
            "Erster Termin ab",
            key="series.first",
            format="DD.MM.YYYY",
            value=(now + timedelta(days=14)).astimezone(BERLIN).date(),
        )
        c2.number_input("Alle … Wochen", key="series.every", min_value=1, max_value=26, value=6)
        c3.number_input("Anzahl", key="series.count", min_value=1, max_value=24, value=4)
        c1, c2, c3 = st.columns(3)
        c1.selectbox(
            "Wochentag",
            options=range(7),
            format_func=planning.WEEKDAYS.__getitem__,
            key="series.weekday",
        )
        c2.time_input("Beginn", key="series.start", value=time(17, 0), step=timedelta(minutes=15))
        c3.time_input("Ende", key="series.end", value=time(18, 30), step=timedelta(minutes=15))
        st.text_input("Arbeitstitel der Termine", key="series.theme", value="Thema folgt")
        st.selectbox("Themenfeld", options=list(fields), format_func=fields.get, key="series.field")
        if st.form_submit_button("Entwurf berechnen"):
            taken = {m.starts_at.astimezone(BERLIN).date() for m in all_meetings}
            if st.session_state["series.end"] <= st.session_state["series.start"]:
                st.session_state["series::errors"] = {
                    "_form": "Das Ende muss nach dem Beginn liegen."
                }
            else:
                st.session_state.pop("series::errors", None)
                st.session_state["series.drafts"] = planning.propose_series(
                    first_day=st.session_state["series.first"],
                    weekday=st.session_state["series.weekday"],
                    start=st.session_state["series.start"],
                    end=st.session_state["series.end"],
                    every_weeks=int(st.session_state["series.every"]),
                    count=int(st.session_state["series.count"]),
                    taken=taken,
                )
    form_error(st.session_state.get("series::errors") or errors)
    drafts = st.session_state.get("series.drafts")
    if not drafts:
        return
    table = pd.DataFrame(
        {
            "anlegen": [True] * len(drafts),
            "Termin": [meeting_admin.format_meeting_time(d.starts_at, d.ends_at) for d in drafts],
            "Hinweis": [d.note for d in drafts],
        }
    )
    edited = st.data_editor(
        table, key="series.table", hide_index=True, disabled=["Termin", "Hinweis"], width="stretch"
    )

    def create() -> None:
        chosen = [d for d, keep in zip(drafts, edited["anlegen"], strict=True) if keep]

        def action():
            template = MeetingInput(
                theme=st.session_state.get("series.theme", ""),
                starts_at=None,
                ends_at=None,
                primary_topic_field_id=st.session_state.get("series.field"),
            )
            with core.session() as s:
                return meeting_admin.create_series(
                    session=s, actor=actor, proposals=chosen, template=template, now=core.now()
                )

        if form.submit(action):
            st.session_state.pop("series.drafts", None)

    st.button("Ausgewählte Termine anlegen", type="primary", on_click=create, key="series.create")


if isinstance(FormState("series").result, list):
    st.success(
        f"{len(FormState('series').result)} Termine angelegt (Anmeldung noch nicht geöffnet).",
        icon=":material/check_circle:",
    )

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
                        "Status": STATUS_LABELS.get(m.status, m.status),
                        "Anmeldung": REGISTRATION_LABELS.get(m.registration_state, ""),
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
    if st.session_state.get("termine.selected") not in options:
        st.session_state["termine.selected"] = NEW
    selected = st.selectbox(
        "Termin",
        options=options,
        format_func=lambda i: (
            "Neuer Termin" if i == NEW else f"{by_id[i].time_label} – {by_id[i].theme}"
        ),
        key="termine.selected",
    )
    meeting = by_id.get(selected) if selected != NEW else None
    _meeting_form(meeting)
    if meeting is not None:
        st.divider()
        _status_actions(meeting)
        st.divider()
        st.subheader("Impulse", anchor=False)
        _impulses(meeting.id)

with tab_series:
    _series()
