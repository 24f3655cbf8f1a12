"""Themensammlung prüfen: the moderation queue and all suggestions."""

from __future__ import annotations

import streamlit as st

from stammtisch import moderation
from stammtisch.formatting import format_day
from stammtisch.models import ModerationState, SuggestionKind
from ui import auth, core, topic_admin
from ui.forms import FormState
from ui.paging import pager
from ui.render import form_error, lazy_expander, text_block

actor = auth.require_organizer()
st.title("Themensammlung prüfen", anchor=False)
form = FormState("moderation")


DONE = {
    ModerationState.APPROVED: "Veröffentlicht – der Vorschlag steht jetzt in der Themensammlung.",
    ModerationState.REJECTED: "Abgelehnt – der Vorschlag ist nicht (mehr) öffentlich.",
}


def run(fn, **kwargs) -> None:
    """Call the service; say what happened (the item may leave the list it was in)."""
    if not form.call(fn, actor=actor, **kwargs):
        return
    if fn is moderation.merge:
        done = f"Zusammengeführt – der andere Vorschlag hat jetzt {form.result} Stimmen."
    elif fn is moderation.set_topic_field:
        done = "Themenfeld geändert."
    else:
        done = DONE[kwargs["to_state"]]
    st.session_state["mod.done"] = done


PENDING_PAGE = 10


@st.cache_data(ttl=3600, max_entries=20, show_spinner=False)
def _merge_targets(version: str, _actor) -> list:
    return core.read(moderation.list_suggestions, actor=_actor, state=ModerationState.APPROVED)


LIST_PAGE = 20

form_error(form.errors)
if done := st.session_state.pop("mod.done", None):
    st.success(done, icon=":material/check_circle:")
topic_admin.done_message()


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _count(version: str, state: str, _actor) -> int:
    return core.read(moderation.count_suggestions, actor=_actor, state=state)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _list(version: str, state: str, limit: int, offset: int, _actor) -> list:
    return core.read(
        moderation.list_suggestions, actor=_actor, state=state, limit=limit, offset=offset
    )


version = core.cache_key()
waiting = _count(version, ModerationState.PENDING, actor)
st.header(f"Wartet auf Prüfung ({waiting})", anchor=False)
offset = pager(waiting, PENDING_PAGE, key="mod.pending")
pending = _list(version, ModerationState.PENDING, PENDING_PAGE, offset, actor)
# Merge targets: the published suggestions (newest first) and the others waiting.
approved = _merge_targets(version, actor)
if not pending:
    st.success("Alles geprüft – nichts wartet.", icon=":material/done_all:")
targets = {item.id: item for item in [*approved, *pending]}
for item in pending:
    with st.container(border=True, key=f"mod-{item.id}"):
        text_block(
            item.text,
            meta=f"{SuggestionKind.label_for(item.kind)} · "
            f"{item.topic_field_name or 'ohne Themenfeld'} · {format_day(item.created_at)}",
            note=f"von {item.author_name}" if item.author_name else None,
        )
        c1, c2 = st.columns(2)
        c1.button(
            "Veröffentlichen",
            key=f"mod.approve.{item.id}",
            type="primary",
            icon=":material/check:",
            on_click=run,
            args=(moderation.decide,),
            kwargs={"suggestion_id": item.id, "to_state": ModerationState.APPROVED},
        )
        c2.button(
            "Ablehnen",
            key=f"mod.reject.{item.id}",
            icon=":material/close:",
            on_click=run,
            args=(moderation.decide,),
            kwargs={"suggestion_id": item.id, "to_state": ModerationState.REJECTED},
        )
        tools = lazy_expander(
            "Themenfeld ändern, neues Themenfeld daraus machen oder zusammenführen",
            f"mod.tools.{item.id}.open",
        )
        if tools is None:
            continue
        with tools:
            current = item.topic_field_id
            fields = core.topic_field_choices(keep=[current])
            choice = st.selectbox(
                "Themenfeld",
                options=[None, *fields],
                index=[None, *fields].index(current) if current in fields or current is None else 0,
                format_func=lambda i, names=fields: "ohne Themenfeld" if i is None else names[i],
                key=f"mod.field.{item.id}",
            )
            if choice != current:
                st.button(
                    "Themenfeld übernehmen",
                    key=f"mod.setfield.{item.id}",
                    on_click=run,
                    args=(moderation.set_topic_field,),
                    kwargs={"suggestion_id": item.id, "topic_field_id": choice},
                )
            others = [t for t in targets if t != item.id]
            if others:
                target = st.selectbox(
                    "Doppelt? Zusammenführen mit …",
                    options=[None, *others],
                    format_func=lambda i: "—" if i is None else targets[i].text[:80],
                    key=f"mod.merge.{item.id}",
                )
                if target is not None:
                    st.button(
                        "Zusammenführen (Stimmen werden addiert)",
                        key=f"mod.domerge.{item.id}",
                        on_click=run,
                        args=(moderation.merge,),
                        kwargs={"duplicate_id": item.id, "target_id": target},
                    )
            st.markdown("**Ein neues Themenfeld?** Passt der Vorschlag in keins, wird er eins:")
            topic_admin.from_suggestion_form(actor, item.id, item.text)

LIST_ACTIONS = {
    ModerationState.REJECTED: "Zurückziehen (ablehnen)",
    ModerationState.APPROVED: "Doch veröffentlichen",
}
st.header("Alle Vorschläge", anchor=False)
state = (
    st.segmented_control(
        "Zustand",
        options=[s.value for s in ModerationState],
        format_func=lambda v: ModerationState(v).label,
        default=ModerationState.APPROVED.value,
        key="mod.state",
    )
    or ModerationState.APPROVED.value
)
in_state = _count(version, state, actor)
list_offset = pager(in_state, LIST_PAGE, key=f"mod.list.{state}")
listed = _list(version, state, LIST_PAGE, list_offset, actor)
if not listed:
    st.caption("Keine Vorschläge in diesem Zustand.")
for item in listed:
    with st.container(border=True):
        text_block(
            item.text,
            meta=f"{SuggestionKind.label_for(item.kind)} · "
            f"{item.topic_field_name or 'ohne Themenfeld'} · {item.votes} Stimmen · "
            f"{format_day(item.created_at)}",
        )
        # Which moves a listed suggestion offers follows the workflow's table.
        for target, label in LIST_ACTIONS.items():
            if ModerationState(item.state).can_become(target):
                st.button(
                    label,
                    key=f"mod.to.{target.value}.{item.id}",
                    on_click=run,
                    args=(moderation.decide,),
                    kwargs={"suggestion_id": item.id, "to_state": target},
                )
