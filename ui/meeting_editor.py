"""The team's editor for one meeting: its form, its status actions and its impulses.

Used by ``pages/orga_termine.py``; every write goes through :mod:`stammtisch.meeting_admin`
and every rule (which status may follow which, what a valid meeting is) stays there.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import streamlit as st

from stammtisch import limits, meeting_admin
from stammtisch.clock import BERLIN
from stammtisch.date_proposals import DateProposal, holiday_names, next_dates
from stammtisch.identity import OrganizerIdentity
from stammtisch.meeting_admin import AdminMeeting
from stammtisch.meetings import ImpulseInput, MeetingInput, get_meeting
from stammtisch.models import MeetingStatus, RegistrationState
from ui import core
from ui.forms import FormState
from ui.render import field_error, form_error, lazy_expander, literal

NEW = "__new__"
SELECTED = "termine.selected"


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


def _save(
    actor: OrganizerIdentity,
    form: FormState,
    meeting: AdminMeeting | None,
    notify_count: int | None = None,
) -> None:
    def action():
        if meeting is not None:
            status = meeting.status
        else:
            status = MeetingStatus.DRAFT if form.value("draft") else MeetingStatus.PLANNED
        data = _meeting_input(form, status)
        with core.session() as s:
            if meeting is None:
                return meeting_admin.create_meeting(
                    session=s, actor=actor, data=data, now=core.now()
                )
            meeting_admin.update_meeting(
                session=s,
                actor=actor,
                meeting_id=meeting.id,
                data=data,
                now=core.now(),
                notify_count=notify_count,
            )
            return meeting.id

    if form.submit(action):
        st.session_state[SELECTED] = form.result
        st.session_state["termine.saved"] = True


def next_regular_slot(existing: list[AdminMeeting]) -> DateProposal:
    """Where a new single meeting most likely goes: the series' next regular date
    (weekday, time and six-week rhythm after the latest meeting), holidays in the three
    states and days that already have a meeting skipped."""
    kept = [m for m in existing if m.status != MeetingStatus.CANCELLED]
    latest = max((m.starts_at for m in kept), default=None)
    taken = {m.starts_at.astimezone(BERLIN).date() for m in kept}
    today = core.now().astimezone(BERLIN).date()
    return next_dates(last_start=latest, today=today, count=1, taken=taken)[0]


def _prefill(
    form: FormState,
    meeting: AdminMeeting | None,
    fields: dict[int, str],
    existing: list[AdminMeeting],
) -> None:
    """Load a meeting's values into the form widgets when another meeting is chosen."""
    if st.session_state.get("termine.loaded") == (meeting.id if meeting else NEW):
        return
    st.session_state["termine.loaded"] = meeting.id if meeting else NEW
    form.reset()
    if meeting is None:
        slot = next_regular_slot(existing)
        values = {
            "theme": "",
            "description": "",
            "day": slot.day,
            "start": slot.starts_at.astimezone(BERLIN).time().replace(tzinfo=None),
            "end": slot.ends_at.astimezone(BERLIN).time().replace(tzinfo=None),
            "primary": next(iter(fields), None),
            "further": [],
            "registration_state": RegistrationState.NOT_OPEN,
            "capacity": None,
            "online_link": "",
            "documentation_url": "",
            "documentation_text": "",
            "draft": False,
        }
    else:
        start, end = meeting.starts_at.astimezone(BERLIN), meeting.ends_at.astimezone(BERLIN)
        values = {
            "theme": meeting.theme,
            "description": meeting.description,
            "day": start.date(),
            "start": start.time().replace(tzinfo=None),
            "end": end.time().replace(tzinfo=None),
            "primary": meeting.primary_topic_field_id,
            "further": list(meeting.further_topic_field_ids),
            "registration_state": RegistrationState(meeting.registration_state),
            "capacity": meeting.capacity,
            "online_link": meeting.online_link or "",
            "documentation_url": meeting.documentation_url or "",
            "documentation_text": meeting.documentation_text or "",
        }
    st.session_state.update({form.widget_key(k): v for k, v in values.items()})


