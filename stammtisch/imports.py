"""Import of the participant report that Zoom exports as CSV, to record attendance.

What is supported (Zoom web portal → Berichte/Reports → Nutzung/Usage → Teilnehmer/
Participants → Export, English or German interface):

* the participant table with a name column and at least one of e-mail, duration or
  join time. Names recognised (case and spacing ignored): "Name (Original Name)",
  "Name (ursprünglicher Name)", "Name (Originalname)", "Name", "User Name",
  "Benutzername"; e-mail: "User Email", "Email", "E-Mail", "Benutzer-E-Mail",
  "E-Mail des Benutzers", "E-Mail-Adresse"; duration: "Duration (Minutes)",
  "Total Duration (Minutes)" ("Show unique users"), "Dauer (Minuten)",
  "Gesamtdauer (Minuten)"; join time: "Join Time", "Beitrittszeit". Other columns
  ("Leave Time", "Guest", "Recording Consent", "In Waiting Room" …) are ignored;
* an optional meeting block above the table ("Export with meeting data": Meeting ID,
  Topic, Start Time …, then a blank line): the table starts at its header row;
* ``,`` or ``;`` (a report re-saved by German Excel) or tab as separator;
* UTF-8 with or without BOM; Windows-1252 or Latin-1, which Excel on Windows writes.
  UTF-16, Excel workbooks (.xlsx/.xls) and other binary files are refused;
* at most 5 MB, 20,000 rows and 1,000 different people (:data:`MAX_PARTICIPANTS`, the
  most a Zoom meeting holds); a report with more people than the meeting's registrations
  make plausible (:func:`plausible_participants`) is applied only once the organizer
  confirms it;
* the "Name (Original Name)" cell: "Display Name (Original Name)" when someone renamed
  themselves, else just the name; the original name is taken from the last brackets.

Counting and matching: a person who reconnects appears on several rows and counts once
(grouped by e-mail, else by normalised name; minutes are added up). Participants are
matched to the meeting's confirmed and waitlisted registrations by e-mail (case-
insensitive), else by name (original name, then display name; case, spacing, word order,
accents and umlaut spellings like "Mueller" ignored; a name that fits two registrations
is not guessed). Applying the import sets attendance "ja" for matched registrations and,
once the meeting is over, "nein" for confirmed registrations missing from the report; a
new import replaces the previous one. Participants matching nobody are shown by name
and counted on the meeting as attendees without registration, together with matched
people who were still on the waitlist (the statistics count attendance among confirmed
places only). Participants whose e-mail belongs to an organizer account are the team and
not counted.

Parsing (:func:`parse_zoom_report`) and matching (:func:`preview_import`) write nothing;
:func:`apply_import` writes everything in one audited transaction. Any problem with the
file raises :class:`~stammtisch.errors.ValidationError` with a German message before
anything is written.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlmodel import Session, col, select

from stammtisch.audit import record
from stammtisch.db import count_if, write_transaction
from stammtisch.errors import FORM, NotFound, ValidationError
from stammtisch.formatting import berlin, format_day
from stammtisch.meeting_rules import attendance_refusal, is_over
from stammtisch.models import (
    Attendance,
    Meeting,
    Organizer,
    Registration,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.registrations import (
    absent_condition,
    attended_condition,
    lock_meeting,
    write_attendance,
)
from stammtisch.validation import email_key

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # rows, reconnects included
HEADER_SEARCH_ROWS = 100
TOO_MANY_ROWS = f"Die Datei hat zu viele Zeilen (höchstens {MAX_ROWS:,} Teilnehmende).".replace(
    ",", "."
)
# The most people one Zoom meeting can hold: 100 to 300 by licence, 1,000 with Zoom's
# "Large Meetings" add-on. A report naming more different people is not the participant
# report of one meeting (and would count them all as attendance without registration).
MAX_PARTICIPANTS = 1_000
TOO_MANY_PARTICIPANTS = (
    "Der Bericht nennt mehr als 1.000 verschiedene Personen – so viele fasst kein "
    "Zoom-Meeting (höchstens 1.000 Teilnehmende). Bitte prüfen Sie, ob das der "
    "Teilnahmebericht dieses Treffens ist."
)
# Plausible size of a report for a meeting: up to three people per registration (people
# forward the link, come as a group) plus 50 guests. A report with more people than that
# is applied only once the organizer confirms it (``confirm_many``): a wrong file or a
# forged one must not quietly record hundreds of attendees without registration.
PLAUSIBLE_PER_REGISTRATION = 3
PLAUSIBLE_EXTRA = 50


def plausible_participants(registrations: int) -> int:
    """How many people a report for a meeting with ``registrations`` (confirmed and
    waitlisted) may name before the organizer has to confirm it."""
    return PLAUSIBLE_PER_REGISTRATION * registrations + PLAUSIBLE_EXTRA


NAME_HEADERS = (
    "name (original name)",
    "name (ursprünglicher name)",
    "name (originalname)",
    "name (ursprunglicher name)",
    "name",
    "user name",
    "benutzername",
    "teilnehmername",
)
EMAIL_HEADERS = (
    "user email",
    "email",
    "e-mail",
    "benutzer-e-mail",
    "e-mail des benutzers",
    "e-mail-adresse",
    "e-mail-adresse des benutzers",
    "benutzer-e-mail-adresse",
)
DURATION_HEADERS = (
    "duration (minutes)",
    "total duration (minutes)",
    "dauer (minuten)",
    "gesamtdauer (minuten)",
)
JOIN_HEADERS = ("join time", "beitrittszeit", "zeitpunkt des beitritts")
# Date formats of the join time, date part only: Zoom (US English, German), ISO.
_DATE_FORMATS = ("%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
_DELIMITERS = (",", ";", "\t")

ENCODING_LABELS = {
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


@dataclass(frozen=True)
class Participant:
    """One person in the report, reconnects merged."""

    raw_name: str  # the cell as Zoom wrote it
    name: str  # the display name
    original_name: str | None
    email: str | None
    minutes: int
    sessions: int


@dataclass(frozen=True)
class ZoomReport:
    """A parsed participant report: the people in it, nothing matched yet."""

    participants: tuple[Participant, ...]
    rows_read: int
    encoding: str
    days: tuple[date, ...] = ()  # the days people joined, when the join time is readable

    @property
    def duplicates_merged(self) -> int:
        return self.rows_read - len(self.participants)


@dataclass(frozen=True)
class MatchedParticipant:
    registration_id: int
    registration_name: str | None
    participant: str
    by: str  # "email", "name" or "choice" (the organizer decided an ambiguous name)
    waitlisted: bool


@dataclass(frozen=True)
class AmbiguousParticipant:
    """A name in the report that fits several registrations: the organizer decides."""

    participant: str
    candidates: tuple[tuple[int, str], ...]  # (registration id, name)


@dataclass(frozen=True)
class AttendanceFigures:
    """Attendance of a meeting as recorded: confirmed people there / not there, and people
    there without a (confirmed) registration."""

    attended: int
    absent: int
    unregistered: int

    @property
    def total(self) -> int:
        return self.attended + self.unregistered

    @property
    def recorded(self) -> bool:
        return bool(self.attended or self.absent or self.unregistered)


@dataclass(frozen=True)
class ImportPreview:
    """What applying the report to a meeting would do (or did)."""

    meeting_id: int
    report: ZoomReport
    matched: tuple[MatchedParticipant, ...]
    unmatched: tuple[str, ...]  # participants without registration, by name
    team: tuple[str, ...]  # organizers in the report, not counted
    absent: tuple[int, ...]  # confirmed registrations not in the report
    absent_names: tuple[str, ...]
    meeting_over: bool
    blocked: str | None = None  # why it cannot be applied (yet), in German
    warnings: tuple[str, ...] = field(default=())
    ambiguous: tuple[AmbiguousParticipant, ...] = ()  # still to be decided
    before: AttendanceFigures = AttendanceFigures(0, 0, 0)  # what is recorded now
    registrations: int = 0  # confirmed and waitlisted registrations of the meeting

    @property
    def counted(self) -> int:
        """People in the report the import counts (the team is not counted)."""
        return len(self.participants) - len(self.team)

    @property
    def unusually_many(self) -> bool:
        """More people than the meeting's registrations make plausible: confirm first."""
        return self.counted > plausible_participants(self.registrations)

    @property
    def size_question(self) -> str | None:
        """The German question the organizer answers before an unusually large report."""
        if not self.unusually_many:
            return None
        registered = {0: "keine Anmeldung", 1: "nur eine Anmeldung"}.get(
            self.registrations, f"nur {self.registrations} Anmeldungen"
        )
        return (
            f"Der Bericht nennt {self.counted} Personen, das Treffen hat aber {registered}. "
            f"Alle {len(self.unmatched)} nicht Zugeordneten zählen dann als "
            "Teilnahme ohne Anmeldung. Ist das wirklich der Teilnahmebericht dieses Treffens?"
        )

    @property
    def after(self) -> AttendanceFigures:
        """What will be recorded once the import is applied."""
        return AttendanceFigures(
            attended=len(self.matched) - self.waitlisted_matched,
            absent=len(self.absent),
            unregistered=self.unregistered_attendees,
        )

    @property
    def rows_read(self) -> int:
        return self.report.rows_read

    @property
    def participants(self) -> tuple[Participant, ...]:
        return self.report.participants

    @property
    def duplicates_merged(self) -> int:
        return self.report.duplicates_merged

    @property
    def waitlisted_matched(self) -> int:
        return sum(1 for m in self.matched if m.waitlisted)

    @property
    def unregistered_attendees(self) -> int:
        """What the meeting will count as attendance without a (confirmed) registration."""
        return len(self.unmatched) + self.waitlisted_matched


