"""Announcements by mail: sign up; and the pages the mails' links open (confirm the
wish, unsubscribe). Changes happen on a button, never on opening a link: mail scanners
open links too."""

from __future__ import annotations

import streamlit as st

from stammtisch import subscriptions
from stammtisch.errors import NotFound
from ui import core, staying_informed
from ui.forms import FormState
from ui.render import form_error, literal

confirm_token = st.query_params.get("bestaetigen", "")
unsubscribe_token = st.query_params.get("abbestellen", "")


def _confirm(form: FormState) -> None:
    form.call(subscriptions.confirm, token=confirm_token)


def _unsubscribe(form: FormState) -> None:
    form.call(subscriptions.unsubscribe, token=unsubscribe_token)


if confirm_token:
    st.title("Benachrichtigung bestätigen", anchor=False)
    form = FormState("subconfirm")
    if form.result is not None:
        st.success(
            "Danke, bestätigt! Wir schreiben Ihnen zu:"
            if not form.result.already
            else "Das hatten Sie schon bestätigt. Wir schreiben Ihnen zu:",
            icon=":material/check_circle:",
        )
        for line in form.result.confirmed:
            literal(f"• {line}")
        st.caption("In jeder dieser Mails steht ein Link, mit dem Sie sie abbestellen.")
    else:
        try:
            with core.session() as s:
                preview = subscriptions.describe_confirmation(
                    session=s, token=confirm_token, now=core.now()
                )
        except NotFound as exc:
            st.warning(exc.message, icon=":material/link_off:")
            st.page_link(
                "pages/benachrichtigung.py", label="Neu eintragen", icon=":material/notifications:"
            )
            st.stop()
        st.markdown("Sie möchten per E-Mail benachrichtigt werden:")
        for line in preview.confirmed:
            literal(f"• {line}")
        form_error(form.errors)
        st.button(
            "Ja, bestätigen",
            key="subconfirm.go",
            type="primary",
            on_click=_confirm,
            args=(form,),
            icon=":material/check:",
        )
    st.stop()

if unsubscribe_token:
    st.title("Benachrichtigung abbestellen", anchor=False)
    form = FormState("unsub")
    if form.result is not None or "unsub::result" in st.session_state:
        st.success(
            "Abbestellt. Wir haben Ihre Adresse für diese Benachrichtigung gelöscht.",
            icon=":material/check_circle:",
        )
        st.stop()
    with core.session() as s:
        what = subscriptions.describe_unsubscribe(session=s, token=unsubscribe_token)
    if what is None:
        st.info(
            "Diese Benachrichtigung ist schon abbestellt; wir schreiben Ihnen dazu nicht mehr.",
            icon=":material/check_circle:",
        )
        st.stop()
    literal(what)
    form_error(form.errors)
    st.button(
        "Abbestellen",
        key="unsub.go",
        type="primary",
        on_click=_unsubscribe,
        args=(form,),
        icon=":material/notifications_off:",
    )
    st.stop()

st.title("Über neue Termine informieren", anchor=False)
st.markdown(
    "Wir schreiben Ihnen, wenn ein neuer Termin feststeht und wenn die Anmeldung dafür öffnet "
    "– zu allen Themenfeldern oder nur zu denen, die Sie interessieren. Sonst nichts. Sie "
    "bestätigen Ihre Adresse zuerst über einen Link und können jede Mail mit einem Klick "
    "abbestellen."
)
staying_informed.news_form()
