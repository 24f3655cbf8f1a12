"""Taking attendance from Zoom's participant report: preview, questions, confirmation.

The organizer sees what the report will record (before → after), decides every name that
fits several registrations, confirms when recorded attendance is replaced and when the
report names far more people than registered; the rules are :mod:`stammtisch.imports`'.

The parsed report is kept in this browser session only while the organizer works on it
(never in a cache shared across sessions): applying the import or "Abbrechen" drops it
and empties the upload field, so neither the file nor the names in it stay on the server.
Whatever comes from the file (names, cells quoted in an error) is shown as written:
tables and escaped text, never Markdown, so a cell like ``![](http://…)`` loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from stammtisch import imports
from stammtisch.errors import FORM, ValidationError
from stammtisch.identity import OrganizerIdentity
from ui import core
from ui.forms import FormState
from ui.paging import pager
from ui.render import escape_md, field_error, form_error

NOBODY = -1  # "keine dieser Anmeldungen": counted as attendance without registration
QUESTIONS_PAGE = 10  # "Wer ist gemeint?" questions shown at a time
PARSED = "zoom.parsed"  # (meeting id, upload's file id, report or German refusal)
CHOICES = "zoom.choices"  # participant as in the report → registration id or NOBODY


@dataclass(frozen=True)
class ImportDone:
    """What the success message needs of an applied import (not the report itself)."""

    matched: int
    unregistered: int
    after: imports.AttendanceFigures


def _apply(*, session: Session, now: datetime, **kwargs: Any) -> ImportDone:
    preview = imports.apply_import(session=session, now=now, **kwargs)
    return ImportDone(len(preview.matched), preview.unregistered_attendees, preview.after)


def _upload_key(meeting_id: int) -> str:
    # A new key after each import or cancellation: the upload field starts empty, and
    # Streamlit lets go of the file the old field held.
    return f"reg.upload.{meeting_id}.{st.session_state.get(f'zoom.round.{meeting_id}', 0)}"


def release(meeting_id: int) -> None:
    """Forget the report: the parsed data, the answers given and the uploaded file."""
    st.session_state.pop(PARSED, None)
    st.session_state.pop(CHOICES, None)
    st.session_state.pop(f"zoom.replace.{meeting_id}", None)
    st.session_state.pop(f"zoom.questions.{meeting_id}.page", None)
    round_key = f"zoom.round.{meeting_id}"
    st.session_state[round_key] = st.session_state.get(round_key, 0) + 1


def _cancel(meeting_id: int) -> None:
    """ "Abbrechen": no import, nothing kept, no message left over from this report."""
    release(meeting_id)
    FormState("zoom").reset()


def _report(meeting_id: int, upload) -> imports.ZoomReport | str:
    """The parsed report, or the German reason the file was refused: read once per
    uploaded file and kept for this session only (one report at a time)."""
    kept = st.session_state.get(PARSED)
    if kept is None or kept[:2] != (meeting_id, upload.file_id):
        try:
            result: imports.ZoomReport | str = imports.parse_zoom_report(upload.getvalue())
        except ValidationError as exc:
            result = exc.errors.get(FORM, exc.message)
        st.session_state.pop(CHOICES, None)  # answers belong to the previous file
        kept = (meeting_id, upload.file_id, result)
        st.session_state[PARSED] = kept
    return kept[2]


def _choices(questions) -> dict[str, int | None]:
    asked = {q.participant for q in questions}
    return {
        participant: None if value == NOBODY else value
        for participant, value in st.session_state.get(CHOICES, {}).items()
        if participant in asked
    }


def _remember_choice(widget_key: str, participant: str) -> None:
    # Kept apart from the widget: a question on another page of the list is not drawn,
    # and Streamlit forgets the state of widgets it does not draw.
    st.session_state.setdefault(CHOICES, {})[participant] = st.session_state.get(widget_key)


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
        f"Höchstens {imports.MAX_BYTES // (1024 * 1024)} MB und "
        f"{imports.MAX_PARTICIPANTS:,} Personen.".replace(",", ".")
    )
    upload = st.file_uploader("Teilnahmebericht (CSV)", type=["csv"], key=_upload_key(meeting_id))
    form = FormState("zoom")
    if upload is None:
        st.session_state.pop(PARSED, None)  # the file was removed: so is what was read
    else:
        report = _report(meeting_id, upload)
        if isinstance(report, str):
            st.error(escape_md(report), icon=":material/error:")  # may quote a cell
        else:
            _preview(actor, meeting_id, report, form)
    form_error(form.errors, literal=True)
    if isinstance(form.result, ImportDone) and not form.errors:
        done = form.result
        st.success(
            f"Übernommen: {done.matched} Teilnehmende mit Anmeldung, "
            f"{done.unregistered} ohne Anmeldung. " + _figures("Jetzt erfasst", done.after) + ".",
            icon=":material/check_circle:",
        )


def _questions(meeting_id: int, questions, form: FormState) -> None:
    st.markdown("**Wer ist gemeint?** Diese Namen passen zu mehreren Anmeldungen:")
    offset = pager(len(questions), QUESTIONS_PAGE, key=f"zoom.questions.{meeting_id}")
    chosen = st.session_state.get(CHOICES, {})
    for n, question in list(enumerate(questions))[offset : offset + QUESTIONS_PAGE]:
        options = [NOBODY, *(i for i, _name in question.candidates)]
        names = dict(question.candidates)
        widget_key = f"zoom.choice.{meeting_id}.{n}"
        answer = chosen.get(question.participant)
        st.selectbox(
            f"„{escape_md(question.participant)}“ im Bericht ist …",
            options=options,
            index=options.index(answer) if answer in options else None,
            placeholder="Bitte auswählen",
            format_func=lambda i, names=names: (
                "keine dieser Anmeldungen (ohne Anmeldung zählen)"
                if i == NOBODY
                else f"{names[i]} (Anmeldung Nr. {i})"
            ),
            key=widget_key,
            on_change=_remember_choice,
            args=(widget_key, question.participant),
        )
    field_error(form.errors, "choices", literal=True)


def _preview(actor, meeting_id: int, report: imports.ZoomReport, form: FormState) -> None:
    first = core.read(
        imports.preview_import,
        actor=actor,
        meeting_id=meeting_id,
        report=report,
        now=core.now(),
    )
    questions = first.ambiguous
    choices = _choices(questions)
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
        _questions(meeting_id, questions, form)
    if preview.waitlisted_matched:
        st.caption(
            f"{preview.waitlisted_matched} Teilnehmende standen noch auf der Warteliste; "
            "sie zählen als Teilnahme ohne Anmeldung."
        )
    _lists(preview)
    cancel = {
        "key": "reg.import.cancel",
        "on_click": _cancel,
        "args": (meeting_id,),
        "icon": ":material/close:",
    }
    if preview.blocked:
        st.info(preview.blocked, icon=":material/block:")
        st.button("Bericht verwerfen", **cancel)
        return
    st.markdown(
        _figures("Bisher erfasst", preview.before) + "  \n" + _figures("Danach", preview.after)
    )
    replacing = preview.before.recorded and preview.before != preview.after
    if replacing:
        st.checkbox("Die bisher erfasste Teilnahme ersetzen", key=f"zoom.replace.{meeting_id}")
        field_error(form.errors, "replace_recorded")
    undecided = len(choices) < len(questions)
    apply_args = {
        "actor": actor,
        "meeting_id": meeting_id,
        "report": report,
        "choices": choices,
        "replace_recorded": bool(st.session_state.get(f"zoom.replace.{meeting_id}")),
    }

    def apply(**extra: Any) -> None:
        if form.call(_apply, **apply_args, **extra):
            release(meeting_id)

    if preview.unusually_many:
        # A wrong (or forged) file would record hundreds of people: ask, then confirm.
        st.warning(preview.size_question, icon=":material/help:")
        yes, no = st.columns(2)
        yes.button(
            f"Ja, alle {preview.counted} Personen übernehmen",
            key="reg.import.many",
            on_click=apply,
            kwargs={"confirm_many": True},
            disabled=undecided,
        )
        no.button("Abbrechen", **cancel)
        return
    yes, no = st.columns(2)
    yes.button(
        "Teilnahme übernehmen",
        type="primary",
        on_click=apply,
        key="reg.import",
        disabled=undecided,
        help="Erst zuordnen, wer gemeint ist." if undecided else None,
    )
    no.button("Abbrechen", **cancel)


def _names(title: str, names, column: str = "Name") -> None:
    """A list of names from the file or the registrations: one table, shown as written."""
    if names:
        with st.expander(f"{title} ({len(names)})"):
            st.dataframe(pd.DataFrame({column: list(names)}), hide_index=True, width="stretch")


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
    _names("Ohne Anmeldung", preview.unmatched, "Im Bericht")
    _names("Angemeldet, aber nicht dabei", preview.absent_names)
