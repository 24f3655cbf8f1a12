"""Strukturwandel-Stammtisch: the router, run by ``app.py``'s ``st.App`` on every page view.

Organizer pages are added to the navigation only for a logged-in organizer, so they
are neither listed nor reachable by URL for anyone else: their addresses show the login
form instead (and, after the login, the page). Each page and every organizer service
checks the login again.
"""

from pathlib import Path

import streamlit as st

from ui import auth, core, layout

FAVICON = Path(__file__).parent / "ui" / "favicon.png"

st.set_page_config(
    page_title="Strukturwandel-Stammtisch",
    # A local file: a Material icon here would make every browser fetch it from Google.
    page_icon=str(FAVICON),
    layout="centered",
    menu_items={"Get help": None, "Report a bug": None, "About": None},
)

core.engine()  # migrate and seed an empty database before any page reads from it
core.begin_run()  # one data-version read per run keys every cached read

public = [
    st.Page("pages/termine.py", title="Termine", icon=":material/event:", default=True),
    st.Page(
        "pages/themensammlung.py",
        title="Themensammlung",
        icon=":material/lightbulb:",
        url_path="themensammlung",
    ),
    st.Page(
        "pages/impuls.py",
        title="Selbst etwas vorstellen",
        icon=":material/campaign:",
        url_path="impuls-anbieten",
    ),
    st.Page(
        "pages/benachrichtigung.py",
        title="Per E-Mail informiert bleiben",
        icon=":material/notifications:",
        url_path="benachrichtigung",
    ),
]
legal = [
    st.Page(
        "pages/datenschutz.py",
        title="Datenschutz",
        icon=":material/shield:",
        url_path="datenschutz",
    ),
    st.Page("pages/impressum.py", title="Impressum", icon=":material/info:", url_path="impressum"),
    st.Page(
        "pages/barrierefreiheit.py",
        title="Barrierefreiheit",
        icon=":material/accessibility_new:",
        url_path="barrierefreiheit",
    ),
]
hidden = [
    # Reached only through the personal link in the registration confirmation.
    st.Page(
        "pages/meine_anmeldung.py",
        title="Meine Anmeldung",
        icon=":material/badge:",
        url_path="meine-anmeldung",
        visibility="hidden",
    ),
    # Reached only through the one-time link a new or reset team account gets by mail.
    st.Page(
        "pages/passwort.py",
        title="Passwort festlegen",
        icon=":material/password:",
        url_path="passwort-festlegen",
        visibility="hidden",
    ),
]

organizer = auth.current_organizer()
auth.cookie_script()  # sets or clears the login cookie after a login or logout
pages = {"Stammtisch": public, "Rechtliches": legal}
if organizer is None:
    hidden.append(
        st.Page(
            "pages/login.py",
            title="Anmeldung Team",
            icon=":material/login:",
            url_path="login",
            visibility="hidden",
        )
    )
    hidden.extend(layout.team_page_gates())
else:
    pages["Team"] = layout.organizer_pages()
pages[""] = hidden

nav = st.navigation(pages, expanded=True)
# Long German page titles ("Themensammlung") must not break mid-word on a phone; the
# public forms' honeypot fields stay out of sight and out of the tab order (people never
# fill them in; see ui.forms.FormState.honeypot).
st.html(
    "<style>@media (max-width: 640px) {"
    " h1 { font-size: 2rem !important; } h2 { font-size: 1.5rem !important; }"
    " h3 { font-size: 1.25rem !important; } }"
    ' [class*="st-key-honeypot-"] { display: none !important; }'
    " .st-key-team-cookie { display: none; }</style>"
)
layout.sidebar(organizer)
nav.run()
layout.footer(organizer)
