"""The parts of the public pages made of the team's texts, drawn by one function each:
the public pages call them with the stored texts, the team's "Seitentexte" page with the
texts being edited, so its preview is what visitors will see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from stammtisch.topics import TopicFieldView
from ui.render import literal, markup

DEFAULT_TITLE = "Strukturwandel-Stammtisch"


def about(texts: Mapping[str, str]) -> None:
    """ "Worum geht's?": the first paragraph, the others under "Mehr zum Stammtisch"."""
    paragraphs = [p for p in texts["about"].split("\n\n") if p.strip()]
    markup(paragraphs[0] if paragraphs else "")
    if len(paragraphs) > 1:
        with st.expander("Mehr zum Stammtisch"):
            markup("\n\n".join(paragraphs[1:]))


def topic_fields(
    texts: Mapping[str, str], fields: Sequence[TopicFieldView], *, links: bool = True
) -> None:
    """The fields on offer with their descriptions, and "…und mehr"."""
    markup(texts["topic_fields_intro"])
    for tf in fields:
        with st.expander(tf.name):
            markup(tf.description)
    if texts["topic_fields_more"]:
        with st.expander("…und mehr"):
            markup(texts["topic_fields_more"])
            if links:
                st.page_link(
                    "pages/themensammlung.py",
                    label="Zur Themensammlung",
                    icon=":material/lightbulb:",
                )


def contact_line(texts: Mapping[str, str]) -> str:
    return " · ".join(part for part in (texts["contact_name"], texts["contact_email"]) if part)


def footer(texts: Mapping[str, str]) -> None:
    """Address, funding note and contact, as under every page (without the login link)."""
    left, right = st.columns(2)
    with left:
        st.caption("Adresse")
        st.text(texts["address"])
    with right:
        st.caption("Förderung")
        markup(texts["funding"])
    if texts["contact_email"] or texts["contact_name"]:
        st.caption("Kontakt")
        st.text(contact_line(texts))


def privacy_responsible(texts: Mapping[str, str]) -> None:
    """ "Verantwortlich" of the privacy notice: the association and whom to ask."""
    literal(texts["address"])
    if texts["contact_name"]:
        literal(f"Ansprechperson für den Strukturwandel-Stammtisch: {texts['contact_name']}")
    if texts["privacy_contact"].strip():
        st.markdown("**Fragen zum Datenschutz**")
        markup(texts["privacy_contact"])
    elif texts["contact_email"]:
        literal(f"Fragen zum Datenschutz: {texts['contact_email']}")


def accessibility_enforcement(texts: Mapping[str, str]) -> None:
    """ "Schlichtung" of the accessibility statement, only once the team has named a place."""
    if not texts["accessibility_enforcement"].strip():
        return
    st.header("Schlichtung", anchor=False)
    st.markdown(
        "Bekommen Sie auf Ihre Meldung keine oder keine zufriedenstellende Antwort, können Sie "
        "sich hierhin wenden:"
    )
    literal(texts["accessibility_enforcement"])


def imprint(texts: Mapping[str, str]) -> None:
    """The imprint (§ 5 DDG): what is known, nothing invented."""
    st.header("Anbieter", anchor=False)
    name, address = texts["organisation"].strip(), texts["address"]
    if name and " ".join(name.split()) not in " ".join(address.split()):
        address = f"{name}\n{address}" if address else name
    literal(address)
    if texts["imprint_representatives"]:
        st.header("Vertreten durch", anchor=False)
        literal(texts["imprint_representatives"])
    if texts["imprint_register"]:
        st.header("Registereintrag", anchor=False)
        literal(texts["imprint_register"])
    st.header("Kontakt", anchor=False)
    if texts["contact_email"]:
        literal(f"E-Mail: {texts['contact_email']}")
    if texts["contact_name"]:
        literal(f"Ansprechperson für den Strukturwandel-Stammtisch: {texts['contact_name']}")
    if texts["website"]:
        st.link_button(
            texts["website"].removeprefix("https://").removeprefix("http://"),
            texts["website"],
            icon=":material/public:",
        )
    if texts["imprint_responsible"]:
        st.header("Verantwortlich für den Inhalt", anchor=False)
        literal(texts["imprint_responsible"])
    if texts["funding"]:
        st.header("Förderung", anchor=False)
        markup(texts["funding"])
