"""Impuls-Angebote: review offers, keep internal notes, accept them onto a meeting."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, meetings, offer_review
from stammtisch.formatting import format_day
from stammtisch.models import OfferState
from stammtisch.offer_review import AcceptInput
from ui import auth, core
from ui.forms import FormState
from ui.paging import pager
from ui.render import escape_md, field_error, form_error, lazy_expander, text_block

actor = auth.require_organizer()
st.title("Impuls-Angebote", anchor=False)
st.caption("Angebote sind intern, bis sie angenommen und einem Termin zugeordnet sind.")

state = (
    st.segmented_control(
        "Zustand",
        options=[s.value for s in OfferState],
        format_func=lambda v: OfferState(v).label,
        default=OfferState.SUBMITTED.value,
        key="offers.state",
    )
    or OfferState.SUBMITTED.value
)

PAGE_SIZE = 20
ACCEPT_FIELDS = ("meeting_id", "title", "presenter", "organisation", "description")


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _count(version: str, state: str, _actor) -> int:
    return core.read(offer_review.count_offers, actor=_actor, state=state)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _offers(version: str, state: str, offset: int, _actor) -> list:
    return core.read(
        offer_review.list_offers, actor=_actor, state=state, limit=PAGE_SIZE, offset=offset
    )


version = core.cache_key()
total = _count(version, state, actor)
offset = pager(total, PAGE_SIZE, key=f"offers.{state}")
offers = _offers(version, state, offset, actor)


def _upcoming() -> dict[int, meetings.MeetingView]:
    """Open meetings an offer can be put on (read only once an accept form is open)."""
    return {m.id: m for m in core.upcoming() if not m.is_cancelled}


def message_label(name: str) -> str:
    """The label of the personal message field; the name is the visitor's, as written."""
    return f"Persönliche Nachricht an {escape_md(name)} (freiwillig, kommt in die Mail)"


def _offer_form(offer_id: int) -> FormState:
    return FormState(f"offer.{offer_id}")


def run(offer_id: int, fn, **kwargs) -> None:
    _offer_form(offer_id).call(fn, actor=actor, offer_id=offer_id, **kwargs)


def save_note(offer_id: int) -> None:
    run(offer_id, offer_review.set_note, note=st.session_state.get(f"note.{offer_id}", ""))


def accept(offer_id: int) -> None:
    key = f"accept.{offer_id}"
    run(
        offer_id,
        offer_review.accept,
        data=AcceptInput(
            meeting_id=st.session_state.get(f"{key}.meeting"),
            title=st.session_state.get(f"{key}.title", ""),
            presenter=st.session_state.get(f"{key}.presenter", ""),
            organisation=st.session_state.get(f"{key}.organisation", ""),
            description=st.session_state.get(f"{key}.description", ""),
            message=st.session_state.get(f"{key}.message", ""),
        ),
    )
    if not _offer_form(offer_id).errors:
        st.session_state["offers.accepted"] = offer_id


if st.session_state.pop("offers.accepted", None):
    st.success(
        "Angenommen – der Impuls steht jetzt beim Termin, und die Person bekommt eine Mail.",
        icon=":material/check_circle:",
    )
if not offers:
    st.info("Keine Angebote in diesem Zustand.", icon=":material/inbox:")