def holiday_warning(day: date | None) -> None:
    """A public holiday in Saxony, Saxony-Anhalt or Thuringia on ``day``: said, not refused
    (the team may have its reasons)."""
    found = holiday_names(day) if isinstance(day, date) else {}
    if found:
        where = "; ".join(f"{name} in {', '.join(states)}" for name, states in found.items())
        st.warning(
            f"Der {day.strftime('%d.%m.%Y')} ist ein Feiertag ({where}). Viele haben dann "
            "frei oder sind unterwegs – passt ein anderer Tag?",
            icon=":material/event_busy:",
        )


def meeting_form(
    actor: OrganizerIdentity,
    meeting: AdminMeeting | None,
    fields: dict[int, str],
    existing: list[AdminMeeting] = (),
) -> None:
    """Create a meeting (``meeting`` None) or edit every field of one."""
    form = FormState("meeting")
    _prefill(form, meeting, fields, list(existing))
    errors = form.errors
    if st.session_state.pop("termine.saved", False) and not errors:
        st.success("Gespeichert.", icon=":material/check_circle:")
    holiday_warning(st.session_state.get(form.widget_key("day")))
    with st.form("meeting.form"):
        form.field(st.text_input, "theme", "Thema", max_chars=limits.THEME.max)
        form.field(
            st.text_area, "description", "Beschreibung", max_chars=limits.MEETING_DESCRIPTION.max
        )
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
            format_func=lambda state: state.label,
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
        form.field(
            st.text_input,
            "online_link",
            "Zoom-Link (sehen nur Angemeldete)",
            max_chars=limits.URL_MAX,
        )
        with st.expander("Dokumentation (nach dem Treffen)"):
            form.field(st.text_input, "documentation_url", "Link zur Dokumentation")
            form.field(st.text_area, "documentation_text", "Text zur Dokumentation")
        if meeting is None:
            st.checkbox(
                "Nur als Entwurf anlegen (für Besucher:innen noch unsichtbar)",
                key=form.widget_key("draft"),
            )
        form_error(errors)
        st.form_submit_button(
            "Termin anlegen" if meeting is None else "Änderungen speichern",
            type="primary",
            on_click=_save,
            args=(actor, form, meeting),
        )
    # A new time or Zoom link is mailed to the people concerned: asked first, with the number.
    form.confirm_notice(lambda count: _save(actor, form, meeting, count), key="meeting")


# What each allowed status change is called on its button.
STATUS_ACTIONS = {
    MeetingStatus.CANCELLED: ("Absagen", ":material/event_busy:"),
    MeetingStatus.HELD: ("Als stattgefunden markieren", ":material/task_alt:"),
    MeetingStatus.PLANNED: ("Wieder planen", ":material/event_repeat:"),
}
PUBLISH = ("Veröffentlichen", ":material/public:")


def status_actions(actor: OrganizerIdentity, meeting: AdminMeeting) -> None:
    """The status changes the meeting's workflow allows from where it is now."""
    form = FormState(f"status.{meeting.id}")
    current = MeetingStatus(meeting.status)

    def change(status: MeetingStatus, notify_count: int | None = None) -> None:
        form.call(
            meeting_admin.set_status,
            actor=actor,
            meeting_id=meeting.id,
            status=status,
            documentation_url=form.value("documentation_url"),
            documentation_text=form.value("documentation_text"),
            notify_count=notify_count,
        )
        if form.confirmation is not None:
            st.session_state["status.asked"] = status
        else:
            st.session_state.pop("status.asked", None)
        st.session_state.pop("status.confirm_cancel", None)

    st.markdown(f"**Status:** {current.label}")
    if current == MeetingStatus.DRAFT:
        st.caption(
            "Nur das Team sieht diesen Entwurf. Veröffentlicht steht er auf der Startseite und "
            "im Kalender; wer „Neue Termine“ abonniert hat, bekommt eine Mail."
        )
        label, icon = PUBLISH
        publish, remove = st.columns(2)
        publish.button(
            label,
            key="status.publish",
            type="primary",
            icon=icon,
            on_click=change,
            args=(MeetingStatus.PLANNED,),
        )
        with remove:
            _delete_draft(actor, meeting, form)
        asked = st.session_state.get("status.asked")
        if asked is not None:
            form.confirm_notice(lambda count: change(asked, count), key="status")
        form_error(form.errors)
        field_error(form.errors, "status")
        return
    allowed = [s for s in STATUS_ACTIONS if current.can_become(s) and s != current]
    if MeetingStatus.CANCELLED in allowed and st.session_state.get("status.confirm_cancel"):
        st.warning(
            f"Treffen wirklich absagen? Die Anmeldungen bleiben erhalten; alle "
            f"{meeting.confirmed + meeting.waitlisted} Angemeldeten und Wartenden bekommen "
            "eine Mail.",
            icon=":material/warning:",
        )
        yes, no = st.columns(2)
        # The question above names the number; the service asks again if it changed.
        yes.button(
            "Ja, absagen und alle benachrichtigen",
            key="status.cancel_yes",
            icon=":material/event_busy:",
            on_click=change,
            args=(MeetingStatus.CANCELLED, meeting.confirmed + meeting.waitlisted),
        )
        no.button(
            "Nein, nicht absagen",
            type="primary",
            key="status.cancel_no",
            on_click=lambda: st.session_state.pop("status.confirm_cancel", None),
        )
        allowed = []
    cols = st.columns(3)
    for col, status in zip(cols, allowed, strict=False):
        label, icon = STATUS_ACTIONS[status]
        if status == MeetingStatus.CANCELLED:
            col.button(
                label,
                key="status.cancel",
                icon=icon,
                on_click=lambda: st.session_state.update({"status.confirm_cancel": True}),
            )
        elif status != MeetingStatus.HELD:
            col.button(
                label, key=f"status.{status.value}", icon=icon, on_click=change, args=(status,)
            )
    if current.can_become(MeetingStatus.HELD):
        _held_form(form, meeting, change)
    asked = st.session_state.get("status.asked")
    if asked is not None:
        form.confirm_notice(lambda count: change(asked, count), key="status")
    form_error(form.errors)
    field_error(form.errors, "status")


