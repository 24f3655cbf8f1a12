"""Start page: what the series is, upcoming and past meetings, the topic fields."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from stammtisch import meetings, topics
from stammtisch.meetings import MeetingView
from stammtisch.models import RegistrationState
from ui import core, layout
from ui.render import escape_md, literal


@st.cache_data(ttl=60, show_spinner=False)
def _upcoming(url: str, now_key: str) -> list[MeetingView]:
    return core.read(meetings.list_upcoming, now=datetime.fromisoformat(now_key))


@st.cache_data(ttl=60, show_spinner=False)
def _past(url: str, now_key: str) -> list[MeetingView]:
    return core.read(meetings.list_past, now=datetime.fromisoformat(now_key))


@st.cache_data(ttl=300, show_spinner=False)
def _topic_fields(url: str) -> list[topics.TopicFieldView]:
    return core.read(topics.list_topic_fields)


def _registration_line(meeting: MeetingView) -> None:
    now = core.now()
    if meeting.is_cancelled:
        st.badge("Abgesagt", icon=":material/event_busy:", color="red")
    elif meeting.accepts_registrations(now):
        if meeting.is_full:
            st.badge(
                "Ausgebucht – Warteliste offen", icon=":material/hourglass_top:", color="orange"
            )
        else:
            st.badge("Anmeldung offen", icon=":material/how_to_reg:", color="green")
    elif meeting.registration_state == RegistrationState.NOT_OPEN:
        st.badge("Anmeldung bald möglich", icon=":material/schedule:", color="gray")
    else:
        st.badge("Anmeldung geschlossen", icon=":material/lock:", color="gray")


def _meeting_card(meeting: MeetingView, *, past: bool) -> None:
    with st.container(border=True):
        st.markdown(f"**{escape_md(meeting.time_label)}**")
        st.subheader(f"Thema: {escape_md(meeting.theme)}", anchor=False)
        st.caption("Themenfeld: " + escape_md(" · ".join(meeting.topic_fields)))
        if not past:
            _registration_line(meeting)
        literal(meeting.description)
        if meeting.impulses:
            st.markdown("**Impulse**")
            for impulse in meeting.impulses:
                who = impulse.presenter + (
                    f" ({impulse.organisation})" if impulse.organisation else ""
                )
                literal(f"• {impulse.title} – {who}")
        elif not past and not meeting.is_cancelled:
            st.caption("Impulse werden noch gesammelt – bei Interesse gerne melden!")
        if past and (meeting.documentation_url or meeting.documentation_text):
            st.markdown("**Dokumentation**")
            literal(meeting.documentation_text)
            if meeting.documentation_url:
                st.link_button(
                    "Dokumentation öffnen", meeting.documentation_url, icon=":material/description:"
                )


url = core.settings().database_url
key = core.now_key()
texts = layout.texts()

st.title(texts["title"] or "Strukturwandel-Stammtisch")
st.header("Worum geht's?", anchor=False)
literal(texts["about"])

st.header("Nächste Termine", anchor=False)
upcoming = _upcoming(url, key)
if not upcoming:
    st.info(
        "Zurzeit ist kein Treffen geplant. Die nächsten Termine stehen hier, sobald sie "
        "feststehen – Themenvorschläge sind jederzeit willkommen!",
        icon=":material/event_upcoming:",
    )
for m in upcoming:
    _meeting_card(m, past=False)

st.header("Themenfelder", anchor=False)
literal(texts["topic_fields_intro"])
for tf in _topic_fields(url):
    with st.expander(tf.name):
        literal(tf.description)
if texts["topic_fields_more"]:
    with st.expander("…und mehr"):
        literal(texts["topic_fields_more"])

st.header("Vergangene Termine", anchor=False)
past_meetings = _past(url, key)
if not past_meetings:
    st.caption("Noch keine vergangenen Termine.")
for m in past_meetings:
    _meeting_card(m, past=True)
