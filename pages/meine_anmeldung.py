"""A person's own registration, opened through the personal link.

What it says and offers comes from one table (``stammtisch.personal_page.TABLE``): every
combination of the meeting's phase and the registration's standing has exactly one
message and exactly the actions that make sense.
"""

from __future__ import annotations

import streamlit as st

from stammtisch import meetings, personal_page, registrations
from stammtisch.models import FederalState, RegistrationStatus
from ui import core, staying_informed
from ui.forms import FormState
from ui.registration import calendar_button, mail_sent_note, zoom_access
from ui.render import bring_into_view, escape_md, form_error, literal

TONES = {
    "success": (st.success, ":material/check_circle:"),
    "info": (st.info, ":material/info:"),
    "warning": (st.warning, ":material/hourglass_top:"),
    "error": (st.error, ":material/event_busy:"),
}

st.title("Meine Anmeldung", anchor=False)
token = st.query_params.get("token", "")
cancel_form = FormState("cancel")
confirm_form = FormState("confirm")


def _cancel() -> None:
    cancel_form.call(registrations.cancel, token=token)
    st.session_state.pop("cancel.confirm", None)


def _confirm() -> None:
    confirm_form.call(registrations.confirm, token=token)


now = core.now()
with core.session() as s:
    details = registrations.find_by_token(session=s, token=token, now=now) if token else None
    meeting = meetings.get_meeting(session=s, meeting_id=details.meeting_id) if details else None

if details is None or meeting is None:
    # One message for every unknown, mistyped or foreign token: it reveals nothing.
    st.warning(registrations.UNKNOWN_TOKEN_MESSAGE, icon=":material/link_off:")
    st.caption("Öffnen Sie den persönlichen Link aus unserer neuesten Mail vollständig.")
    staying_informed.lost_link()
    st.page_link("pages/termine.py", label="Zu den Terminen", icon=":material/event:")
    st.stop()

view = personal_page.personal_view(meeting, details, now)

with st.container(border=True):
    st.markdown(f"**{escape_md(meeting.time_label)}**")
    st.header(f"Thema: {escape_md(meeting.theme)}", anchor=False)

# After a click the result replaces the question, in the same place, and gets the focus
# (the button that was pressed is gone; screen readers read the new state).
with st.container(key="registration-status"):
    if cancel_form.result is not None:
        st.success(
            "Sie sind abgemeldet. Schade, dass Sie nicht dabei sein können – vielleicht beim "
            "nächsten Mal! Eine Bestätigung kommt per Mail.",
            icon=":material/check_circle:",
        )
    else:
        show, icon = TONES[view.tone]
        show(view.text(details.waitlist_position), icon=icon)
if cancel_form.result is not None or confirm_form.result is not None:
    bring_into_view("registration-status")
form_error(cancel_form.errors)
form_error(confirm_form.errors)

if view.confirm:
    # Opening the link changes nothing (mail scanners open links too): one button confirms.
    st.button(
        "Anmeldung bestätigen",
        key="confirm.go",
        type="primary",
        icon=":material/how_to_reg:",
        on_click=_confirm,
    )
if view.zoom_link:
    zoom_access(details.online_link)
if view.calendar:
    calendar_button(
        meeting,
        online_link=details.online_link,
        tentative=view.calendar == "tentative",
        key="mine",
    )
if confirm_form.result is not None and not view.confirm:
    mail_sent_note(details.email)
if view.documentation and (meeting.documentation_url or meeting.documentation_text):
    st.markdown("**Dokumentation des Treffens**")
    if meeting.documentation_text:
        literal(meeting.documentation_text)
    if meeting.documentation_url:
        st.link_button("Zur Dokumentation", meeting.documentation_url, icon=":material/link:")
if view.register_again:
    st.page_link("pages/termine.py", label="Zu den Terminen", icon=":material/event:")

st.markdown("**Ihre Angaben**")
rows = [("Name", details.name), ("E-Mail-Adresse", details.email)]
if details.organisation:
    rows.append(("Organisation", details.organisation))
if details.federal_state:
    rows.append(("Bundesland", FederalState.label_for(details.federal_state)))
rows.append(("Status", personal_page.status_label(meeting, details, now)))
for label, value in rows:
    left, right = st.columns([1, 2])
    left.caption(label)
    with right:
        literal(value)

if view.cancel and cancel_form.result is None:
    st.divider()
    waiting = details.status == RegistrationStatus.WAITLISTED
    st.markdown("**Doch keine Zeit?**")
    if st.session_state.get("cancel.confirm"):
        st.warning(
            "Möchten Sie sich wirklich von der Warteliste abmelden?"
            if waiting
            else "Möchten Sie Ihre Anmeldung wirklich stornieren?",
            icon=":material/help:",
        )
        yes, no = st.columns(2)
        yes.button("Ja, abmelden", key="cancel.yes", icon=":material/event_busy:", on_click=_cancel)
        no.button(
            "Nein, angemeldet bleiben",
            type="primary",
            key="cancel.no",
            on_click=lambda: st.session_state.pop("cancel.confirm", None),
        )
    else:
        st.caption(
            "Melden Sie sich ab, wenn Sie nicht mehr warten möchten."
            if waiting
            else "Geben Sie Ihren Platz frei, damit jemand von der Warteliste nachrücken kann."
        )
        st.button(
            "Von der Warteliste abmelden" if waiting else "Anmeldung stornieren",
            key="cancel.start",
            icon=":material/event_busy:",
            on_click=lambda: st.session_state.update({"cancel.confirm": True}),
        )
