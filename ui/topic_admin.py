"""The team's forms for topic fields ("Themenfelder verwalten" and the moderation page):
one field's editor with a preview, and a suggestion turned into a new field."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, topics
from stammtisch.identity import OrganizerIdentity
from stammtisch.site import MARKUP_HELP
from stammtisch.topics import TopicFieldView
from ui import core
from ui.forms import FormState
from ui.render import bring_into_view, form_error, markup

DONE = "topics.done"


def _say(message: str) -> None:
    st.session_state[DONE] = message


def done_message() -> None:
    """What the last action did (shown once, at the top of the page, scrolled into view and
    focused: the button pressed may be far below, or gone with an archived field)."""
    if message := st.session_state.pop(DONE, None):
        with st.container(key="topics-done"):
            st.success(message, icon=":material/check_circle:")
        bring_into_view("topics-done")


def preview(name: str, description: str) -> None:
    """The field as the start page shows it."""
    with st.container(border=True):
        st.caption("Vorschau: so steht es auf der Startseite")
        with st.expander(name or "(ohne Namen)", expanded=True):
            if description.strip():
                markup(description)
            else:
                st.caption("(keine Beschreibung)")


def new_field_form(actor: OrganizerIdentity) -> None:
    """Add a field at the end of the order."""
    form = FormState("topic.new")

    def create() -> None:
        if form.call(
            topics.create_topic_field,
            actor=actor,
            name=form.value("name", ""),
            description=form.value("description", ""),
        ):
            _say(f"Themenfeld „{form.result.name}“ angelegt – es steht jetzt in allen Formularen.")
            form.set_inputs(name="", description="")

    form.field(st.text_input, "name", "Name", max_chars=limits.TOPIC_NAME.max)
    form.field(
        st.text_area,
        "description",
        "Beschreibung (freiwillig)",
        max_chars=limits.TOPIC_DESCRIPTION.max,
        help=MARKUP_HELP,
    )
    preview(form.value("name", ""), form.value("description", ""))
    form_error(form.errors)
    st.button("Themenfeld anlegen", type="primary", on_click=create, key="topic.new.save")


def edit_form(actor: OrganizerIdentity, field: TopicFieldView) -> None:
    """Rename or describe one field (its colour and history stay)."""
    form = FormState(f"topic.{field.id}")
    current = {"name": field.name, "description": field.description}
    loaded = st.session_state.setdefault(f"{form.key}::loaded", dict(current))
    for part, value in current.items():
        typed = st.session_state.get(form.widget_key(part), loaded[part])
        if typed == loaded[part] and value != loaded[part]:
            # Untouched here, changed by someone else meanwhile: show the new state.
            loaded[part] = st.session_state[form.widget_key(part)] = value
        st.session_state.setdefault(form.widget_key(part), value)

    def save() -> None:
        # A part left untouched here keeps what is stored now (another person's rename
        # is not undone by a changed description, and the other way round).
        fresh = core.read(topics.list_topic_fields)  # not this run's cache: it may be older
        now = next((tf for tf in fresh if tf.id == field.id), field)
        stored = {"name": now.name, "description": now.description}
        values = {
            part: form.value(part, "") if form.value(part, "") != loaded[part] else stored[part]
            for part in stored
        }
        if form.call(topics.update_topic_field, actor=actor, topic_field_id=field.id, **values):
            _say(f"„{form.result.name}“ gespeichert.")
            form.set_inputs(name=form.result.name, description=form.result.description)
            st.session_state.pop(f"{form.key}::loaded", None)

    form.field(st.text_input, "name", "Name", max_chars=limits.TOPIC_NAME.max)
    form.field(
        st.text_area,
        "description",
        "Beschreibung",
        max_chars=limits.TOPIC_DESCRIPTION.max,
        help=MARKUP_HELP,
    )
    preview(form.value("name", ""), form.value("description", ""))
    form_error(form.errors)
    st.button("Änderungen speichern", type="primary", on_click=save, key=f"topic.{field.id}.save")


def from_suggestion_form(actor: OrganizerIdentity, suggestion_id: int, text: str) -> None:
    """A suggestion becomes a new topic field in one step (and is filed under it)."""
    form = FormState(f"topic.from.{suggestion_id}")
    st.session_state.setdefault(form.widget_key("name"), topics.name_from_text(text))
    st.session_state.setdefault(form.widget_key("description"), text)

    def create() -> None:
        if form.call(
            topics.topic_field_from_suggestion,
            actor=actor,
            suggestion_id=suggestion_id,
            name=form.value("name", ""),
            description=form.value("description", ""),
        ):
            _say(f"Themenfeld „{form.result.name}“ angelegt; der Vorschlag steht jetzt darunter.")
            form.clear_inputs("name", "description")

    form.field(st.text_input, "name", "Name des neuen Themenfelds", max_chars=limits.TOPIC_NAME.max)
    form.field(
        st.text_area,
        "description",
        "Beschreibung",
        max_chars=limits.TOPIC_DESCRIPTION.max,
        help=MARKUP_HELP,
    )
    form_error(form.errors)
    st.button(
        "Als neues Themenfeld anlegen",
        key=f"topic.from.{suggestion_id}.save",
        on_click=create,
        icon=":material/add_circle:",
    )