def _fail(message: str) -> ValidationError:
    return ValidationError.single(FORM, message)


# --- reading the file ---------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if not data or not data.strip():
        raise _fail("Die Datei ist leer.")
    if len(data) > MAX_BYTES:
        raise _fail(
            f"Die Datei ist zu groß ({len(data) / 1024 / 1024:.1f} MB, höchstens 5 MB). "
            "Ein Zoom-Teilnahmebericht ist viel kleiner – bitte die richtige Datei wählen."
        )
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _fail(
            "Das ist eine Excel-Datei, keine CSV-Datei. Bitte den Teilnahmebericht in Zoom "
            "als CSV exportieren (oder in Excel „Speichern unter → CSV UTF-8“)."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            "Die Datei ist als UTF-16 („Unicode-Text“) gespeichert. Bitte als CSV exportieren "
            "(in Excel: „Speichern unter → CSV UTF-8“)."
        )
    if b"\x00" in data:
        raise _fail(
            "Das ist keine CSV-Datei (sie enthält Binärdaten). Bitte den Teilnahmebericht "
            "in Zoom als CSV exportieren."
        )
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    if controls > max(3, len(text) // 200):
        raise _fail(
            "Die Datei lässt sich nicht als Text lesen (falsche Zeichenkodierung oder keine "
            "CSV-Datei). Bitte den Teilnahmebericht in Zoom als CSV exportieren."
        )
    return text, encoding


def _header_key(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "")).strip().strip('"').casefold()


