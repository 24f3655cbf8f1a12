"""A person's own registration, opened through the personal link: link, .ics, cancel."""

from __future__ import annotations

import streamlit as st

from stammtisch import meetings, registrations
from stammtisch.models import FederalState, RegistrationStatus
from ui import core
from ui.forms import FormState
from ui.registration import mail_sent_note, show_access
from ui.render import escape_md, form_error, literal

st.title("Meine Anmeldung")
token = st.query_params.get("token", "")
form = FormState("cancel")


def _cancel() -> None:
    def action():
        with core.session() as s:
            return registrations.cancel(session=s, token=token, now=core.now())

    form.submit(action)
    st.session_state.pop("cancel.confirm", None)


def _confirm() -> None:
    confirm_form.call(registrations.confirm, token=token)


confirm_form = FormState("confirm")
with core.session() as s:
    details = registrations.find_by_token(session=s, token=token, now=core.now()) if token else None
    meeting = meetings.get_meeting(session=s, meeting_id=details.meeting_id) if details else None

if details is None or meeting is None:
    # One message for every unknown, mistyped or foreign token: it reveals nothing.
    st.warning(registrations.UNKNOWN_TOKEN_MESSAGE, icon=":material/link_off:")
    st.caption("Öffnen Sie den persönlichen Link aus Ihrer Anmeldebestätigung vollständig.")
    st.page_link("pages/termine.py", label="Zu den Terminen", icon=":material/event:")
    st.stop()

with st.container(border=True):
    st.markdown(f"**{escape_md(meeting.time_label)}**")
    st.subheader(f"Thema: {escape_md(meeting.theme)}", anchor=False)
    if meeting.is_cancelled:
        st.error("Dieses Treffen wurde abgesagt.", icon=":material/event_busy:")

st.markdown("**Ihre Angaben**")
rows = [("Name", details.name), ("E-Mail-Adresse", details.email)]
if details.organisation:
    rows.append(("Organisation", details.organisation))
if details.federal_state:
    rows.append(("Bundesland", FederalState.label_for(details.federal_state)))
rows.append(("Status", RegistrationStatus.label_for(details.status)))
for label, value in rows:
    left, right = st.columns([1, 2])
    left.caption(label)
    with right:
        literal(value)

if details.is_pending:
    # Opening the link changes nothing (mail scanners open links too): one button confirms.
    st.info(
        "Ihre Anmeldung ist noch nicht bestätigt. Erst mit der Bestätigung ist Ihr Platz "
        "reserviert (oder Ihr Platz auf der Warteliste, wenn das Treffen voll ist).",
        icon=":material/mark_email_unread:",
    )
    form_error(confirm_form.errors)
    st.button(
        "Anmeldung bestätigen",
        key="confirm.go",
        type="primary",
        icon=":material/how_to_reg:",
        on_click=_confirm,
    )
    st.stop()

if form.result is not None:
    st.success(
        "Sie sind abgemeldet. Schade, dass Sie nicht dabei sein können – vielleicht beim "
        "nächsten Mal!",
        icon=":material/check_circle:",
    )
form_error(form.errors)

if details.status == RegistrationStatus.CANCELLED:
    if form.result is None:
        st.info("Diese Anmeldung ist storniert.", icon=":material/info:")
    st.page_link("pages/termine.py", label="Zu den Terminen", icon=":material/event:")
    st.stop()

show_access(
    meeting,
    status=details.status,
    waitlist_position=details.waitlist_position,
    online_link=details.online_link,
    token=None,
    key="mine",
)
if confirm_form.result is not None:
    mail_sent_note(details.email)

st.divider()
st.markdown("**Doch keine Zeit?**")
if not meeting.is_over(core.now()):
    if st.session_state.get("cancel.confirm"):
        st.warning("Möchten Sie Ihre Anmeldung wirklich stornieren?", icon=":material/help:")
        yes, no = st.columns(2)
        yes.button("Ja, abmelden", type="primary", key="cancel.yes", on_click=_cancel)
        no.button(
            "Nein, angemeldet bleiben",
            key="cancel.no",
            on_click=lambda: st.session_state.pop("cancel.confirm", None),
        )
    else:
        st.caption("Geben Sie Ihren Platz frei, damit jemand von der Warteliste nachrücken kann.")
        st.button(
            "Anmeldung stornieren",
            key="cancel.start",
            icon=":material/event_busy:",
            on_click=lambda: st.session_state.update({"cancel.confirm": True}),
        )
