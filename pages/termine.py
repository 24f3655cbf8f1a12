"""Start page: what the series is, upcoming meetings with registration, past meetings."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import streamlit as st

from stammtisch import meetings
from stammtisch.formatting import format_count
from stammtisch.meetings import MeetingView
from stammtisch.models import RegistrationState
from ui import core, layout, site_content, staying_informed
from ui.paging import pager
from ui.registration_form import registration_form
from ui.render import (
    escape_md,
    lazy_expander,
    md_literal,
    md_small,
)

PAST_CARDS = 6  # shown as cards; older ones as short lines, a page at a time
OLDER_PAGE = 20
URL_SAFE = ":/?#@!$&'*+,;=%~"  # everything else (spaces, brackets) is percent-encoded


def _past(now_key: str, offset: int, limit: int) -> list[MeetingView]:
    return core.shared(
        "past",
        meetings.list_past,
        now_key,
        offset,
        limit,
        now=datetime.fromisoformat(now_key),
        offset=offset,
        limit=limit,
    )


def _past_count(now_key: str) -> int:
    return core.shared(
        "past_count", meetings.count_past, now_key, now=datetime.fromisoformat(now_key)
    )


def _status_badge(meeting: MeetingView, now: datetime) -> str:
    """The meeting's registration state as a Markdown badge."""
    if meeting.is_cancelled:
        return ":red-badge[:material/event_busy: Abgesagt]"
    if meeting.accepts_registrations(now):
        if meeting.is_full:
            return ":orange-badge[:material/hourglass_top: Ausgebucht – Warteliste offen]"
        return ":green-badge[:material/how_to_reg: Anmeldung offen]"
    if meeting.registration_state == RegistrationState.NOT_OPEN:
        return ":gray-badge[:material/schedule: Anmeldung bald möglich]"
    return ":gray-badge[:material/lock: Anmeldung geschlossen]"


def _meeting_card(meeting: MeetingView, *, now: datetime, past: bool) -> None:
    # One Markdown block for everything below the heading: a card is then four elements
    # instead of a dozen, which keeps the page quick with many meetings.
    label = "Themenfelder" if len(meeting.topic_fields) > 1 else "Themenfeld"
    body = [md_small(f"{label}: {' · '.join(meeting.topic_fields)}")]
    if not past:
        body.append(_status_badge(meeting, now))
    if meeting.description:
        body.append(md_literal(meeting.description))
    if meeting.impulses:
        items = []
        for impulse in meeting.impulses:
            who = impulse.presenter + (f" ({impulse.organisation})" if impulse.organisation else "")
            items.append(f"- {md_literal(impulse.title)} – {md_literal(who)}")
        body.append("**Impulse**\n\n" + "\n".join(items))
    elif not past and not meeting.is_cancelled:
        body.append(md_small("Impulse werden noch gesammelt – bei Interesse gerne melden!"))
    if past and (meeting.documentation_url or meeting.documentation_text):
        docs = "**Dokumentation**"
        if meeting.documentation_text:
            docs += "  \n" + md_literal(meeting.documentation_text)
        body.append(docs)
    with st.container(border=True, key=f"meeting-{meeting.id}"):
        st.markdown(f"**{escape_md(meeting.time_label)}**")
        st.subheader(f"Thema: {escape_md(meeting.theme)}", anchor=False)
        st.markdown("\n\n".join(body))
        if not meeting.impulses and not past and not meeting.is_cancelled:
            st.page_link(
                "pages/impuls.py", label="Selbst einen Impuls anbieten", icon=":material/campaign:"
            )
        if past and meeting.documentation_url:
            st.link_button(
                "Dokumentation öffnen", meeting.documentation_url, icon=":material/description:"
            )
        if not past and meeting.accepts_registrations(now):
            registration_form(meeting)
        elif (
            not past
            and not meeting.is_cancelled
            and meeting.registration_state == RegistrationState.NOT_OPEN
        ):
            staying_informed.notify_when_open(meeting)


now = core.now()
key = core.now_key(now)
texts = layout.texts()

st.title(texts["title"] or site_content.DEFAULT_TITLE, anchor=False)
st.header("Worum geht's?", anchor=False)
site_content.about(texts)

st.header("Nächste Termine", anchor=False)
upcoming = core.upcoming()
if not upcoming:
    st.info(
        "Zurzeit ist kein Treffen geplant. Die nächsten Termine stehen hier, sobald sie "
        "feststehen. Welches Thema sollte als Nächstes dran sein? Schreiben Sie es in die "
        "Themensammlung!",
        icon=":material/event_upcoming:",
    )
    st.page_link("pages/themensammlung.py", label="Zur Themensammlung", icon=":material/lightbulb:")
for m in upcoming:
    _meeting_card(m, now=now, past=False)
calendar_box = (
    lazy_expander(
        "Alle Termine im eigenen Kalender abonnieren",
        "calendar.open",
        icon=":material/calendar_month:",
    )
    if upcoming
    else None
)
if calendar_box is not None:
    with calendar_box:
        st.caption(
            "Diese Adresse in Outlook, Thunderbird oder im Kalender des Telefons als "
            "Internetkalender (Abonnement) hinzufügen. Neue Termine erscheinen dann von selbst; "
            "den Zoom-Link gibt es weiterhin nur nach der Anmeldung."
        )
        st.code(f"{core.base_url()}/kalender.ics", language=None, wrap_lines=True)
st.page_link(
    "pages/benachrichtigung.py",
    label="Per E-Mail über neue Termine informiert bleiben",
    icon=":material/notifications:",
)
if upcoming:
    staying_informed.lost_link()

st.header("Themenfelder", anchor=False)
site_content.topic_fields(texts, core.offered_topic_fields())

st.header("Vergangene Termine", anchor=False)
past_total = _past_count(key)
if not past_total:
    st.caption("Noch keine vergangenen Termine.")
for m in _past(key, 0, PAST_CARDS):
    _meeting_card(m, now=now, past=True)
if past_total > PAST_CARDS:
    older_box = lazy_expander(
        f"Ältere Termine ({format_count(past_total - PAST_CARDS)})", "past.open"
    )
    if older_box is not None:
        with older_box:
            older = pager(past_total - PAST_CARDS, OLDER_PAGE, key="past")
            lines = []
            for m in _past(key, PAST_CARDS + older, OLDER_PAGE):
                line = f"- **{escape_md(m.time_label)}** – {md_literal(m.theme)}"
                if m.documentation_url:
                    line += f" · [Dokumentation](<{quote(m.documentation_url, safe=URL_SAFE)}>)"
                lines.append(line)
            st.markdown("\n".join(lines))
