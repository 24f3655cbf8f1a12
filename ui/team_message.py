"""The team writes to a meeting's registrants (stammtisch.registration_admin.send_message):
subject, text, groups, the number of recipients before sending, then a confirmation."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, registration_admin
from stammtisch.identity import OrganizerIdentity
from stammtisch.registration_admin import RECIPIENT_GROUPS, MessageInput
from ui import core
from ui.forms import FormState
from ui.render import form_error, lazy_expander


def _data(form: FormState) -> MessageInput:
    return MessageInput(
        subject=form.value("subject", ""),
        text=form.value("text", ""),
        groups=tuple(form.value("groups", None) or ()),
    )


def _send(form: FormState, actor: OrganizerIdentity, meeting_id: int, count: int | None) -> None:
    form.call(
        registration_admin.send_message,
        actor=actor,
        meeting_id=meeting_id,
        data=_data(form),
        notify_count=count,
    )
    if form.result is not None:
        form.clear_inputs("subject", "text", "groups")


def team_message(actor: OrganizerIdentity, meeting_id: int) -> None:
    form = FormState(f"msg{meeting_id}")
    if form.result is not None:
        sent = form.result
        st.success(
            f"Die Nachricht ist im Postausgang: {'eine Mail' if sent == 1 else f'{sent} Mails'}.",
            icon=":material/outbox:",
        )
    box = lazy_expander(
        "Nachricht an die Angemeldeten",
        f"msg{meeting_id}.open",
        open_anyway=bool(form.errors) or form.confirmation is not None,
        icon=":material/mail:",
    )
    if box is None:
        return
    with box:
        st.caption(
            "Zum Beispiel die Folien nach dem Treffen oder ein kurzer Hinweis vorher. Ihr Text "
            "steht in der Mail als Zitat unter Ihrem Namen, Zeichen für Zeichen wie "
            "geschrieben (HTML oder Markdown darin wird nicht ausgewertet); jede Person "
            "bekommt eine eigene Mail."
        )
        form.field(st.text_input, "subject", "Betreff", max_chars=limits.MESSAGE_SUBJECT.max)
        form.field(st.text_area, "text", "Text", max_chars=limits.MESSAGE_TEXT.max, height=180)
        form.field(
            st.multiselect,
            "groups",
            "An wen?",
            options=list(RECIPIENT_GROUPS),
            format_func=RECIPIENT_GROUPS.get,
            default=None,
        )
        groups = tuple(form.value("groups", None) or ())
        if groups:
            reach = core.read(
                registration_admin.message_audience, meeting_id=meeting_id, groups=groups
            )
            st.caption(
                "Geht an niemanden."
                if reach == 0
                else f"Geht an {'eine Person' if reach == 1 else f'{reach} Personen'}."
            )
        form_error(form.errors)
        form.confirm_notice(
            lambda count: _send(form, actor, meeting_id, count), key=f"msg{meeting_id}"
        )
        if form.confirmation is None:
            st.button(
                "Nachricht senden …",
                key=f"msg{meeting_id}.send",
                on_click=_send,
                args=(form, actor, meeting_id, None),
                icon=":material/send:",
            )
