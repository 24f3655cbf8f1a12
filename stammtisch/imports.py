"""Import of the participant report that Zoom exports as CSV, to record attendance.

What is supported (Zoom web portal, "Usage → Participants", English or German UI):

* an optional meeting block above the participant table (Zoom's "Export with meeting
  data"): the table starts at the first row that has a name column and an e-mail column;
* delimiters ``,`` or ``;`` (a report re-saved by German Excel), UTF-8 with or without
  BOM, or Windows-1252 (what Excel on Windows writes);
* the columns "Name (Original Name)", "User Email", "Join Time", "Leave Time",
  "Duration (Minutes)" and "Guest", or their German counterparts; only name and e-mail
  are needed.

A person who reconnects appears on several rows and counts once (by e-mail, else by
name). Participants are matched to the meeting's active registrations by e-mail
(case-insensitive), then by name (case, spacing and accents ignored). Matched people get
attendance "yes"; confirmed people missing from the report get "no"; participants who
matched nobody are counted on the meeting as attendees without registration.
Parsing happens before any write; applying is one transaction.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from stammtisch.audit import record
from stammtisch.db import write_transaction
from stammtisch.errors import FORM, NotFound, ValidationError
from stammtisch.models import (
    ACTIVE_REGISTRATION,
    Attendance,
    Meeting,
    Registration,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

NAME_HEADERS = (
    "name (original name)",
    "name (ursprünglicher name)",
    "name (originalname)",
    "name",
    "teilnehmer",
    "participant",
    "display name",
)
EMAIL_HEADERS = (
    "user email",
    "email",
    "e-mail",
    "benutzer-e-mail",
    "e-mail des benutzers",
    "e-mail-adresse",
    "benutzer-e-mail-adresse",
)
DURATION_HEADERS = ("duration (minutes)", "dauer (minuten)", "duration")


@dataclass(frozen=True)
class Participant:
    """One person in the report (reconnects merged)."""

    name: str
    original_name: str | None
    email: str | None
    minutes: int
    rows: int


@dataclass(frozen=True)
class ImportPreview:
    meeting_id: int
    rows_read: int
    participants: tuple[Participant, ...]
    matched: tuple[tuple[int, str], ...]  # (registration id, participant name)
    unmatched: tuple[str, ...]
    absent: tuple[int, ...]  # confirmed registrations not in the report

    @property
    def duplicates_merged(self) -> int:
        return self.rows_read - len(self.participants)


def _fail(message: str) -> ValidationError:
    return ValidationError.single(FORM, message)


def _decode(data: bytes) -> str:
    if not data or not data.strip():
        raise _fail("Die Datei ist leer.")
    if len(data) > MAX_BYTES:
        raise _fail(
            f"Die Datei ist zu groß ({len(data) // 1024} KB). Ein Teilnahmebericht von Zoom ist "
            "viel kleiner – bitte die richtige CSV-Datei wählen (höchstens 5 MB)."
        )
    if b"\x00" in data[:4096]:
        raise _fail(
            "Das ist keine CSV-Datei (Binärdaten). Bitte den Teilnahmebericht als CSV exportieren."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail("Die Zeichenkodierung der Datei ist unbekannt. Bitte als CSV (UTF-8) exportieren.")


def _header_key(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "")).strip().strip('"').lower()


def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    keys = [_header_key(c) for c in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing do not matter when matching names."""
    text = name.casefold()
    # German spelling without umlauts ("Mueller") must meet "Müller".
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _split_original(raw: str) -> tuple[str, str | None]:
    """'Erika B (Erika Beispiel)' -> ('Erika B', 'Erika Beispiel')."""
    match = re.fullmatch(r"\s*(.*?)\s*\(([^()]*)\)\s*", raw)
    if match and match.group(1):
        return match.group(1), match.group(2).strip() or None
    return raw.strip(), None


