"""The small forms that keep visitors informed (stammtisch.subscriptions and the
"Link verloren?" of stammtisch.registrations), shared by the start page, the page for
announcements and the personal page. Each is replaced by its one answer once sent."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, registrations, subscriptions
from stammtisch.meetings import MeetingView
from ui import core
from ui.forms import FormState
from ui.render import bring_into_view, form_error, lazy_expander

CONSENT_LABEL = subscriptions.CONSENT_TEXT + " ([Datenschutzhinweise](/datenschutz))"


def _answer(form: FormState, key: str, again_label: str) -> bool:
    """The sent form's answer in its place (focused); True when there was one."""
    if form.result is None:
        return False
    with st.container(key=key, border=True):
        st.success(form.result, icon=":material/mark_email_read:")
        st.button(again_label, key=f"{form.key}.again", on_click=_again, args=(form,))
    bring_into_view(key)
    return True


def _again(form: FormState) -> None:
    form.reset()
    form.clear_inputs("email", "name", "consent", "topic_field_ids", "website")


def _subscribe(form: FormState, meeting_id: int | None) -> None:
    def action():
        form.check_honeypot()
        data = subscriptions.SubscriptionInput(
            email=form.value("email", ""),
            name=form.value("name", ""),
            consent=bool(form.value("consent", False)),
            meeting_id=meeting_id,
            topic_field_ids=tuple(form.value("topic_field_ids", None) or ()),
        )
        with core.session() as s:
            return subscriptions.subscribe(
                session=s, data=data, now=core.now(), requester=core.requester()
            )

    form.submit(action)


def _address_fields(form: FormState) -> None:
    form.field(
        st.text_input,
        "email",
        "E-Mail-Adresse",
        max_chars=limits.EMAIL_ADDRESS_MAX,
        autocomplete="email",
    )
    form.field(
        st.text_input,
        "name",
        "Name (freiwillig)",
        max_chars=limits.AUTHOR_NAME.max,
        autocomplete="name",
    )


def notify_when_open(meeting: MeetingView) -> None:
    """On a meeting whose registration is not open yet: "tell me when it opens"."""
    form = FormState(f"sub{meeting.id}")
    if _answer(form, f"sub{meeting.id}-sent", "Noch eine Adresse eintragen"):
        return
    opener = lazy_expander(
        "Benachrichtigen, sobald die Anmeldung öffnet",
        f"sub{meeting.id}.open",
        open_anyway=bool(form.errors),
        icon=":material/notifications:",
    )
    if opener is None:
        return
    with opener, st.form(key=f"sub{meeting.id}.form", border=False):
        st.caption(
            "Wir schreiben Ihnen einmal, sobald Sie sich für dieses Treffen anmelden können. "
            "Danach löschen wir Ihre Adresse für diesen Zweck."
        )
        _address_fields(form)
        form.field(st.checkbox, "consent", CONSENT_LABEL)
        form.honeypot()
        form_error(form.errors)
        st.form_submit_button(
            "Benachrichtigen", type="primary", on_click=_subscribe, args=(form, meeting.id)
        )


def news_form() -> None:
    """Announcements of new meetings, optionally for some topic fields only."""
    form = FormState("news")
    if _answer(form, "news-sent", "Noch eine Adresse eintragen"):
        return
    fields = {tf.id: tf.name for tf in core.topic_fields()}
    with st.form("news.form"):
        _address_fields(form)
        form.field(
            st.multiselect,
            "topic_field_ids",
            "Nur zu diesen Themenfeldern (leer lassen: zu allen)",
            options=list(fields),
            format_func=fields.get,
        )
        form.field(st.checkbox, "consent", CONSENT_LABEL)
        form.honeypot()
        form_error(form.errors)
        st.form_submit_button(
            "Benachrichtigen", type="primary", on_click=_subscribe, args=(form, None)
        )


def _send_links(form: FormState) -> None:
    def action():
        form.check_honeypot()
        with core.session() as s:
            return registrations.send_fresh_links(
                session=s,
                email=form.value("email", ""),
                now=core.now(),
                requester=core.requester(),
            )

    form.submit(action)


def lost_link(key: str = "lost") -> None:
    """ "Link verloren?": fresh personal links by mail, the same answer for every address."""
    form = FormState(key)
    if _answer(form, f"{key}-sent", "Für eine andere Adresse anfordern"):
        return
    opener = lazy_expander(
        "Link verloren?",
        f"{key}.open",
        open_anyway=bool(form.errors),
        icon=":material/link:",
    )
    if opener is None:
        return
    with opener, st.form(key=f"{key}.form", border=False):
        st.caption(
            "Geben Sie die Adresse ein, mit der Sie sich angemeldet haben. Für jede Anmeldung "
            "zu einem kommenden Treffen schicken wir Ihnen einen neuen persönlichen Link; "
            "frühere Links gelten dann nicht mehr."
        )
        form.field(
            st.text_input,
            "email",
            "E-Mail-Adresse",
            max_chars=limits.EMAIL_ADDRESS_MAX,
            autocomplete="email",
        )
        form.honeypot()
        form_error(form.errors)
        st.form_submit_button(
            "Neuen Link schicken", type="primary", on_click=_send_links, args=(form,)
        )
