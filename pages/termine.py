"""Start page: what the series is, upcoming meetings with registration, past meetings."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import streamlit as st

from stammtisch import meetings, registrations
from stammtisch.errors import AlreadyRegistered, ValidationError
from stammtisch.formatting import format_count
from stammtisch.meetings import MeetingView
from stammtisch.models import FederalState, RegistrationState
from ui import core, layout, site_content, staying_informed
from ui.forms import FormState
from ui.paging import pager
from ui.registration import mail_sent_note, show_access, show_pending
from ui.render import (
    bring_into_view,
    escape_md,
    form_error,
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


def _submit_registration(meeting_id: int, form: FormState) -> None:
    def action():
        form.check_honeypot()
        data = registrations.RegistrationInput(
            name=form.value("name", ""),
            email=form.value("email", ""),
            organisation=form.value("organisation", ""),
            federal_state=form.value("federal_state"),
            consent=bool(form.value("consent", False)),
        )
        with core.session() as s:
            try:
                return registrations.register(
                    session=s,
                    meeting_id=meeting_id,
                    data=data,
                    now=core.now(),
                    confirmation=core.settings().confirm_registrations,
                    requester=core.requester(),
                )
            except AlreadyRegistered as exc:
                # Shown next to the e-mail field; nothing about the existing one is revealed.
                raise ValidationError({"email": exc.message}) from exc

    form.submit(action)


def _another_person(form: FormState) -> None:
    form.reset()
    form.clear_inputs("name", "email", "organisation", "federal_state", "consent")


def _registration(meeting: MeetingView) -> None:
    form = FormState(f"reg{meeting.id}")
    receipt = form.result
    if receipt is not None:
        # The confirmation (or the waitlist position) takes the form's place and the focus.
        with st.container(border=True, key=f"reg{meeting.id}-sent"):
            if receipt.is_pending:
                show_pending(receipt.email)
            else:
                show_access(
                    meeting,
                    status=receipt.status,
                    waitlist_position=receipt.waitlist_position,
                    online_link=receipt.online_link,
                    token=receipt.token,
                    key=f"reg{meeting.id}",
                )
                mail_sent_note(receipt.email)
            st.button(
                "Weitere Person anmelden",
                key=f"reg{meeting.id}.again",
                on_click=_another_person,
                args=(form,),
            )
        bring_into_view(f"reg{meeting.id}-sent")
        return
    errors = form.errors
    # Lazy: the form (and the browser code for its fields) only once someone opens it,
    # so the start page appears sooner; with errors it stays open. The label never
    # changes: Streamlit derives the expander's identity from it, so a visitor who opened
    # "Anmelden" just as the last place went saw the box snap shut under a new label (found
    # by bench/load.py). The badge, the note inside and the button say "Warteliste".
    opener = lazy_expander(
        "Anmelden", f"reg{meeting.id}.open", open_anyway=bool(errors), icon=":material/how_to_reg:"
    )
    if opener is None:
        return
    with opener:
        if meeting.is_full:
            st.info(
                f"Alle {meeting.capacity} Plätze sind vergeben. Sie können sich auf die "
                f"Warteliste setzen – Sie wären auf Position {meeting.waitlist_count + 1}.",
                icon=":material/hourglass_top:",
            )
        with st.form(key=f"reg{meeting.id}.form", border=False):
            form.field(st.text_input, "name", "Name", max_chars=120, autocomplete="name")
            form.field(
                st.text_input, "email", "E-Mail-Adresse", max_chars=254, autocomplete="email"
            )
            form.field(
                st.text_input,
                "organisation",
                "Organisation oder Initiative (freiwillig)",
                max_chars=200,
                autocomplete="organization",
            )
            form.field(
                st.selectbox,
                "federal_state",
                "Bundesland (freiwillig)",
                options=[None, *FederalState],
                format_func=lambda v: "keine Angabe" if v is None else FederalState(v).label,
            )
            form.field(
                st.checkbox,
                "consent",
                "Ich bin einverstanden, dass meine Angaben zur Organisation dieses Treffens "
                "gespeichert werden ([Datenschutzhinweise](/datenschutz)).",
            )
            form.honeypot()
            form_error(errors)
            st.form_submit_button(
                "Auf die Warteliste setzen" if meeting.is_full else "Verbindlich anmelden",
                type="primary",
                on_click=_submit_registration,
                args=(meeting.id, form),
            )


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
            _registration(meeting)
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
