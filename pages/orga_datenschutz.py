"""Datenschutz & Löschung: the retention period, and access or erasure for one person."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pandas as pd
import streamlit as st

from stammtisch import exports, privacy, subscriptions
from stammtisch.formatting import format_count, format_day, format_meeting_time
from stammtisch.privacy_text import RETENTION_DAYS
from ui import auth, core
from ui.forms import FormState
from ui.render import escape_md, field_error, form_error

actor = auth.require_organizer()
st.title("Datenschutz & Löschung", anchor=False)

st.header("Löschfrist", anchor=False)
now = core.now()


@st.cache_data(ttl=3600, max_entries=20, show_spinner=False)
def _due(version: str, now_key: str, _actor) -> privacy.RetentionPreview:
    """A grouped count over every registration that is due: cached until data changes."""
    return core.read(privacy.retention_preview, actor=_actor, now=datetime.fromisoformat(now_key))


due = _due(core.cache_key(), core.now_key(now), actor)
st.markdown(
    f"Persönliche Angaben von Anmeldungen werden {RETENTION_DAYS} Tage nach dem Treffen "
    f"anonymisiert (Treffen, die vor dem {format_day(due.cutoff)} endeten). Status, "
    "Bundesland, Teilnahme und eine pseudonyme Kennung bleiben für die Statistik. Auf dem "
    "Server läuft das auch mit `python -m stammtisch retention`."
)
retention = FormState("retention")


def run_retention() -> None:
    def action():
        with core.session() as s:
            return privacy.apply_retention(session=s, actor=actor, now=core.now())

    retention.submit(action)


def _registrations(n: int) -> str:
    return "1 Anmeldung" if n == 1 else f"{format_count(n)} Anmeldungen"


if retention.result is not None:
    done = retention.result
    st.success(
        f"{_registrations(done.anonymised)} aus {done.meetings} Treffen anonymisiert.",
        icon=":material/check_circle:",
    )
if due.meetings:
    st.warning(
        f"{_registrations(due.registrations)} aus {len(due.meetings)} Treffen sind über der Frist.",
        icon=":material/schedule:",
    )
    st.dataframe(
        [
            {
                "Treffen": format_meeting_time(m.starts_at, m.ends_at),
                "Thema": m.theme,
                "Anmeldungen": m.registrations,
            }
            for m in due.meetings
        ],
        hide_index=True,
        width="stretch",
    )
    st.button("Jetzt anonymisieren", type="primary", on_click=run_retention, key="retention.go")
else:
    st.info("Keine Anmeldung ist über der Frist.", icon=":material/verified:")
form_error(retention.errors)

st.header("Auskunft und Löschung für eine Person", anchor=False)
st.caption("Art. 15 DSGVO (Auskunft) und Art. 17 DSGVO (Löschung), über die E-Mail-Adresse.")
person = FormState("person")
errors = person.errors
st.text_input("E-Mail-Adresse", key=person.widget_key("email"))
field_error(errors, "email")
form_error(errors)


def export() -> None:
    def action():
        with core.session() as s:
            return privacy.export_person(
                session=s, actor=actor, email=person.value("email", ""), now=core.now()
            )

    person.submit(action)
    st.session_state.pop("person.erased", None)


def erase() -> None:
    def action():
        with core.session() as s:
            return privacy.erase_person(
                session=s, actor=actor, email=person.value("email", ""), now=core.now()
            )

    if person.submit(action):
        st.session_state["person.erased"] = person.result
    st.session_state.pop("person.confirm", None)


def ask_erase() -> None:
    """Show what would be erased, so nobody confirms blind."""
    st.session_state.pop("person.erased", None)

    def action():
        with core.session() as s:
            email = person.value("email", "")
            found = privacy.person_summary(session=s, actor=actor, email=email, now=core.now())
            return {"email": email.strip(), **dataclasses.asdict(found)}

    if person.submit(action):
        st.session_state["person.confirm"] = person.result
    else:
        st.session_state.pop("person.confirm", None)


c1, c2 = st.columns(2)
c1.button("Auskunft erstellen", on_click=export, key="person.export", icon=":material/description:")
c2.button(
    "Daten löschen …",
    key="person.erase",
    icon=":material/delete:",
    on_click=ask_erase,
)
summary = st.session_state.get("person.confirm")
if summary is not None:
    st.warning(
        f"Zu **{escape_md(summary['email'])}** gespeichert: {summary['registrations']} Anmeldungen "
        f"(davon {summary['future_active']} für kommende Treffen; sie werden storniert, die "
        f"Warteliste rückt nach), {summary['offers']} Impuls-Angebote und "
        f"{summary['impulses']} Impulse im Programm, {summary['subscriptions']} "
        "Benachrichtigungswünsche. Anmeldungen werden anonymisiert, Impuls-Angebote und "
        "Impulse ohne Namen, Organisation und Adresse gespeichert, Benachrichtigungen gelöscht. "
        "Das lässt sich nicht rückgängig machen.",
        icon=":material/warning:",
    )
    b1, b2 = st.columns(2)
    b1.button(
        "Ja, endgültig löschen",
        icon=":material/delete_forever:",
        on_click=erase,
        key="person.erase.yes",
    )
    b2.button(
        "Abbrechen",
        on_click=lambda: st.session_state.pop("person.confirm", None),
        key="person.erase.no",
    )

erased = st.session_state.get("person.erased")
if erased:
    st.success(
        f"Gelöscht: {erased.registrations} Anmeldungen (davon {erased.cancelled} storniert, "
        f"{erased.promoted} von der Warteliste nachgerückt), {erased.offers} Impuls-Angebote, "
        f"{erased.impulses} Impulse, {erased.subscriptions} Benachrichtigungswünsche.",
        icon=":material/check_circle:",
    )
elif isinstance(person.result, dict) and "anmeldungen" in person.result:
    data = person.result
    st.success(
        f"{len(data['anmeldungen'])} Anmeldungen und {len(data['impuls_angebote'])} "
        "Impuls-Angebote gefunden.",
        icon=":material/check_circle:",
    )
    st.download_button(
        "Auskunft herunterladen (JSON)",
        data=json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        file_name="auskunft.json",
        mime="application/json",
        on_click="ignore",
        key="person.download",
    )

st.header("Benachrichtigungen per E-Mail", anchor=False)
figures = core.subscription_figures()
names = {tf.id: tf.name for tf in core.topic_fields()}
c1, c2, c3 = st.columns(3)
c1.metric("Neue Termine (bestätigt)", figures.news_total)
c2.metric("Warten auf eine Anmeldung", sum(figures.per_meeting.values()))
c3.metric("Unbestätigt (höchstens 48 h)", figures.pending)
if figures.news_total:
    st.caption(
        f"{figures.news_all_fields} möchten von allen Themenfeldern hören; dazu je Themenfeld: "
        + ", ".join(
            f"{names.get(field_id, field_id)} {count}"
            for field_id, count in sorted(figures.per_topic_field.items())
        )
        if figures.per_topic_field
        else f"Alle {figures.news_all_fields} möchten von allen Themenfeldern hören."
    )


def _news_csv() -> bytes:
    """Built on the click; recorded in the audit log (only confirmed, consenting entries)."""
    with core.session() as s:
        rows = subscriptions.export_news(session=s, actor=actor, now=core.now())
    return exports.to_csv(pd.DataFrame(rows, columns=list(subscriptions.EXPORT_COLUMNS)))


st.caption(
    "Für das Newsletter-Programm des Verbands: nur bestätigte Einträge mit Einwilligung, "
    "mit Zeitpunkt und Version der Einwilligung. Der Export steht im Änderungsprotokoll."
)
st.download_button(
    "Liste „Neue Termine“ herunterladen (CSV)",
    data=_news_csv,
    file_name="benachrichtigung-neue-termine.csv",
    mime=exports.CSV_MIME,
    icon=":material/download:",
    on_click="ignore",
    key="subscriptions.csv",
    disabled=not figures.news_total,
)
