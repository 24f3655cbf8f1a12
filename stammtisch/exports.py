"""Exports of a meeting's registrations as CSV and Excel, safe against formula injection.

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (or as the start of one). Visitors choose their own names
and organisations, so every such text cell gets a leading apostrophe (OWASP's advice
for CSV injection), in both formats. The frame itself keeps the real values; only the
writers neutralise, so there is exactly one place that does it.
"""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlmodel import Session, select

from stammtisch.errors import NotFound
from stammtisch.formatting import berlin, format_timestamp
from stammtisch.models import (
    Attendance,
    FederalState,
    Meeting,
    Registration,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "Nr.",
    "Name",
    "E-Mail",
    "Organisation",
    "Bundesland",
    "Status",
    "Teilnahme",
    "Angemeldet am",
)
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: object) -> object:
    """Make a text cell inert for spreadsheets; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def registrations_frame(
    *, session: Session, actor: OrganizerIdentity | None, meeting_id: int
) -> pd.DataFrame:
    """The registrations of one meeting in arrival order, with German column names.

    Values are as stored (not yet neutralised): use :func:`to_csv` / :func:`to_xlsx`.
    """
    require_organizer(session, actor)
    if session.get(Meeting, meeting_id) is None:
        raise NotFound("Diesen Termin gibt es nicht.")
    rows = session.exec(
        select(Registration).where(Registration.meeting_id == meeting_id).order_by(Registration.id)
    ).all()
    return pd.DataFrame(
        [
            (
                r.id,
                r.name or ("(anonymisiert)" if r.anonymised_at else ""),
                r.email or "",
                r.organisation or "",
                FederalState.label_for(r.federal_state) if r.federal_state else "",
                RegistrationStatus.label_for(r.status),
                Attendance.label_for(r.attendance),
                format_timestamp(r.created_at),
            )
            for r in rows
        ],
        columns=list(COLUMNS),
    )


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV as German Excel opens it directly: semicolons, UTF-8 with BOM, CRLF lines."""
    safe = frame.map(neutralise)
    return safe.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8-sig")


def _cell(value: object) -> object:
    value = neutralise(value)
    if isinstance(value, str):
        # openpyxl refuses control characters that XML cannot carry.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def to_xlsx(frame: pd.DataFrame, *, title: str = "Anmeldungen") -> bytes:
    """An Excel workbook; every text cell is stored as text, never as a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "Anmeldungen"
    sheet.append([str(c) for c in frame.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in values])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, whatever it looks like
    sheet.freeze_panes = "A2"
    for i, column in enumerate(frame.columns, start=1):
        longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(500))])
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = min(
            longest + 2, 50
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_file_stem(starts_at: datetime) -> str:
    """'anmeldungen-2021-12-06' (the meeting's day in Berlin)."""
    return f"anmeldungen-{berlin(starts_at).date().isoformat()}"