def parse_zoom_report(data: bytes) -> tuple[list[Participant], int]:
    """The unique participants of a report and the number of participant rows read."""
    text = _decode(data)
    lines = text.splitlines()
    if len(lines) > MAX_ROWS + 50:
        raise _fail(f"Die Datei hat zu viele Zeilen (mehr als {MAX_ROWS}).")
    sample = "\n".join(lines[:20])
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise _fail(f"Die CSV-Datei ist beschädigt ({exc}).") from exc
    header_index = None
    for i, row in enumerate(rows):
        if (
            _find_column(row, NAME_HEADERS) is not None
            and _find_column(row, EMAIL_HEADERS) is not None
        ):
            header_index = i
            break
    if header_index is None:
        raise _fail(
            "In der Datei fehlt die Teilnehmertabelle mit den Spalten „Name (Original Name)“ "
            "und „User Email“. Bitte in Zoom unter Berichte → Teilnehmer als CSV exportieren."
        )
    header = rows[header_index]
    name_col = _find_column(header, NAME_HEADERS)
    email_col = _find_column(header, EMAIL_HEADERS)
    duration_col = _find_column(header, DURATION_HEADERS)
    people: dict[str, dict] = {}
    read = 0
    for line_no, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(name_col, email_col):
            raise _fail(f"Zeile {line_no} hat zu wenige Spalten – ist die Datei vollständig?")
        raw_name = row[name_col].strip()
        email = row[email_col].strip().lower() or None
        if not raw_name and not email:
            continue
        read += 1
        name, original = _split_original(raw_name)
        minutes = 0
        if duration_col is not None and len(row) > duration_col:
            try:
                minutes = int(float(row[duration_col].replace(",", ".") or 0))
            except ValueError as exc:
                raise _fail(
                    f"Zeile {line_no}: „{row[duration_col][:30]}“ ist keine Dauer in Minuten."
                ) from exc
        key = f"e:{email}" if email else f"n:{normalise_name(original or name)}"
        person = people.setdefault(
            key, {"name": name, "original": original, "email": email, "minutes": 0, "rows": 0}
        )
        person["minutes"] += max(minutes, 0)
        person["rows"] += 1
    if read == 0:
        raise _fail("Die Teilnehmertabelle enthält keine Teilnehmenden.")
    if read > MAX_ROWS:
        raise _fail(f"Die Datei hat zu viele Zeilen (mehr als {MAX_ROWS}).")
    participants = [
        Participant(
            name=p["name"],
            original_name=p["original"],
            email=p["email"],
            minutes=p["minutes"],
            rows=p["rows"],
        )
        for p in people.values()
    ]
    return participants, read


def _match(
    session: Session, meeting_id: int, participants: list[Participant]
) -> tuple[list[tuple[int, str]], list[str], list[int]]:
    regs = session.exec(
        select(Registration).where(
            Registration.meeting_id == meeting_id,
            col(Registration.status).in_(ACTIVE_REGISTRATION),
        )
    ).all()
    by_email = {r.email_normalized: r for r in regs if r.email_normalized}
    by_name: dict[str, list[Registration]] = {}
    for r in regs:
        if r.name:
            by_name.setdefault(normalise_name(r.name), []).append(r)
    matched: dict[int, str] = {}
    unmatched: list[str] = []
    for p in participants:
        reg = by_email.get(p.email.casefold()) if p.email else None
        if reg is None:
            for candidate in (p.original_name, p.name):
                options = by_name.get(normalise_name(candidate)) if candidate else None
                # An ambiguous name (two registrations with it) is not guessed.
                if options and len(options) == 1 and options[0].id not in matched:
                    reg = options[0]
                    break
        if reg is None or reg.id in matched:
            unmatched.append(p.original_name or p.name or (p.email or "?"))
        else:
            matched[reg.id] = p.name
    absent = [
        r.id for r in regs if r.status == RegistrationStatus.CONFIRMED and r.id not in matched
    ]
    return sorted(matched.items()), unmatched, absent


def preview_import(
    *, session: Session, actor: OrganizerIdentity | None, meeting_id: int, data: bytes
) -> ImportPreview:
    """Parse and match without writing anything."""
    require_organizer(session, actor)
    if session.get(Meeting, meeting_id) is None:
        raise NotFound("Diesen Termin gibt es nicht.")
    participants, read = parse_zoom_report(data)
    matched, unmatched, absent = _match(session, meeting_id, participants)
    return ImportPreview(
        meeting_id=meeting_id,
        rows_read=read,
        participants=tuple(participants),
        matched=tuple(matched),
        unmatched=tuple(unmatched),
        absent=tuple(absent),
    )


def apply_import(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    data: bytes,
    now: datetime,
) -> ImportPreview:
    """Record attendance from the report in one transaction (parsed again inside it)."""
    participants, read = parse_zoom_report(data)
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = session.exec(
            select(Meeting).where(Meeting.id == meeting_id).with_for_update()
        ).first()
        if meeting is None:
            raise NotFound("Diesen Termin gibt es nicht.")
        if meeting.starts_at > now:
            raise _fail("Die Teilnahme lässt sich erst erfassen, wenn das Treffen begonnen hat.")
        matched, unmatched, absent = _match(session, meeting_id, participants)
        attended = {rid for rid, _ in matched}
        for reg in session.exec(
            select(Registration).where(col(Registration.id).in_(attended | set(absent)))
        ).all():
            reg.attendance = Attendance.YES if reg.id in attended else Attendance.NO
            session.add(reg)
        meeting.unregistered_attendees = len(unmatched)
        session.add(meeting)
        record(
            session,
            actor=actor,
            action="meeting.attendance_import",
            obj=("meeting", meeting_id),
            details={
                "rows": read,
                "participants": len(participants),
                "matched": len(matched),
                "unmatched": len(unmatched),
                "absent": len(absent),
            },
            now=now,
        )
        preview = ImportPreview(
            meeting_id=meeting_id,
            rows_read=read,
            participants=tuple(participants),
            matched=tuple(matched),
            unmatched=tuple(unmatched),
            absent=tuple(absent),
        )
    return preview
