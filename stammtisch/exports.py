"""Exports of a meeting's registrations as CSV and Excel, safe against formula injection.

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula. Visitors choose their own names and organisations, so
every such text cell gets a leading apostrophe (OWASP's recommendation), in both formats.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from sqlmodel import Session, select

from stammtisch.formatting import format_timestamp
from stammtisch.models import FEDERAL_STATE_LABELS, Meeting, Registration
from stammtisch.organizers import OrganizerIdentity, require_organizer

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STATUS_LABELS = {"confirmed": "angemeldet", "waitlisted": "Warteliste", "cancelled": "storniert"}
ATTENDANCE_LABELS = {"yes": "ja", "no": "nein", "unknown": "unbekannt"}


def neutralise(value: object) -> object:
    """Make a text cell inert for spreadsheets; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def registrations_frame(
    *, session: Session, actor: OrganizerIdentity | None, meeting_id: int
) -> pd.DataFrame:
    """The registrations of one meeting with German column names, already neutralised."""
    require_organizer(session, actor)
    rows = session.exec(
        select(Registration).where(Registration.meeting_id == meeting_id).order_by(Registration.id)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "Nr.": r.id,
                "Name": r.name or "",
                "E-Mail": r.email or "",
                "Organisation": r.organisation or "",
                "Bundesland": FEDERAL_STATE_LABELS.get(r.federal_state, "")
                if r.federal_state
                else "",
                "Status": STATUS_LABELS.get(r.status, r.status),
                "Teilnahme": ATTENDANCE_LABELS.get(r.attendance, r.attendance),
                "Angemeldet am": format_timestamp(r.created_at),
            }
            for r in rows
        ],
        columns=[
            "Nr.",
            "Name",
            "E-Mail",
            "Organisation",
            "Bundesland",
            "Status",
            "Teilnahme",
            "Angemeldet am",
        ],
    )
    return frame.map(neutralise)


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV as German Excel opens it directly: semicolons, UTF-8 with BOM."""
    return frame.map(neutralise).to_csv(index=False, sep=";").encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, *, title: str = "Anmeldungen") -> bytes:
    """An Excel workbook; every text cell is stored as text, never as a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        sheet.append([neutralise(v) for v in values])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_file_stem(session: Session, meeting_id: int) -> str:
    meeting = session.get(Meeting, meeting_id)
    day = meeting.starts_at.date().isoformat() if meeting else "termin"
    return f"anmeldungen-{day}"
