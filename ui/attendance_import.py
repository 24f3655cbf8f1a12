"""Taking attendance from Zoom's participant report: preview, questions, confirmation.

The organizer sees what the report will record (before → after), decides every name that
fits several registrations, and confirms when recorded attendance is replaced; the rules
are :mod:`stammtisch.imports`'.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from stammtisch import imports
from stammtisch.errors import ValidationError
from stammtisch.identity import OrganizerIdentity
from ui import core
from ui.forms import FormState
from ui.render import field_error, form_error, literal

NOBODY = -1  # "keine dieser Anmeldungen": counted as attendance without registration


@st.cache_data(ttl=900, max_entries=5, show_spinner=False)
def _parsed(file_id: str, _data: bytes) -> imports.ZoomReport:
    """The parsed report, once per upload; a bad file raises every time (not cached)."""
    return imports.parse_zoom_report(_data)


def _choices(meeting_id: int, questions) -> dict[str, int | None]:
    chosen = {}
    for n, question in enumerate(questions):
        value = st.session_state.get(f"zoom.choice.{meeting_id}.{n}")
        if value is not None:
            chosen[question.participant] = None if value == NOBODY else value
    return chosen


def _figures(label: str, figures: imports.AttendanceFigures) -> str:
    return (
        f"{label}: {figures.total} dabei (davon {figures.unregistered} ohne Anmeldung), "
        f"{figures.absent} Angemeldete nicht dabei"
    )


def attendance_import(actor: OrganizerIdentity, meeting_id: int) -> None:
    st.header("Teilnahme aus Zoom übernehmen", anchor=False)
    st.caption(
        "Zoom → Berichte → Nutzungsberichte → Teilnehmer → als CSV exportieren. Wer sich neu "
        "verbunden hat, zählt einmal; zugeordnet wird über die E-Mail-Adresse, sonst den Namen. "
        f"Höchstens {imports.MAX_BYTES // (1024 * 1024)} MB."
    )
    upload = st.file_uploader(
        "Teilnahmebericht (CSV)", type=["csv"], key=f"reg.upload.{meeting_id}"
    )
    form = FormState("zoom")
    if upload is not None:
        try:
            report = _parsed(upload.file_id, upload.getvalue())
        except ValidationError as exc:
            st.error(exc.errors.get("_form", exc.message), icon=":material/error:")
            report = None
        if report is not None:
            _preview(actor, meeting_id, report, form)
    form_error(form.errors)
    if form.result is not None and not form.errors:
        result = form.result
        st.success(
            f"Übernommen: {len(result.matched)} Teilnehmende mit Anmeldung, "
            f"{result.unregistered_attendees} ohne Anmeldung. "
            + _figures("Jetzt erfasst", result.after)
            + ".",
            icon=":material/check_circle:",
        )


def _preview(actor, meeting_id: int, report: imports.ZoomReport, form: FormState) -> None:
    first = core.read(
        imports.preview_import,
        actor=actor,
        meeting_id=meeting_id,
        report=report,
        now=core.now(),
    )
    questions = first.ambiguous
    choices = _choices(meeting_id, questions)
    preview = (
        first
        if not choices
        else core.read(
            imports.preview_import,
            actor=actor,
            meeting_id=meeting_id,
            report=report,
            now=core.now(),
            choices=choices,
        )
    )
    people = len(preview.participants)
    encoding = imports.ENCODING_LABELS.get(report.encoding, report.encoding)
    summary = (
        f"**{people} {'Person' if people == 1 else 'Personen'}** im Bericht "
        f"({preview.rows_read} Zeilen, {preview.duplicates_merged} Mehrfach-Einwahlen "
        f"zusammengefasst, {encoding}): {len(preview.matched)} zugeordnet, "
        f"{len(preview.unmatched)} ohne Anmeldung"
    )
    if preview.meeting_over:
        summary += f", {len(preview.absent)} Angemeldete nicht dabei"
    if preview.team:
        summary += f", {len(preview.team)} aus dem Team (nicht gezählt)"
    st.markdown(summary + ".")
    for warning in preview.warnings:
        st.warning(warning, icon=":material/warning:")
    if questions:
        st.markdown("**Wer ist gemeint?** Diese Namen passen zu mehreren Anmeldungen:")
        for n, question in enumerate(questions):
            options = [NOBODY, *(i for i, _name in question.candidates)]
            names = dict(question.candidates)
            st.selectbox(
                f"„{question.participant}“ im Bericht ist …",
                options=options,
                index=None,
                placeholder="Bitte auswählen",
                format_func=lambda i, names=names: (
                    "keine dieser Anmeldungen (ohne Anmeldung zählen)"
                    if i == NOBODY
                    else f"{names[i]} (Anmeldung Nr. {i})"
                ),
                key=f"zoom.choice.{meeting_id}.{n}",
            )
        field_error(form.errors, "choices")
    if preview.waitlisted_matched:
        st.caption(
            f"{preview.waitlisted_matched} Teilnehmende standen noch auf der Warteliste; "
            "sie zählen als Teilnahme ohne Anmeldung."
        )
    _lists(preview)
    if preview.blocked:
        st.info(preview.blocked, icon=":material/block:")
        return
    st.markdown(
        _figures("Bisher erfasst", preview.before) + "  \n" + _figures("Danach", preview.after)
    )
    replacing = preview.before.recorded and preview.before != preview.after
    if replacing:
        st.checkbox("Die bisher erfasste Teilnahme ersetzen", key=f"zoom.replace.{meeting_id}")
        field_error(form.errors, "replace_recorded")
    st.button(
        "Teilnahme übernehmen",
        type="primary",
        on_click=form.call,
        args=(imports.apply_import,),
        kwargs={
            "actor": actor,
            "meeting_id": meeting_id,
            "report": report,
            "choices": choices,
            "replace_recorded": bool(st.session_state.get(f"zoom.replace.{meeting_id}")),
        },
        key="reg.import",
        disabled=len(choices) < len(questions),
        help="Erst zuordnen, wer gemeint ist." if len(choices) < len(questions) else None,
    )


def _lists(preview: imports.ImportPreview) -> None:
    if preview.matched:
        with st.expander(f"Zugeordnet ({len(preview.matched)})"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Im Bericht": m.participant,
                            "Anmeldung": m.registration_name or "(anonymisiert)",
                            "über": {"email": "E-Mail", "name": "Name"}.get(m.by, "Ihre Wahl"),
                        }
                        for m in preview.matched
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
    if preview.unmatched:
        with st.expander(f"Ohne Anmeldung ({len(preview.unmatched)})"):
            for name in preview.unmatched:
                literal(name)
    if preview.absent_names:
        with st.expander(f"Angemeldet, aber nicht dabei ({len(preview.absent_names)})"):
            for name in preview.absent_names:
                literal(name)
