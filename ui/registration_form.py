"""The registration form on a meeting card of the start page, and what replaces it."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, registrations
from stammtisch.errors import AlreadyRegistered, ValidationError
from stammtisch.meetings import MeetingView
from stammtisch.models import FederalState
from ui import core
from ui.forms import FormState
from ui.registration import mail_sent_note, show_access, show_pending
from ui.render import bring_into_view, form_error, lazy_expander


def _submit_registration(meeting_id: int, form: FormState) -> None:
    def action():
        form.check_honeypot()
        data = registrations.RegistrationInput(
            name=form.value("name", ""),
            email=form.value("email", ""),
            organisation=form.value("organisation", ""),
            federal_state=form.value("federal_state"),
            consent=bool(form.value("consent", False)),
        )
        with core.session() as s:
            try:
                return registrations.register(
                    session=s,
                    meeting_id=meeting_id,
                    data=data,
                    now=core.now(),
                    confirmation=core.settings().confirm_registrations,
                    requester=core.requester(),
                )
            except AlreadyRegistered as exc:
                # Shown next to the e-mail field; nothing about the existing one is revealed.
                raise ValidationError({"email": exc.message}) from exc

    form.submit(action)


def _another_person(form: FormState) -> None:
    form.reset()
    form.clear_inputs("name", "email", "organisation", "federal_state", "consent")


def registration_form(meeting: MeetingView) -> None:
    """The registration of one meeting card: a lazily built form, replaced by its
    confirmation (or waitlist position) in the same place, which takes the focus."""
    form = FormState(f"reg{meeting.id}")
    receipt = form.result
    if receipt is not None:
        # The confirmation (or the waitlist position) takes the form's place and the focus.
        with st.container(border=True, key=f"reg{meeting.id}-sent"):
            if receipt.is_pending:
                show_pending(receipt.email)
            else:
                show_access(
                    meeting,
                    status=receipt.status,
                    waitlist_position=receipt.waitlist_position,
                    online_link=receipt.online_link,
                    token=receipt.token,
                    key=f"reg{meeting.id}",
                )
                mail_sent_note(receipt.email)
            st.button(
                "Weitere Person anmelden",
                key=f"reg{meeting.id}.again",
                on_click=_another_person,
                args=(form,),
            )
        bring_into_view(f"reg{meeting.id}-sent")
        return
    errors = form.errors
    # Lazy: the form (and the browser code for its fields) only once someone opens it,
    # so the start page appears sooner; with errors it stays open. The label never
    # changes: Streamlit derives the expander's identity from it, so a visitor who opened
    # "Anmelden" just as the last place went saw the box snap shut under a new label (found
    # by bench/load.py). The badge, the note inside and the button say "Warteliste".
    opener = lazy_expander(
        "Anmelden", f"reg{meeting.id}.open", open_anyway=bool(errors), icon=":material/how_to_reg:"
    )
    if opener is None:
        return
    with opener:
        if meeting.is_full:
            st.info(
                f"Alle {meeting.capacity} Plätze sind vergeben. Sie können sich auf die "
                f"Warteliste setzen – Sie wären auf Position {meeting.waitlist_count + 1}.",
                icon=":material/hourglass_top:",
            )
        with st.form(key=f"reg{meeting.id}.form", border=False):
            form.field(
                st.text_input, "name", "Name", max_chars=limits.PERSON_NAME.max, autocomplete="name"
            )
            form.field(
                st.text_input,
                "email",
                "E-Mail-Adresse",
                max_chars=limits.EMAIL_ADDRESS_MAX,
                autocomplete="email",
            )
            form.field(
                st.text_input,
                "organisation",
                "Organisation oder Initiative (freiwillig)",
                max_chars=limits.ORGANISATION.max,
                autocomplete="organization",
            )
            form.field(
                st.selectbox,
                "federal_state",
                "Bundesland (freiwillig)",
                options=[None, *FederalState],
                format_func=lambda v: "keine Angabe" if v is None else FederalState(v).label,
            )
            form.field(
                st.checkbox,
                "consent",
                "Ich bin einverstanden, dass meine Angaben zur Organisation dieses Treffens "
                "gespeichert werden ([Datenschutzhinweise](/datenschutz)).",
            )
            form.honeypot()
            form_error(errors)
            st.form_submit_button(
                "Auf die Warteliste setzen" if meeting.is_full else "Verbindlich anmelden",
                type="primary",
                on_click=_submit_registration,
                args=(meeting.id, form),
            )