for offer in offers:
    offer_form = _offer_form(offer.id)
    errors = offer_form.errors
    with st.container(border=True, key=f"offer-{offer.id}"):
        wishes = []
        if offer.topic_field_name:
            wishes.append(f"Themenfeld: {offer.topic_field_name}")
        if offer.scheduled_meeting:
            wishes.append(f"Im Programm: {offer.scheduled_meeting}")
        elif offer.preferred_meeting_theme:
            wishes.append(f"Wunschtermin: {offer.preferred_meeting_theme}")
        if offer.internal_note:
            wishes.append(f"Interne Notiz: {offer.internal_note}")
        person = offer.name + (f", {offer.organisation}" if offer.organisation else "")
        text_block(
            offer.title,
            offer.description,
            f"{person} – {offer.email}",
            meta=f"Eingegangen am {format_day(offer.created_at)} · "
            f"{OfferState.label_for(offer.state)}",
            note=" · ".join(wishes) or None,
        )
        form_error(errors)
        current = OfferState(offer.state)
        cols = st.columns(2)
        allowed = current.allowed_targets()
        if OfferState.IN_DISCUSSION in allowed:
            cols[0].button(
                "In Abstimmung",
                key=f"offer.discuss.{offer.id}",
                on_click=run,
                args=(offer.id, offer_review.move),
                kwargs={"to_state": OfferState.IN_DISCUSSION},
            )
        if OfferState.DECLINED in allowed:
            decline_box = lazy_expander(
                "Ablehnen …", f"offer.decline.{offer.id}.open", open_anyway="message" in errors
            )
            if decline_box is not None:
                with decline_box:
                    st.text_area(
                        message_label(offer.name),
                        key=f"decline.{offer.id}.message",
                        max_chars=limits.PERSONAL_MESSAGE.max,
                    )
                    field_error(errors, "message")
                    st.button(
                        "Ablehnen und benachrichtigen",
                        key=f"offer.decline.{offer.id}",
                        on_click=lambda oid=offer.id: run(
                            oid,
                            offer_review.move,
                            to_state=OfferState.DECLINED,
                            message=st.session_state.get(f"decline.{oid}.message", ""),
                        ),
                    )
        note_box = lazy_expander(
            "Notiz bearbeiten" if offer.internal_note else "Notiz hinzufügen",
            f"note.{offer.id}.open",
            open_anyway="internal_note" in errors,
        )
        if note_box is not None:
            with note_box:
                st.text_area(
                    "Interne Notiz",
                    value=offer.internal_note,
                    key=f"note.{offer.id}",
                    max_chars=limits.INTERNAL_NOTE.max,
                )
                field_error(errors, "internal_note")
                st.button(
                    "Notiz speichern",
                    key=f"note.save.{offer.id}",
                    on_click=save_note,
                    args=(offer.id,),
                )
        if OfferState.ACCEPTED not in allowed:
            continue
        key = f"accept.{offer.id}"
        accept_box = lazy_expander(
            "Annehmen und einem Termin zuordnen",
            f"{key}.open",
            open_anyway=any(f in errors for f in ACCEPT_FIELDS),
        )
        if accept_box is None:
            continue
        with accept_box:
            upcoming = _upcoming()
            if not upcoming:
                st.caption("Es gibt keinen kommenden Termin. Legen Sie zuerst einen an.")
                continue
            options = list(upcoming)
            preferred = offer.preferred_meeting_id
            st.selectbox(
                "Termin",
                options=options,
                index=options.index(preferred) if preferred in options else 0,
                format_func=lambda i, u=upcoming: f"{u[i].time_label} – {u[i].theme}",
                key=f"{key}.meeting",
            )
            field_error(errors, "meeting_id")
            st.text_input("Titel", value=offer.title, key=f"{key}.title")
            field_error(errors, "title")
            st.text_input("Vortragende Person", value=offer.name, key=f"{key}.presenter")
            field_error(errors, "presenter")
            st.text_input("Organisation", value=offer.organisation or "", key=f"{key}.organisation")
            field_error(errors, "organisation")
            st.text_area(
                "Kurzbeschreibung (öffentlich)", value=offer.description, key=f"{key}.description"
            )
            field_error(errors, "description")
            st.text_area(
                message_label(offer.name),
                key=f"{key}.message",
                max_chars=limits.PERSONAL_MESSAGE.max,
            )
            field_error(errors, "message")
            st.button(
                "Annehmen", key=f"{key}.go", type="primary", on_click=accept, args=(offer.id,)
            )
