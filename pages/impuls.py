"""Selbst etwas vorstellen: visitors offer an impulse (a short talk about their project)."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, offers
from stammtisch.errors import AlreadySubmitted
from ui import core, layout
from ui.forms import FormState
from ui.render import bring_into_view, form_error, markup

FIELDS = (
    "title",
    "description",
    "name",
    "organisation",
    "email",
    "topic_field_id",
    "preferred_meeting_id",
)


def _submit(form: FormState) -> None:
    def action():
        form.check_honeypot()
        data = offers.ImpulseOfferInput(
            title=form.value("title", ""),
            description=form.value("description", ""),
            name=form.value("name", ""),
            email=form.value("email", ""),
            organisation=form.value("organisation", ""),
            topic_field_id=form.value("topic_field_id"),
            preferred_meeting_id=form.value("preferred_meeting_id"),
        )
        with core.session() as s:
            try:
                return offers.submit_impulse_offer(
                    session=s, data=data, now=core.now(), requester=core.requester()
                )
            except AlreadySubmitted as exc:  # a second click: stored once, and said so
                return exc

    form.submit(action)


def _another(form: FormState) -> None:
    """ "Noch ein Angebot": the form comes back empty."""
    form.reset()
    form.clear_inputs(*FIELDS)


def _offer_form(form: FormState) -> None:
    errors = form.errors
    with st.form("offer.form"):
        form.field(st.text_input, "title", "Titel Ihres Impulses", max_chars=limits.OFFER_TITLE.max)
        form.field(
            st.text_area,
            "description",
            "Kurze Beschreibung",
            max_chars=limits.OFFER_DESCRIPTION.max,
            placeholder="Worum geht es in Ihrem Projekt, und was möchten Sie vorstellen?",
        )
        form.field(
            st.text_input, "name", "Ihr Name", max_chars=limits.PERSON_NAME.max, autocomplete="name"
        )
        form.field(
            st.text_input,
            "organisation",
            "Organisation oder Initiative (freiwillig)",
            max_chars=limits.ORGANISATION.max,
            autocomplete="organization",
        )
        form.field(
            st.text_input,
            "email",
            "E-Mail-Adresse (für die Abstimmung mit dem Team)",
            max_chars=limits.EMAIL_ADDRESS_MAX,
            autocomplete="email",
        )
        form.field(
            st.selectbox,
            "topic_field_id",
            "Passendes Themenfeld",
            options=[None, *fields],
            format_func=lambda i: "weiß nicht" if i is None else fields[i],
        )
        form.field(
            st.selectbox,
            "preferred_meeting_id",
            "Wunschtermin (freiwillig)",
            options=[None, *upcoming],
            format_func=lambda i: (
                "egal / weiß nicht"
                if i is None
                else f"{upcoming[i].time_label} – {upcoming[i].theme}"
            ),
        )
        st.caption(
            "Ihre Angaben sehen nur die Organisator:innen ([Datenschutzhinweise](/datenschutz))."
        )
        form.honeypot()
        form_error(errors)
        st.form_submit_button("Angebot senden", type="primary", on_click=_submit, args=(form,))


url = core.cache_key()
texts = layout.texts()
fields = {tf.id: tf.name for tf in core.offered_topic_fields()}
upcoming = {m.id: m for m in core.upcoming() if not m.is_cancelled}

st.title("Selbst etwas vorstellen", anchor=False)
markup(texts["impulse_intro"])
st.caption(
    "Ein Impuls dauert etwa 10 Minuten: Sie stellen Ihr Projekt, Ihre Initiative oder Ihre "
    "Idee vor, danach sprechen wir gemeinsam darüber."
)

form = FormState("offer")
if form.result is not None and not form.errors:
    # The confirmation takes the form's place, is scrolled to and gets the focus.
    with st.container(key="offer-sent", border=True):
        if isinstance(form.result, AlreadySubmitted):
            st.info(form.result.message, icon=":material/content_copy:")
        else:
            st.success(
                "Vielen Dank für Ihr Angebot! Eine Eingangsbestätigung ist per E-Mail "
                "unterwegs. So geht es weiter: Das Team sieht es sich an und meldet sich bei "
                "Ihnen, um kurz abzustimmen, zu welchem Termin und Thema Ihr Impuls passt. "
                "Öffentlich sichtbar wird er erst, wenn wir ihn gemeinsam einem Termin "
                "zugeordnet haben.",
                icon=":material/check_circle:",
            )
        st.button("Noch ein Angebot senden", key="offer.again", on_click=_another, args=(form,))
    bring_into_view("offer-sent")
else:
    _offer_form(form)