def _find_column(keys: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


@dataclass(frozen=True)
class _Columns:
    name: int
    email: int | None
    duration: int | None
    join: int | None


def _header_columns(row: list[str]) -> _Columns | None:
    keys = [_header_key(c) for c in row]
    name = _find_column(keys, NAME_HEADERS)
    if name is None:
        return None
    columns = _Columns(
        name=name,
        email=_find_column(keys, EMAIL_HEADERS),
        duration=_find_column(keys, DURATION_HEADERS),
        join=_find_column(keys, JOIN_HEADERS),
    )
    if columns.email is None and columns.duration is None and columns.join is None:
        return None
    return columns


def _locate_table(text: str) -> tuple[str, int, _Columns]:
    """The separator, the header's row index and its columns (tries , ; and tab)."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    for delimiter in _DELIMITERS:
        try:
            for index, row in enumerate(csv.reader(io.StringIO(head), delimiter=delimiter)):
                columns = _header_columns(row)
                if columns is not None:
                    return delimiter, index, columns
        except csv.Error:
            continue  # a broken row before any header: try the next separator
    raise _fail(
        "In der Datei fehlt die Teilnehmertabelle (Spalten wie „Name (Original Name)“ und "
        "„User Email“ bzw. „Name (ursprünglicher Name)“ und „E-Mail“). Bitte in Zoom unter "
        "Berichte → Nutzung → Teilnehmer als CSV exportieren."
    )


def split_zoom_name(raw: str) -> tuple[str, str | None]:
    """'Erika B (Erika Beispiel)' → ('Erika B', 'Erika Beispiel'); 'Jan' → ('Jan', None)."""
    text = raw.strip()
    match = re.fullmatch(r"(.*\S)\s*\(([^()]*)\)", text)
    if match:
        return match.group(1).strip(), match.group(2).strip() or None
    return text, None


def _minutes(value: str, line_no: int) -> int:
    value = value.strip()
    if not value:
        return 0
    try:
        minutes = float(value.replace(",", "."))
    except ValueError as exc:
        raise _fail(
            f"Zeile {line_no}: „{value[:30]}“ ist keine Dauer in Minuten – ist das ein "
            "Teilnahmebericht von Zoom?"
        ) from exc
    if not 0 <= minutes < 100_000:
        raise _fail(f"Zeile {line_no}: „{value[:30]}“ ist keine mögliche Dauer in Minuten.")
    return int(minutes)


def _day(value: str) -> date | None:
    part = value.strip().split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(part, fmt).date()
        except ValueError:
            continue
    return None


def _clean(cell: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", cell)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return re.sub(r"\s+", " ", text).strip()[:limit]


def parse_zoom_report(data: bytes) -> ZoomReport:
    """Read a Zoom participant report (CSV bytes) into unique participants.

    Raises :class:`ValidationError` (key ``FORM``) with a German message for an empty,
    too large, binary, wrongly encoded or malformed file. Writes nothing.
    """
    text, encoding = _decode(data)
    if text.count("\n") > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise _fail(TOO_MANY_ROWS)
    delimiter, header_index, columns = _locate_table(text)
    needed = max(c for c in (columns.name, columns.email) if c is not None)
    people: dict[str, dict] = {}
    days: set[date] = set()
    read = 0
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        for index, row in enumerate(reader):
            if index <= header_index or not any(cell.strip() for cell in row):
                continue
            line_no = reader.line_num
            if _header_columns(row) is not None:
                continue  # a repeated header, e.g. two reports pasted together
            if len(row) <= needed:
                raise _fail(f"Zeile {line_no} hat zu wenige Spalten – ist die Datei vollständig?")
            raw_name = _clean(row[columns.name], 200)
            email = email_key(_clean(row[columns.email], 320)) if columns.email is not None else ""
            if "@" not in email:
                email = ""
            if not raw_name and not email:
                continue
            read += 1
            if read > MAX_ROWS:
                raise _fail(TOO_MANY_ROWS)
            minutes = 0
            if columns.duration is not None and len(row) > columns.duration:
                minutes = _minutes(row[columns.duration], line_no)
            if columns.join is not None and len(row) > columns.join:
                day = _day(row[columns.join])
                if day is not None:
                    days.add(day)
            name, original = split_zoom_name(raw_name or email)
            key = f"e:{email}" if email else f"n:{_primary_key(raw_name)}"
            person = people.setdefault(
                key,
                {
                    "raw": raw_name or email,
                    "name": name,
                    "original": original,
                    "email": email or None,
                    "minutes": 0,
                    "sessions": 0,
                },
            )
            if len(people) > MAX_PARTICIPANTS:
                raise _fail(TOO_MANY_PARTICIPANTS)
            person["minutes"] += minutes
            person["sessions"] += 1
    except csv.Error as exc:
        raise _fail(
            f"Die CSV-Datei ist beschädigt (Zeile {reader.line_num}: {exc}). Bitte den "
            "Bericht erneut aus Zoom exportieren."
        ) from exc
    if read == 0:
        raise _fail("Die Teilnehmertabelle enthält keine Teilnehmenden.")
    return ZoomReport(
        participants=tuple(
            Participant(
                raw_name=p["raw"],
                name=p["name"],
                original_name=p["original"],
                email=p["email"],
                minutes=p["minutes"],
                sessions=p["sessions"],
            )
            for p in people.values()
        ),
        rows_read=read,
        encoding=encoding,
        days=tuple(sorted(days)),
    )


# --- matching -----------------------------------------------------------------------------


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^\w]+|_", " ", plain).strip()


def name_keys(name: str | None) -> frozenset[str]:
    """Comparison keys of a name: case, spacing, accents, word order and the umlaut
    spelling ("Müller" = "Mueller" = "Muller") do not matter."""
    if not name:
        return frozenset()
    folded = unicodedata.normalize("NFKC", name).casefold()  # also ß → ss
    umlauts = folded.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    keys = set()
    for variant in (folded, umlauts):
        words = _strip_marks(variant).split()
        if words:
            keys.add(" ".join(words))
            keys.add(" ".join(sorted(words)))
    return frozenset(keys)


def _primary_key(name: str) -> str:
    words = _strip_marks(unicodedata.normalize("NFKC", name).casefold()).split()
    return " ".join(words)


def _match(
    session: Session,
    meeting: Meeting,
    report: ZoomReport,
    choices: Mapping[str, int | None] | None = None,
) -> ImportPreview:
    """Match the report; ``choices`` decides names that fit several registrations
    (participant as in the report → registration id, or None: not registered)."""
    choices = choices or {}
    registrations = session.exec(
        select(Registration)
        .where(
            Registration.meeting_id == meeting.id,
            col(Registration.status).in_(
                (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
            ),
        )
        .order_by(Registration.id)
    ).all()
    by_email = {r.email_normalized: r for r in registrations if r.email_normalized}
    by_name: dict[str, set[int]] = {}
    by_id = {r.id: r for r in registrations}
    for r in registrations:
        for key in name_keys(r.name):
            by_name.setdefault(key, set()).add(r.id)
    team_emails = {
        email_key(e)
        for e in session.exec(
            select(Organizer.email).where(
                col(Organizer.email).is_not(None),
                Organizer.active == True,  # noqa: E712
            )
        ).all()
    }

    matched: dict[int, MatchedParticipant] = {}
    unmatched: list[str] = []
    team: list[str] = []
    ambiguous: list[AmbiguousParticipant] = []
    for p in report.participants:
        registration, by = (by_email.get(p.email), "email") if p.email else (None, "")
        candidates: set[int] = set()
        if registration is None:
            for candidate in (p.original_name, p.name, p.raw_name):
                ids = set().union(*(by_name.get(k, set()) for k in name_keys(candidate)))
                if len(ids) == 1:
                    registration, by = by_id[ids.pop()], "name"
                    break
                if len(ids) > 1:
                    candidates = ids  # two registrations fit this name: do not guess
                    break
        if registration is None and candidates:
            if p.raw_name not in choices:
                ambiguous.append(
                    AmbiguousParticipant(
                        participant=p.raw_name,
                        candidates=tuple(
                            (i, by_id[i].name or "(anonymisiert)") for i in sorted(candidates)
                        ),
                    )
                )
                continue
            chosen = choices[p.raw_name]
            if chosen in candidates:
                registration, by = by_id[chosen], "choice"
        if registration is not None:
            # The same person on a second device (or with and without e-mail) counts once.
            matched.setdefault(
                registration.id,
                MatchedParticipant(
                    registration_id=registration.id,
                    registration_name=registration.name,
                    participant=p.raw_name,
                    by=by,
                    waitlisted=registration.status == RegistrationStatus.WAITLISTED,
                ),
            )
        elif p.email and p.email in team_emails:
            team.append(p.raw_name)
        else:
            unmatched.append(p.raw_name)
    # Whoever an open question might be is neither there nor absent until it is decided.
    undecided = {i for a in ambiguous for i, _name in a.candidates}
    absent = [
        r
        for r in registrations
        if r.status == RegistrationStatus.CONFIRMED and r.id not in matched.keys() | undecided
    ]
    return ImportPreview(
        meeting_id=meeting.id,
        report=report,
        matched=tuple(sorted(matched.values(), key=lambda m: m.registration_id)),
        unmatched=tuple(unmatched),
        team=tuple(team),
        absent=tuple(r.id for r in absent),
        absent_names=tuple(r.name or "(anonymisiert)" for r in absent),
        meeting_over=False,
        ambiguous=tuple(ambiguous),
        before=recorded_attendance(session, meeting),
        registrations=len(registrations),
    )


def recorded_attendance(session: Session, meeting: Meeting) -> AttendanceFigures:
    """The attendance recorded for a meeting now (the one count every view uses)."""
    attended, absent = session.exec(
        select(count_if(attended_condition()), count_if(absent_condition())).where(
            Registration.meeting_id == meeting.id
        )
    ).one()
    return AttendanceFigures(
        attended=int(attended), absent=int(absent), unregistered=meeting.unregistered_attendees
    )


def _warnings(meeting: Meeting, report: ZoomReport, now: datetime) -> tuple[str, ...]:
    warnings = []
    day = berlin(meeting.starts_at).date()
    if report.days and day not in report.days:
        shown = ", ".join(d.strftime("%d.%m.%Y") for d in report.days[:3])
        warnings.append(
            f"Der Bericht stammt vom {shown}, der gewählte Termin ist am "
            f"{format_day(meeting.starts_at)}. Ist das der richtige Termin?"
        )
    if not is_over(meeting, now) and attendance_refusal(meeting, now) is None:
        warnings.append(
            "Das Treffen läuft noch: Angemeldete, die im Bericht fehlen, bleiben „unbekannt“."
        )
    return tuple(warnings)


def preview_import(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    report: ZoomReport,
    now: datetime,
    choices: Mapping[str, int | None] | None = None,
) -> ImportPreview:
    """Match a parsed report against a meeting's registrations, without writing anything.

    The preview names what is recorded now (``before``) and what will be (``after``), and
    the names that fit several registrations (``ambiguous``) until ``choices`` decides."""
    require_organizer(session, actor)
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("Diesen Termin gibt es nicht.")
    preview = _match(session, meeting, report, choices)
    return _with_state(preview, meeting, now)


def _with_state(preview: ImportPreview, meeting: Meeting, now: datetime) -> ImportPreview:
    over = is_over(meeting, now)
    return replace(
        preview,
        meeting_over=over,
        absent=preview.absent if over else (),
        absent_names=preview.absent_names if over else (),
        blocked=attendance_refusal(meeting, now),
        warnings=_warnings(meeting, preview.report, now),
    )


def apply_import(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    report: ZoomReport,
    now: datetime,
    choices: Mapping[str, int | None] | None = None,
    replace_recorded: bool = False,
    confirm_many: bool = False,
) -> ImportPreview:
    """Record attendance from a parsed report in one audited transaction; it replaces
    whatever was recorded for the meeting.

    Matching is done again inside the transaction (with the meeting locked), so what is
    written fits the registrations as they are now, not as they were at the preview.
    Refused while a name fits several registrations and ``choices`` does not decide it,
    when attendance is recorded already and ``replace_recorded`` is not confirmed, and
    when the report names more people than the registrations make plausible
    (:func:`plausible_participants`) and ``confirm_many`` is not confirmed (the message
    is the question, key ``confirm_many``).
    """
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = lock_meeting(session, meeting_id)
        blocked = attendance_refusal(meeting, now)
        if blocked:
            raise _fail(blocked)
        preview = _with_state(_match(session, meeting, report, choices), meeting, now)
        if preview.unusually_many and not confirm_many:
            raise ValidationError.single("confirm_many", preview.size_question)
        if preview.ambiguous:
            names = ", ".join(a.participant for a in preview.ambiguous)
            raise ValidationError.single(
                "choices", f"Bitte ordnen Sie zuerst zu, wer gemeint ist: {names}."
            )
        if preview.before.recorded and preview.before != preview.after and not replace_recorded:
            before, after = preview.before, preview.after
            raise ValidationError.single(
                "replace_recorded",
                f"Für dieses Treffen ist schon Teilnahme erfasst ({before.total} dabei, davon "
                f"{before.unregistered} ohne Anmeldung). Der Bericht ersetzt das durch "
                f"{after.total} dabei, davon {after.unregistered} ohne Anmeldung. Bitte "
                "bestätigen Sie das.",
            )
        # A new report replaces the last one: start from "unknown" for everybody.
        write_attendance(
            session,
            session.exec(
                select(Registration.id).where(Registration.meeting_id == meeting.id)
            ).all(),
            Attendance.UNKNOWN,
            now,
        )
        attended = [m.registration_id for m in preview.matched]
        write_attendance(session, attended, Attendance.YES, now)
        write_attendance(session, list(preview.absent), Attendance.NO, now)
        meeting.unregistered_attendees = preview.unregistered_attendees
        session.add(meeting)
        record(
            session,
            actor=actor,
            action="meeting.attendance_import",
            obj=("meeting", meeting.id),
            details={
                "rows": report.rows_read,
                "participants": len(report.participants),
                "matched": len(attended),
                "waitlisted_matched": preview.waitlisted_matched,
                "unmatched": len(preview.unmatched),
                "team": len(preview.team),
                "absent": len(preview.absent),
                "unregistered_attendees": preview.unregistered_attendees,
                "decided": len(choices or {}),
                "before": preview.before.total,
                "after": preview.after.total,
                # Recorded only when the organizer confirmed an unusually large report.
                **({"confirmed_many": True} if preview.unusually_many else {}),
            },
            now=now,
        )
    return preview


__all__ = [
    "AmbiguousParticipant",
    "AttendanceFigures",
    "ImportPreview",
    "MatchedParticipant",
    "Participant",
    "ZoomReport",
    "apply_import",
    "name_keys",
    "parse_zoom_report",
    "plausible_participants",
    "preview_import",
    "split_zoom_name",
]
