"""Themenfelder verwalten: add, rename, describe, reorder, archive; a suggestion becomes
a field. A used field is archived, never deleted; its colour stays with it."""

from __future__ import annotations

from html import escape

import streamlit as st

from stammtisch import moderation, topics
from stammtisch.models import ModerationState
from stammtisch.topics import TopicFieldUsage
from ui import auth, core, topic_admin
from ui.charts import topic_colour
from ui.forms import FormState, confirm_button
from ui.render import form_error, lazy_expander

actor = auth.require_organizer()
st.title("Themenfelder verwalten", anchor=False)
st.caption(
    "Die Themenfelder stehen auf der Startseite, in der Themensammlung, beim Impuls-Angebot "
    "und in jedem Termin. Umbenennen behält die Farbe in allen Diagrammen und die "
    "Geschichte; ein Feld, an dem Treffen, Vorschläge oder Angebote hängen, wird archiviert "
    "statt gelöscht – die Auswertung zeigt es weiter, neue Formulare bieten es nicht mehr an."
)


@st.cache_data(ttl=3600, max_entries=20, show_spinner=False)
def _usage(version: str) -> dict[int, TopicFieldUsage]:
    return core.read(topics.usage)


@st.cache_data(ttl=3600, max_entries=20, show_spinner=False)
def _suggestions(version: str, _actor) -> list:
    """Suggestions that could become a field: waiting ones first, then published ones."""
    return [
        *core.read(moderation.list_suggestions, actor=_actor, state=ModerationState.PENDING),
        *core.read(
            moderation.list_suggestions, actor=_actor, state=ModerationState.APPROVED, limit=100
        ),
    ]


form = FormState("topics")


def act(fn, message: str, **kwargs) -> None:
    st.session_state["topics.at"] = kwargs.get("topic_field_id")
    if form.call(fn, actor=actor, **kwargs):
        st.session_state[topic_admin.DONE] = message


def errors_here(field_id: int) -> None:
    """A refusal right at the field it concerns (the page keeps its scroll position)."""
    if st.session_state.get("topics.at") != field_id:
        return
    for message in form.errors.values():
        st.error(message, icon=":material/error:")


version = core.cache_key()
fields = core.topic_fields()
usage = _usage(version)
offered = [tf for tf in fields if not tf.archived]
archived = [tf for tf in fields if tf.archived]

topic_admin.done_message()
if st.session_state.get("topics.at") not in {tf.id for tf in fields}:
    form_error(form.errors)  # the field is gone meanwhile


def heading(tf, used: TopicFieldUsage) -> None:
    """Name with the field's chart colour, and what uses it."""
    st.markdown(
        f'<span style="color:{topic_colour(tf)};font-size:1.3em" aria-hidden="true">●</span> '
        f"<strong>{escape(tf.name)}</strong>",
        unsafe_allow_html=True,
    )
    st.caption(f"Verwendet: {used.label()}")


st.header(f"Zur Auswahl ({len(offered)})", anchor=False)
for index, tf in enumerate(offered):
    used = usage.get(tf.id, TopicFieldUsage())
    with st.container(border=True, key=f"topic-{tf.id}"):
        heading(tf, used)
        row = st.container(horizontal=True)
        row.button(
            "Nach oben",
            key=f"topic.up.{tf.id}",
            icon=":material/arrow_upward:",
            disabled=index == 0,
            on_click=act,
            args=(topics.move_topic_field, "Reihenfolge geändert."),
            kwargs={"topic_field_id": tf.id, "step": -1},
        )
        row.button(
            "Nach unten",
            key=f"topic.down.{tf.id}",
            icon=":material/arrow_downward:",
            disabled=index == len(offered) - 1,
            on_click=act,
            args=(topics.move_topic_field, "Reihenfolge geändert."),
            kwargs={"topic_field_id": tf.id, "step": 1},
        )
        if used.used:
            confirm_button(
                "Archivieren",
                key=f"topic.archive.{tf.id}",
                question=f"„{tf.name}“ archivieren? Seine {used.label()} behalten es, die "
                "Auswertung zeigt es weiter; neue Formulare bieten es nicht mehr an. "
                "Wiederherstellen geht jederzeit.",
                yes="Ja, archivieren",
                icon=":material/archive:",
                action=act,
                args=(
                    topics.archive_topic_field,
                    f"„{tf.name}“ archiviert – neue Formulare bieten es nicht mehr an.",
                ),
                kwargs={"topic_field_id": tf.id},
                row=row,
            )
        else:
            confirm_button(
                "Löschen",
                key=f"topic.delete.{tf.id}",
                question=f"„{tf.name}“ löschen? Es wird noch nirgends verwendet.",
                yes="Ja, löschen",
                icon=":material/delete:",
                action=act,
                args=(topics.delete_topic_field, f"„{tf.name}“ gelöscht."),
                kwargs={"topic_field_id": tf.id},
                row=row,
            )
        errors_here(tf.id)
        box = lazy_expander("Umbenennen und beschreiben", f"topic.edit.{tf.id}.open")
        if box is not None:
            with box:
                topic_admin.edit_form(actor, tf)

st.header("Neues Themenfeld", anchor=False)
new_box = lazy_expander("Themenfeld anlegen", "topic.new.open", icon=":material/add:")
if new_box is not None:
    with new_box:
        topic_admin.new_field_form(actor)
from_box = lazy_expander(
    "Aus einem Vorschlag der Themensammlung", "topic.from.open", icon=":material/lightbulb:"
)
if from_box is not None:
    with from_box:
        candidates = {item.id: item for item in _suggestions(version, actor)}
        if not candidates:
            st.caption("Keine wartenden oder veröffentlichten Vorschläge.")
        else:
            chosen = st.selectbox(
                "Vorschlag",
                options=list(candidates),
                format_func=lambda i: (
                    f"{ModerationState.label_for(candidates[i].state)}: {candidates[i].text[:90]}"
                ),
                key="topic.from.choice",
            )
            topic_admin.from_suggestion_form(actor, chosen, candidates[chosen].text)

st.header(f"Archiviert ({len(archived)})", anchor=False)
if not archived:
    st.caption("Kein Themenfeld ist archiviert.")
for tf in archived:
    used = usage.get(tf.id, TopicFieldUsage())
    with st.container(border=True, key=f"topic-{tf.id}"):
        heading(tf, used)
        row = st.container(horizontal=True)
        row.button(
            "Wieder zur Auswahl stellen",
            key=f"topic.restore.{tf.id}",
            icon=":material/unarchive:",
            on_click=act,
            args=(topics.restore_topic_field, f"„{tf.name}“ steht wieder zur Auswahl."),
            kwargs={"topic_field_id": tf.id},
        )
        if not used.used:
            confirm_button(
                "Löschen",
                key=f"topic.delete.{tf.id}",
                question=f"„{tf.name}“ endgültig löschen?",
                yes="Ja, löschen",
                icon=":material/delete:",
                action=act,
                args=(topics.delete_topic_field, f"„{tf.name}“ gelöscht."),
                kwargs={"topic_field_id": tf.id},
                row=row,
            )
        errors_here(tf.id)
