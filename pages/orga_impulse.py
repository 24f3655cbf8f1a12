"""Impuls-Angebote: review offers, keep internal notes, accept them onto a meeting."""

from __future__ import annotations

import streamlit as st

from stammtisch import meetings, offer_review
from stammtisch.formatting import format_day
from stammtisch.models import OfferState
from stammtisch.offer_review import OFFER_STATE_LABELS, AcceptInput
from ui import auth, core
from ui.forms import FormState
from ui.paging import pager
from ui.render import field_error, form_error, literal

actor = auth.require_organizer()
st.title("Impuls-Angebote")
st.caption("Angebote sind intern, bis sie angenommen und einem Termin zugeordnet sind.")
form = FormState("offers")

state = (
    st.segmented_control(
        "Zustand",
        options=[s.value for s in OfferState],
        format_func=lambda v: OFFER_STATE_LABELS[OfferState(v)],
        default=OfferState.SUBMITTED.value,
        key="offers.state",
    )
    or OfferState.SUBMITTED.value
)

PAGE_SIZE = 20
with core.session() as s:
    total = offer_review.count_offers(session=s, actor=actor, state=state)
offset = pager(total, PAGE_SIZE, key=f"offers.{state}")
with core.session() as s:
    offers = offer_review.list_offers(
        session=s, actor=actor, state=state, limit=PAGE_SIZE, offset=offset
    )
    upcoming = {
        m.id: m for m in meetings.list_upcoming(session=s, now=core.now()) if not m.is_cancelled
    }


def run(fn, **kwargs) -> None:
    form.call(fn, actor=actor, **kwargs)


def accept(offer_id: int) -> None:
    key = f"accept.{offer_id}"
    run(
        offer_review.accept,
        offer_id=offer_id,
        data=AcceptInput(
            meeting_id=st.session_state.get(f"{key}.meeting"),
            title=st.session_state.get(f"{key}.title", ""),
            presenter=st.session_state.get(f"{key}.presenter", ""),
            organisation=st.session_state.get(f"{key}.organisation", ""),
            description=st.session_state.get(f"{key}.description", ""),
        ),
    )
    if not form.errors:
        st.session_state["offers.accepted"] = offer_id


if st.session_state.pop("offers.accepted", None):
    st.success("Angenommen – der Impuls steht jetzt beim Termin.", icon=":material/check_circle:")
errors = form.errors
form_error(errors)
if not offers:
    st.info("Keine Angebote in diesem Zustand.", icon=":material/inbox:")
for offer in offers:
    with st.container(border=True, key=f"offer-{offer.id}"):
        st.caption(
            f"Eingegangen am {format_day(offer.created_at)} · "
            f"{OFFER_STATE_LABELS[OfferState(offer.state)]}"
        )
        literal(offer.title)
        literal(offer.description)
        person = offer.name + (f", {offer.organisation}" if offer.organisation else "")
        literal(f"{person} – {offer.email}")
        wishes = []
        if offer.topic_field_name:
            wishes.append(f"Themenfeld: {offer.topic_field_name}")
        if offer.preferred_meeting_theme:
            wishes.append(f"Wunschtermin: {offer.preferred_meeting_theme}")
        if wishes:
            st.caption(" · ".join(wishes))
        note_key = f"note.{offer.id}"
        st.text_area("Interne Notiz", value=offer.internal_note, key=note_key, max_chars=5000)
        st.button(
            "Notiz speichern",
            key=f"note.save.{offer.id}",
            on_click=lambda o=offer.id: run(
                offer_review.set_note, offer_id=o, note=st.session_state.get(f"note.{o}", "")
            ),
        )
        current = OfferState(offer.state)
        cols = st.columns(2)
        if current in (OfferState.SUBMITTED, OfferState.DECLINED):
            cols[0].button(
                "In Abstimmung",
                key=f"offer.discuss.{offer.id}",
                on_click=run,
                args=(offer_review.move,),
                kwargs={"offer_id": offer.id, "to_state": OfferState.IN_DISCUSSION},
            )
        if current in (OfferState.SUBMITTED, OfferState.IN_DISCUSSION):
            cols[1].button(
                "Ablehnen",
                key=f"offer.decline.{offer.id}",
                on_click=run,
                args=(offer_review.move,),
                kwargs={"offer_id": offer.id, "to_state": OfferState.DECLINED},
            )
            with st.expander("Annehmen und einem Termin zuordnen"):
                key = f"accept.{offer.id}"
                if not upcoming:
                    st.caption("Es gibt keinen kommenden Termin. Legen Sie zuerst einen an.")
                else:
                    options = list(upcoming)
                    preferred = offer.preferred_meeting_id
                    st.selectbox(
                        "Termin",
                        options=options,
                        index=options.index(preferred) if preferred in options else 0,
                        format_func=lambda i: f"{upcoming[i].time_label} – {upcoming[i].theme}",
                        key=f"{key}.meeting",
                    )
                    field_error(errors, "meeting_id")
                    st.text_input("Titel", value=offer.title, key=f"{key}.title")
                    field_error(errors, "title")
                    st.text_input("Vortragende Person", value=offer.name, key=f"{key}.presenter")
                    field_error(errors, "presenter")
                    st.text_input(
                        "Organisation", value=offer.organisation or "", key=f"{key}.organisation"
                    )
                    st.text_area(
                        "Kurzbeschreibung (öffentlich)",
                        value=offer.description,
                        key=f"{key}.description",
                    )
                    st.button(
                        "Annehmen",
                        key=f"{key}.go",
                        type="primary",
                        on_click=accept,
                        args=(offer.id,),
                    )
