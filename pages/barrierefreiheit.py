"""Accessibility statement (BITV 2.0): what is accessible, what is not yet, whom to tell."""

from __future__ import annotations

import streamlit as st

from stammtisch import accessibility_text as a11y
from ui import core, layout, site_content
from ui.render import escape_md, literal

texts = layout.texts()

st.title("Erklärung zur Barrierefreiheit", anchor=False)
st.markdown(
    f"Der Strukturwandel-Stammtisch soll für alle nutzbar sein – auch mit Screenreader, nur "
    f"mit der Tastatur, mit Vergrößerung oder Farbsehschwäche. Diese Erklärung gilt für die "
    f"Web-App unter {escape_md(core.base_url())}. Maßstab ist die {a11y.STANDARD}."
)

st.header("Stand der Vereinbarkeit", anchor=False)
st.markdown(
    "Die Web-App ist mit den Anforderungen **teilweise vereinbar**. Was noch nicht "
    "barrierefrei ist und warum, steht unten."
)

st.header("Was barrierefrei ist", anchor=False)
st.markdown("\n".join(f"- {item}" for item in a11y.ACCESSIBLE))

st.header("Was noch nicht barrierefrei ist", anchor=False)
st.markdown("\n".join(f"- {item}" for item in a11y.NOT_YET_ACCESSIBLE))

st.header("Barriere melden", anchor=False)
st.markdown(
    "Ist Ihnen etwas aufgefallen, das Sie nicht nutzen können? Schreiben Sie uns bitte, auf "
    "welcher Seite und wobei es hakt. Wir antworten und schicken Ihnen die Information auf "
    "Wunsch in einer Form, die Sie nutzen können."
)
contact = [part for part in (texts["contact_name"], texts["contact_email"]) if part]
if contact:
    literal(" · ".join(contact))
literal(texts["address"])

site_content.accessibility_enforcement(texts)

st.header("Wie diese Erklärung entstanden ist", anchor=False)
st.markdown(f"{a11y.METHOD} Zuletzt überprüft am {a11y.REVIEWED}.")
