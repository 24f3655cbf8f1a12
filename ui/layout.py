"""Parts every page shares: the sidebar and the footer."""

from __future__ import annotations

import streamlit as st

from stammtisch import demo, mail
from stammtisch.formatting import format_day, format_time
from stammtisch.models import MailStatus
from stammtisch.organizers import OrganizerIdentity
from stammtisch.site import missing_imprint_fields, site_texts
from stammtisch.suggestions import count_pending
from ui import core, site_content
from ui.account import login_gate


def texts() -> dict[str, str]:
    return core.shared("site_texts", site_texts)


ORGANIZER_PAGES = (
    ("pages/orga_dashboard.py", "Auswertung", ":material/insights:", "team-auswertung"),
    ("pages/orga_planung.py", "Themenplanung", ":material/lightbulb_circle:", "team-planung"),
    ("pages/orga_termine.py", "Termine verwalten", ":material/edit_calendar:", "team-termine"),
    (
        "pages/orga_moderation.py",
        "Themensammlung prüfen",
        ":material/fact_check:",
        "team-moderation",
    ),
    ("pages/orga_impulse.py", "Impuls-Angebote", ":material/campaign:", "team-impulse"),
    (
        "pages/orga_anmeldungen.py",
        "Anmeldungen & Teilnahme",
        ":material/groups:",
        "team-anmeldungen",
    ),
    (
        "pages/orga_themenfelder.py",
        "Themenfelder verwalten",
        ":material/category:",
        "team-themenfelder",
    ),
    ("pages/orga_texte.py", "Seitentexte", ":material/edit_note:", "team-seitentexte"),
    (
        "pages/orga_datenschutz.py",
        "Datenschutz & Löschung",
        ":material/privacy_tip:",
        "team-datenschutz",
    ),
    ("pages/orga_postausgang.py", "Postausgang", ":material/outbox:", "team-postausgang"),
    ("pages/orga_team.py", "Team-Konten", ":material/manage_accounts:", "team-konten"),
    ("pages/orga_protokoll.py", "Änderungsprotokoll", ":material/history:", "team-protokoll"),
    ("pages/login.py", "Mein Konto", ":material/account_circle:", "login"),
)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _is_demo(url: str) -> bool:
    return demo.is_demo(core.engine())


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _pending(url: str) -> int:
    return core.read(count_pending)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _failed_mails(url: str) -> int:
    # A mail's final failure bumps the data version, so this stays true across processes.
    return core.read(mail.status_counts)[MailStatus.FAILED]


def organizer_pages() -> list:
    """The organizer section of the navigation; moderation and outbox show what waits."""
    version = core.cache_key()
    badges = {
        "orga_moderation.py": _pending(version),
        "orga_postausgang.py": _failed_mails(version),
    }
    pages = []
    for path, title, icon, url_path in ORGANIZER_PAGES:
        count = badges.get(path.rsplit("/", 1)[-1])
        if count:
            title = (
                f"{title} ({count} fehlgeschlagen)"
                if "postausgang" in path
                else f"{title} ({count})"
            )
        pages.append(st.Page(path, title=title, icon=icon, url_path=url_path))
    return pages


def team_page_gates() -> list:
    """For a visitor who is not logged in: every team page's address shows the login form
    (hidden from the navigation; nothing of the page itself), so a link from a mail or a
    tab whose login ended leads to the login, and after it to the page."""
    return [
        st.Page(
            login_gate,
            title="Anmeldung Team",
            icon=":material/login:",
            url_path=url_path,
            visibility="hidden",
        )
        for path, _title, _icon, url_path in ORGANIZER_PAGES
        if path != "pages/login.py"
    ]


def sidebar(organizer: OrganizerIdentity | None = None) -> None:
    t = texts()
    with st.sidebar:
        if organizer is not None:
            st.caption(f"Angemeldet als {organizer.display_name}")
            imprint_warning(t, where="sidebar")
        st.caption(t["organisation"])
        if _is_demo(core.cache_key()):
            st.warning(
                "Demo-Daten: Diese Instanz zeigt eine erfundene Geschichte der Reihe, "
                "keine echten Anmeldungen.",
                icon=":material/science:",
            )
        if core.settings().now:
            # Demos and tests pin the clock; say so, so nobody mistakes it for today.
            moment = core.now()
            st.info(
                f"Die App zeigt den Stand vom {format_day(moment)}, {format_time(moment)} Uhr.",
                icon=":material/schedule:",
            )


def imprint_warning(t: dict[str, str] | None = None, *, where: str = "page") -> None:
    """What the imprint still lacks, for the team (sidebar and the team's first pages),
    with the way to "Seitentexte"; nothing when it is complete. Never invented: the team
    fills it in."""
    missing = missing_imprint_fields(t if t is not None else texts())
    if not missing:
        return
    st.warning(
        "Im Impressum fehlt noch: "
        + ", ".join(missing)
        + ("." if where == "sidebar" else ". Das Impressum ist gesetzlich vorgeschrieben."),
        icon=":material/gavel:",
    )
    st.page_link("pages/orga_texte.py", label="Impressum ergänzen", icon=":material/edit_note:")


def footer(organizer: OrganizerIdentity | None = None) -> None:
    t = texts()
    st.divider()
    site_content.footer(t)
    # What BITV and the imprint rules expect on every page: the legal pages, one click away.
    links = st.columns(4 if organizer is None else 3)
    for column, (path, label) in zip(links, LEGAL_LINKS, strict=False):
        column.page_link(path, label=label)
    if organizer is None:
        links[3].page_link("pages/login.py", label="Team-Login", icon=":material/lock:")
    st.caption(t["copyright"])


LEGAL_LINKS = (
    ("pages/datenschutz.py", "Datenschutz"),
    ("pages/impressum.py", "Impressum"),
    ("pages/barrierefreiheit.py", "Barrierefreiheit"),
)
