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
    loaded_key, draft_key = _keys(area_key)
    if loaded_key not in st.session_state:
        st.session_state[loaded_key] = {key: stored[key] for key in area.keys}
        st.session_state[draft_key] = dict(st.session_state[loaded_key])
    loaded, drafts = st.session_state[loaded_key], st.session_state[draft_key]
    for key in area.keys:
        widget_key = form.widget_key(key)
        typed = st.session_state.get(widget_key, drafts[key])
        if typed == loaded[key] and stored[key] != loaded[key]:
            # Untouched here and changed by someone else meanwhile: show the new text.
            loaded[key] = drafts[key] = st.session_state[widget_key] = stored[key]
        elif widget_key not in st.session_state:
            # Streamlit forgets an input's state while another area is shown: the draft
            # (plain session state) brings back what was typed, so no field comes back empty.
            st.session_state[widget_key] = drafts[key]

    def save() -> None:
        # Only what was changed here: a text someone else edited meanwhile is neither
        # written back nor refused when it was left alone.
        values = {
            key: form.value(key, "") for key in area.keys if form.value(key, "") != loaded[key]
        }
        if form.call(site.set_texts, actor=actor, values=values, expected=loaded):
            _forget(area_key, form)

    def discard() -> None:
        _forget(area_key, form)
        form.reset()

    if area.note:
        st.caption(area.note)
    for key in area.keys:
        _widget(form, key)
        drafts[key] = form.value(key, "")
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


def _keys(area_key: str) -> tuple[str, str]:
    """Session keys of an area's texts as loaded (for "changed meanwhile") and as typed."""
    return f"texts.{area_key}::loaded", f"texts.{area_key}::draft"


def unsaved_areas() -> list[str]:
    """Titles of the areas with typed but unsaved changes."""
    out = []
    for area_key, area in AREAS.items():
        loaded_key, draft_key = _keys(area_key)
        loaded, drafts = st.session_state.get(loaded_key), st.session_state.get(draft_key)
        if loaded is not None and drafts is not None and loaded != drafts:
            out.append(area.title)
    return out


def _forget(area_key: str, form: FormState) -> None:
    """Load the stored texts into the inputs on the next run."""
    for key in _keys(area_key):
        st.session_state.pop(key, None)
    form.clear_inputs(*AREAS[area_key].keys)
