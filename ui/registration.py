"""What a registered person sees: the link, the calendar file, the personal link.

Shared by the start page (right after registering) and "Meine Anmeldung" (through the
personal link). Nothing here is ever shown to anyone else.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from stammtisch import ics
from stammtisch.meetings import MeetingView
from stammtisch.models import RegistrationStatus
from ui import core
from ui.render import escape_md

MY_REGISTRATION_PATH = "meine-anmeldung"


def personal_link(token: str) -> str:
    return f"{core.base_url()}/{MY_REGISTRATION_PATH}?{urlencode({'token': token})}"


def _outbox_note() -> None:
    """Without a mail server the mails are files: say where, so the app stays usable."""
    settings = core.settings()
    if not settings.smtp_url:
        st.caption(
            "Hinweis zu dieser Installation: Es ist kein Mailserver eingerichtet. Die Mail liegt "
            f"als Datei im Ordner „{settings.outbox_dir}“ auf dem Server."
        )


def show_pending(email: str | None) -> None:
    """After the form, while the registration waits for its confirmation by e-mail.

    The same words whether the address was new or already registered (so nobody can test
    an address): the owner of a known address gets a mail with their link instead.
    """
    st.success(
        "Fast geschafft! Bitte bestätigen Sie Ihre Anmeldung über den Link, den wir an "
        f"{escape_md(email or '')} geschickt haben. Erst dann ist Ihr Platz reserviert und "
        "Sie erhalten den Zugangslink.",
        icon=":material/mark_email_unread:",
    )
    st.caption(
        "Keine Mail bekommen? Sehen Sie bitte auch im Spam-Ordner nach. Der Link gilt 48 "
        "Stunden (höchstens bis zum Beginn des Treffens)."
    )
    _outbox_note()


def mail_sent_note(email: str | None) -> None:
    """After an immediate registration (no confirmation step): the mail with everything."""
    if email:
        st.caption(f"Eine Bestätigung mit allen Angaben haben wir an {escape_md(email)} geschickt.")
    _outbox_note()


def calendar_file_name(meeting: MeetingView) -> str:
    return f"stammtisch-{meeting.starts_at.astimezone(core.now().tzinfo).date().isoformat()}.ics"


def zoom_access(online_link: str | None) -> None:
    """The Zoom link for someone with a place (or where it will appear)."""
    if online_link:
        st.markdown("**Zugangslink zum Zoom-Meeting**")
        st.link_button("Zoom-Meeting öffnen", online_link, icon=":material/videocam:")
        st.code(online_link, language=None, wrap_lines=True)
    else:
        st.info(
            "Den Zugangslink tragen wir rechtzeitig vor dem Treffen ein. Sie finden ihn dann "
            "hier über Ihren persönlichen Link, und wir schicken ihn mit der Erinnerung.",
            icon=":material/schedule:",
        )


def calendar_button(
    meeting: MeetingView, *, online_link: str | None, tentative: bool, key: str
) -> None:
    """The meeting as a calendar file: confirmed with the link, or tentative without."""
    now, page_url = core.now(), core.base_url()
    st.download_button(
        "Termin vorläufig in den Kalender (.ics)" if tentative else "Termin in den Kalender (.ics)",
        # Built when clicked, not on every rerun: the calendar file (with its time zone)
        # was 5 % of the server's time under a burst of registrations (bench/load.py).
        data=lambda: ics.meeting_ics(
            meeting, now=now, online_link=online_link, page_url=page_url, tentative=tentative
        ),
        file_name=calendar_file_name(meeting),
        mime="text/calendar",
        icon=":material/calendar_add_on:",
        key=f"{key}.ics",
        on_click="ignore",
    )


def show_access(
    meeting: MeetingView,
    *,
    status: str,
    waitlist_position: int | None,
    online_link: str | None,
    token: str | None,
    key: str,
) -> None:
    """Right after an immediate registration (installations without confirmation by mail):
    the place with its link, or the waitlist, and the personal link."""
    waiting = status == RegistrationStatus.WAITLISTED
    if waiting:
        st.warning(
            f"Das Treffen ist ausgebucht. Sie stehen auf der Warteliste auf Position "
            f"{waitlist_position}. Wird ein Platz frei, rücken Sie automatisch nach und "
            "bekommen eine Mail mit dem Zugangslink.",
            icon=":material/hourglass_top:",
        )
    else:
        st.success("Sie sind angemeldet. Wir freuen uns auf Sie!", icon=":material/check_circle:")
        zoom_access(online_link)
    calendar_button(meeting, online_link=online_link, tentative=waiting, key=key)
    if token:
        st.markdown("**Ihr persönlicher Link**")
        st.caption(
            "Über diesen Link sehen Sie Ihre Anmeldung und den Zugangslink und können sich "
            "wieder abmelden. Bitte heben Sie ihn auf und geben Sie ihn nicht weiter."
        )
        st.code(personal_link(token), language=None, wrap_lines=True)
