"""The team's editor of the page texts ("Seitentexte"): one area at a time, every text
checked by its kind, and a live preview drawn by the very functions the public pages use
(``ui/site_content.py``), from the texts as typed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

from stammtisch import site
from stammtisch.identity import OrganizerIdentity
from stammtisch.site import EMAIL, LINE, MARKUP, TEXT_SPECS, URL
from ui import core, site_content
from ui.forms import FormState
from ui.render import form_error, markup


def _start(texts: Mapping[str, str]) -> None:
    st.header(texts["title"] or site_content.DEFAULT_TITLE, anchor=False)
    st.subheader("Worum geht's?", anchor=False)
    site_content.about(texts)
    st.subheader("Themenfelder", anchor=False)
    site_content.topic_fields(texts, core.offered_topic_fields(), links=False)


def _forms(texts: Mapping[str, str]) -> None:
    st.header("Themensammlung", anchor=False)
    markup(texts["suggestions_intro"])
    st.header("Selbst etwas vorstellen", anchor=False)
    markup(texts["impulse_intro"])


def _footer(texts: Mapping[str, str]) -> None:
    site_content.footer(texts)
    st.caption(texts["copyright"])


def _privacy(texts: Mapping[str, str]) -> None:
    # Headings one level below the page title, as on the public pages (no skipped level).
    st.header("Verantwortlich", anchor=False)
    site_content.privacy_responsible(texts)
    site_content.accessibility_enforcement(texts)  # "Schlichtung", once it is set


@dataclass(frozen=True)
class Area:
    title: str
    keys: tuple[str, ...]
    preview: Callable[[Mapping[str, str]], None]
    note: str = ""


AREAS = {
    "start": Area(
        "Startseite", ("title", "about", "topic_fields_intro", "topic_fields_more"), _start
    ),
    "forms": Area("Themensammlung & Impulse", ("suggestions_intro", "impulse_intro"), _forms),
    "footer": Area(
        "Fußzeile",
        ("funding", "contact_name", "copyright"),
        _footer,
        "Anschrift und Kontakt-E-Mail der Fußzeile stehen unter „Impressum“.",
    ),
    "privacy": Area(
        "Datenschutz & Barrierefreiheit",
        ("privacy_contact", "accessibility_enforcement"),
        _privacy,
    ),
    "imprint": Area(
        "Impressum",
        (
            "organisation",
            "address",
            "contact_email",
            "website",
            "imprint_representatives",
            "imprint_register",
            "imprint_responsible",
        ),
        site_content.imprint,
        "Pflichtangaben nach § 5 DDG: Name und Anschrift des Vereins, E-Mail-Adresse, "
        "vertretungsberechtigte Personen, Registergericht und -nummer; dazu die für den "
        "Inhalt verantwortliche Person. Fehlt etwas, wird trotzdem gespeichert – das Team "
        "sieht dann einen Hinweis, bis es ergänzt ist.",
    ),
}


def _widget(form: FormState, key: str) -> None:
    spec = TEXT_SPECS[key]
    help_text = " ".join(part for part in (spec.help, site.MARKUP_HELP) if part)
    if spec.kind != MARKUP:
        help_text = spec.help or None
    if spec.kind in (LINE, EMAIL, URL):
        form.field(st.text_input, key, spec.label, max_chars=spec.max, help=help_text)
    else:
        height = 240 if spec.max >= 5000 else 120
        form.field(st.text_area, key, spec.label, max_chars=spec.max, help=help_text, height=height)


def editor(actor: OrganizerIdentity, stored: Mapping[str, str], area_key: str) -> None:
    """The texts of one area, their preview and the warnings, with save and discard."""
    area = AREAS[area_key]
    form = FormState(f"texts.{area_key}")
    loaded_key = f"texts.{area_key}::loaded"
    if loaded_key not in st.session_state:
        st.session_state[loaded_key] = {key: stored[key] for key in area.keys}
        for key in area.keys:
            st.session_state[form.widget_key(key)] = stored[key]
    loaded = st.session_state[loaded_key]

    def save() -> None:
        values = {key: form.value(key, "") for key in area.keys}
        if form.call(site.set_texts, actor=actor, values=values, expected=loaded):
            _forget(area_key, form)

    def discard() -> None:
        _forget(area_key, form)
        form.reset()

    if area.note:
        st.caption(area.note)
    for key in area.keys:
        _widget(form, key)
    draft = {**stored, **{key: str(form.value(key, "") or "") for key in area.keys}}
    for warning in site.text_warnings(draft, area.keys):
        if area_key == "imprint" or not warning.startswith("Das Impressum"):
            st.warning(warning, icon=":material/warning:")
    form_error(form.errors)
    row = st.container(horizontal=True)
    row.button(
        "Speichern", type="primary", icon=":material/save:", on_click=save, key=f"{form.key}.save"
    )
    row.button(
        "Änderungen verwerfen", icon=":material/undo:", on_click=discard, key=f"{form.key}.undo"
    )
    saved = form.result
    if saved is not None and not form.errors:  # right below the button just pressed
        if saved.changed:
            names = ", ".join(TEXT_SPECS[key].label for key in saved.changed)
            st.success(
                f"Gespeichert: {names}. Besucher:innen sehen es ab sofort.",
                icon=":material/check_circle:",
            )
        else:
            st.info("Nichts geändert.", icon=":material/info:")
        form.reset()  # said once; further typing is not "saved"
    with st.container(border=True, key=f"preview-{area_key}"):
        st.caption("Vorschau – so sehen es Besucher:innen, sobald es gespeichert ist")
        area.preview(draft)


def _forget(area_key: str, form: FormState) -> None:
    """Load the stored texts into the widgets on the next run."""
    st.session_state.pop(f"texts.{area_key}::loaded", None)
    form.clear_inputs(*AREAS[area_key].keys)