def _delete_draft(actor: OrganizerIdentity, meeting: AdminMeeting, form: FormState) -> None:
    if not st.session_state.get("status.confirm_delete"):
        st.button(
            "Entwurf löschen",
            key="status.delete",
            icon=":material/delete:",
            on_click=lambda: st.session_state.update({"status.confirm_delete": True}),
        )
        return
    st.warning("Diesen Entwurf endgültig löschen?", icon=":material/warning:")

    def delete() -> None:
        if form.call(meeting_admin.delete_draft, actor=actor, meeting_id=meeting.id):
            st.session_state[SELECTED] = NEW
        st.session_state.pop("status.confirm_delete", None)

    yes, no = st.columns(2)
    yes.button("Ja, Entwurf löschen", key="status.delete_yes", on_click=delete)
    no.button(
        "Nein",
        key="status.delete_no",
        type="primary",
        on_click=lambda: st.session_state.pop("status.confirm_delete", None),
    )


def _held_form(form: FormState, meeting: AdminMeeting, change) -> None:
    """Mark the meeting as held, with its documentation (or save the documentation again)."""
    again = meeting.status == MeetingStatus.HELD
    box = lazy_expander(
        "Dokumentation speichern" if again else "Als stattgefunden markieren …",
        "status.held.open",
        open_anyway=bool(form.errors),
    )
    if box is None:
        return
    with box:
        if form.widget_key("documentation_url") not in st.session_state:
            st.session_state[form.widget_key("documentation_url")] = meeting.documentation_url or ""
            st.session_state[form.widget_key("documentation_text")] = (
                meeting.documentation_text or ""
            )
        form.field(st.text_input, "documentation_url", "Link zur Dokumentation")
        form.field(st.text_area, "documentation_text", "Text zur Dokumentation")
        st.button(
            "Dokumentation speichern" if again else "Als stattgefunden markieren",
            key="status.held",
            icon=":material/task_alt:",
            on_click=change,
            args=(MeetingStatus.HELD,),
        )


def impulses(actor: OrganizerIdentity, meeting_id: int) -> None:
    """The meeting's impulses in order: move, remove, add."""
    with core.session() as s:
        view = get_meeting(session=s, meeting_id=meeting_id, include_drafts=True)
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

    with st.form("impulse.form", clear_on_submit=False):
        st.markdown("**Impuls hinzufügen**")
        form.field(st.text_input, "title", "Titel")
        c1, c2 = st.columns(2)
        form.field(c1.text_input, "presenter", "Vortragende Person")
        form.field(c2.text_input, "organisation", "Organisation")
        form_error(form.errors)
        st.form_submit_button("Impuls hinzufügen", on_click=add)
