"""The Zoom participant report: parsing, matching, applying, and refusing bad files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from stammtisch import imports, organizers, privacy
from stammtisch.db import session_scope
from stammtisch.errors import FORM, NotFound, PermissionDenied, ValidationError
from stammtisch.models import AuditEntry, Meeting, Registration
from stammtisch.organizers import OrganizerIdentity
from tests import factories as f

ZOOM = Path(__file__).resolve().parents[1] / "data" / "zoom"


def report(name: str) -> imports.ZoomReport:
    return imports.parse_zoom_report((ZOOM / name).read_bytes())


@pytest.fixture
def actor(engine, now) -> OrganizerIdentity:
    return f.organizer(engine, now=now, email="Team@Example.org")


def _past_meeting(engine, now, *, capacity: int | None = None) -> int:
    """A meeting on 17.11.2021 (three days before ``now``) with three registrations."""
    meeting_id = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17, capacity=capacity)
    before = now - timedelta(days=10)
    f.register(
        engine, meeting_id, "e", now=before, name="Erika Beispiel", email="erika@example.org"
    )
    f.register(engine, meeting_id, "j", now=before, name="Jan Müller", email="jan@example.org")
    f.register(engine, meeting_id, "k", now=before, name="Kim Doe", email="kim@example.org")
    return meeting_id


def _state(engine, meeting_id):
    with session_scope(engine) as s:
        rows = s.exec(
            select(Registration)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.id)
        ).all()
        meeting = s.get(Meeting, meeting_id)
        return {r.name: r.attendance for r in rows}, meeting.unregistered_attendees


def _preview(engine, actor, meeting_id, rep, now, **kw):
    with session_scope(engine) as s:
        return imports.preview_import(
            session=s, actor=actor, meeting_id=meeting_id, report=rep, now=now, **kw
        )


def _apply(engine, actor, meeting_id, rep, now, **kw):
    with session_scope(engine) as s:
        return imports.apply_import(
            session=s, actor=actor, meeting_id=meeting_id, report=rep, now=now, **kw
        )


# --- parsing (no database) ----------------------------------------------------------------


def test_parse_report_with_meeting_block_merges_reconnects():
    rep = report("report_en.csv")
    assert rep.rows_read == 6 and rep.duplicates_merged == 1
    erika = next(p for p in rep.participants if p.email == "erika@example.org")
    assert (erika.name, erika.original_name, erika.minutes, erika.sessions) == (
        "Erika B",
        "Erika Beispiel",
        88,
        2,
    )
    assert [p.raw_name for p in rep.participants if p.email is None] == [
        "iPhone von Jan",
        "Jan Müller",
        "Unbekannte Person",
    ]
    assert rep.encoding == "utf-8-sig"


def test_parse_german_windows_report_with_semicolons():
    rep = report("report_de_cp1252.csv")
    assert rep.encoding == "cp1252"
    assert rep.rows_read == 4
    # "JAN MUELLER" and "Jan  Mueller" without e-mail: one person by normalised name.
    assert [(p.raw_name, p.sessions, p.minutes) for p in rep.participants] == [
        ("Erika Beispiel", 1, 92),
        ("JAN MUELLER", 2, 85),
        ("Zoë Ölmann (Zoë Ölmann-Weiß)", 1, 85),
    ]


def test_parse_unique_users_report_with_total_duration():
    rep = report("report_unique_users.csv")
    assert [(p.raw_name, p.minutes) for p in rep.participants] == [
        ("Erika Beispiel", 88),
        ("Doe, Kim", 75),
        ("Gast", 12),
    ]


def test_parse_latin1_fallback():
    data = "Name;E-Mail\nJosé Nuñez\x81;\n".encode("latin-1")  # 0x81 is undefined in cp1252
    rep = imports.parse_zoom_report(data)
    assert rep.encoding == "latin-1"
    assert rep.participants[0].raw_name == "José Nuñez"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ((ZOOM / "empty.csv").read_bytes(), "Die Datei ist leer."),
        (b"  \r\n\r\n", "Die Datei ist leer."),
        ((ZOOM / "malformed.csv").read_bytes(), "fehlt die Teilnehmertabelle"),
        ((ZOOM / "bad_duration.csv").read_bytes(), "Zeile 2: „viele“ ist keine Dauer"),
        ((ZOOM / "truncated.csv").read_bytes(), "Zeile 3 hat zu wenige Spalten"),
        ((ZOOM / "broken_quotes.csv").read_bytes(), "Zeile 3 hat zu wenige Spalten"),
        (b"Name,User Email\n", "enthält keine Teilnehmenden"),
        (b"PK\x03\x04" + b"\x14\x00" * 50, "Excel-Datei"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "keine CSV-Datei"),
        (bytes(range(1, 32)) * 40, "nicht als Text lesen"),
        (b"x" * (5 * 1024 * 1024 + 1), "zu groß"),
        (b"Name,User Email\n" + b"A,a@b.de\n" * 20_001, "zu viele Zeilen"),
        (b'Name,User Email\n"' + b"x" * 200_000 + b'",a@b.de\n', "beschädigt"),
        (
            (ZOOM / "report_en.csv").read_text(encoding="utf-8-sig").encode("utf-16"),
            "UTF-16",
        ),
    ],
)
def test_parse_bad_file_gets_clear_german_message(data, fragment):
    with pytest.raises(ValidationError) as err:
        imports.parse_zoom_report(data)
    assert fragment in err.value.errors[FORM]


def test_parse_refuses_too_many_lines_before_reading_rows():
    # A few participants, then more empty lines than any real report has: refused by the
    # cheap line count up front (the row count catches 20,001 real rows, see above).
    data = b"Name,User Email\nA,a@b.de\n" + b"\n" * (
        imports.MAX_ROWS + imports.HEADER_SEARCH_ROWS + 1
    )
    with pytest.raises(ValidationError) as err:
        imports.parse_zoom_report(data)
    assert err.value.errors[FORM] == imports.TOO_MANY_ROWS


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Jan Müller", "JAN MUELLER"),
        ("Jan Müller", "jan muller"),
        ("  Zoë   Öztürk ", "ZOE OEZTUERK"),
        ("Beispiel, Erika", "Erika Beispiel"),
        ("Anne-Marie Groß", "anne marie gross"),
    ],
)
def test_name_keys_ignore_case_spacing_accents_and_order(left, right):
    assert imports.name_keys(left) & imports.name_keys(right)


def test_name_keys_keep_different_people_apart():
    assert not imports.name_keys("Jan Müller") & imports.name_keys("Jana Müller")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Erika B (Erika Beispiel)", ("Erika B", "Erika Beispiel")),
        ("Jan (er/ihm) (Jan Müller)", ("Jan (er/ihm)", "Jan Müller")),
        ("Jan", ("Jan", None)),
        ("(nur Klammer)", ("(nur Klammer)", None)),
    ],
)
def test_split_zoom_name(raw, expected):
    assert imports.split_zoom_name(raw) == expected


# --- preview and apply --------------------------------------------------------------------


def test_preview_matches_by_email_then_name_and_writes_nothing(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    preview = _preview(engine, actor, meeting_id, report("report_en.csv"), now)
    assert [(m.registration_name, m.by) for m in preview.matched] == [
        ("Erika Beispiel", "email"),
        ("Jan Müller", "name"),
    ]
    assert preview.unmatched == ("iPhone von Jan", "Unbekannte Person")
    assert preview.team == ("Leon Huff (Team)",)  # the organizer's address: not counted
    assert preview.absent_names == ("Kim Doe",)
    assert preview.unregistered_attendees == 2
    assert preview.meeting_over and preview.blocked is None
    # The report is from 06.12.2021, the meeting was on 17.11.2021.
    assert any("Ist das der richtige Termin?" in w for w in preview.warnings)
    assert _state(engine, meeting_id) == (
        {"Erika Beispiel": "unknown", "Jan Müller": "unknown", "Kim Doe": "unknown"},
        0,
    )


def test_apply_sets_attendance_and_unregistered_count_audited(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    result = _apply(engine, actor, meeting_id, report("report_en.csv"), now)
    assert len(result.matched) == 2
    assert _state(engine, meeting_id) == (
        {"Erika Beispiel": "yes", "Jan Müller": "yes", "Kim Doe": "no"},
        2,
    )
    with session_scope(engine) as s:
        entry = s.exec(
            select(AuditEntry).where(AuditEntry.action == "meeting.attendance_import")
        ).one()
    details = json.loads(entry.details)
    assert (entry.object_type, entry.object_id, entry.actor_name) == ("meeting", meeting_id, "orga")
    assert details["matched"] == 2 and details["unmatched"] == 2 and details["absent"] == 1
    assert "Erika" not in entry.details  # counts only, no names


def test_apply_german_report_matches_umlaut_spelling(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    preview = _preview(engine, actor, meeting_id, report("report_de_cp1252.csv"), now)
    assert preview.warnings == ()  # the report's day is the meeting's day
    _apply(engine, actor, meeting_id, report("report_de_cp1252.csv"), now)
    assert _state(engine, meeting_id) == (
        {"Erika Beispiel": "yes", "Jan Müller": "yes", "Kim Doe": "no"},
        1,  # Zoë Ölmann
    )


def test_apply_again_replaces_previous_import(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    _apply(engine, actor, meeting_id, report("report_en.csv"), now)
    # Replacing recorded attendance must be confirmed, with before and after named.
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, meeting_id, report("report_unique_users.csv"), now)
    assert (
        "schon Teilnahme erfasst (4 dabei, davon 2 ohne Anmeldung)"
        in (err.value.errors["replace_recorded"])
    )
    _apply(engine, actor, meeting_id, report("report_unique_users.csv"), now, replace_recorded=True)
    # "Doe, Kim" matches Kim Doe by name regardless of word order; Jan is now missing.
    assert _state(engine, meeting_id) == (
        {"Erika Beispiel": "yes", "Jan Müller": "no", "Kim Doe": "yes"},
        1,
    )


def test_ambiguous_name_is_not_guessed(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    _two_kims(engine, now, meeting_id)
    rep = imports.parse_zoom_report(b"Name (Original Name),User Email\nKim Doe,\n")
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert preview.matched == () and preview.unmatched == ()
    [question] = preview.ambiguous
    assert question.participant == "Kim Doe" and len(question.candidates) == 2


def test_same_person_on_two_devices_counts_once(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    rep = imports.parse_zoom_report(
        b"Name (Original Name),User Email\n"
        b"Erika Beispiel,erika@example.org\n"
        b"Erika Beispiel,\n"  # the phone, without an account
    )
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert len(rep.participants) == 2
    assert [m.registration_name for m in preview.matched] == ["Erika Beispiel"]
    assert preview.unmatched == () and preview.unregistered_attendees == 0


def test_waitlisted_attendee_counts_as_unregistered(engine, now, actor):
    meeting_id = _past_meeting(engine, now, capacity=3)
    with session_scope(engine) as s:
        s.add(
            Registration(
                meeting_id=meeting_id,
                name="Wanda Warteliste",
                email="wanda@example.org",
                email_normalized="wanda@example.org",
                consent_at=now,
                status="waitlisted",
                token_hash="w" * 64,
                participant_key="p" * 64,
                created_at=now,
            )
        )
        s.commit()
    rep = imports.parse_zoom_report(b"Name,User Email\nWanda,wanda@example.org\n")
    result = _apply(engine, actor, meeting_id, rep, now)
    assert result.waitlisted_matched == 1
    attendance, unregistered = _state(engine, meeting_id)
    assert attendance["Wanda Warteliste"] == "yes" and unregistered == 1


def test_import_while_meeting_runs_leaves_absent_unknown(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, meeting_id)
    during = meeting.starts_at + timedelta(minutes=30)
    preview = _preview(engine, actor, meeting_id, report("report_en.csv"), during)
    assert not preview.meeting_over and preview.absent == ()
    _apply(engine, actor, meeting_id, report("report_en.csv"), during)
    assert _state(engine, meeting_id)[0]["Kim Doe"] == "unknown"


def test_import_refused_before_meeting_and_for_cancelled(engine, now, actor):
    future = f.meeting(engine, now=now)
    preview = _preview(engine, actor, future, report("report_en.csv"), now)
    assert "erst ab Beginn des Treffens" in preview.blocked
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, future, report("report_en.csv"), now)
    assert "erst ab Beginn des Treffens" in err.value.errors[FORM]
    cancelled = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17, status="cancelled")
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, cancelled, report("report_en.csv"), now)
    assert "abgesagt" in err.value.errors[FORM]
    with pytest.raises(NotFound):
        _apply(engine, actor, 999, report("report_en.csv"), now)
    with session_scope(engine) as s:
        assert (
            s.exec(select(AuditEntry).where(AuditEntry.action == "meeting.attendance_import")).all()
            == []
        )


@pytest.mark.parametrize("service", ["preview", "apply"])
def test_import_without_organizer_is_refused(engine, now, actor, service):
    meeting_id = _past_meeting(engine, now)
    fn = _preview if service == "preview" else _apply
    for bad in (None, OrganizerIdentity(id=actor.id, name="falsch", display_name="x")):
        with pytest.raises(PermissionDenied):
            fn(engine, bad, meeting_id, report("report_en.csv"), now)
    assert _state(engine, meeting_id)[1] == 0
    assert set(_state(engine, meeting_id)[0].values()) == {"unknown"}


# --- exact messages and edges of the parser -------------------------------------------------

NOT_CSV = "Bitte den Teilnahmebericht in Zoom als CSV exportieren."
EXCEL = (
    "Das ist eine Excel-Datei, keine CSV-Datei. Bitte den Teilnahmebericht in Zoom als CSV "
    "exportieren (oder in Excel „Speichern unter → CSV UTF-8“)."
)
UTF16 = (
    "Die Datei ist als UTF-16 („Unicode-Text“) gespeichert. Bitte als CSV exportieren "
    "(in Excel: „Speichern unter → CSV UTF-8“)."
)
UNREADABLE = (
    "Die Datei lässt sich nicht als Text lesen (falsche Zeichenkodierung oder keine "
    f"CSV-Datei). {NOT_CSV}"
)
NO_TABLE = (
    "In der Datei fehlt die Teilnehmertabelle (Spalten wie „Name (Original Name)“ und "
    "„User Email“ bzw. „Name (ursprünglicher Name)“ und „E-Mail“). Bitte in Zoom unter "
    "Berichte → Nutzung → Teilnehmer als CSV exportieren."
)


def _refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as err:
        imports.parse_zoom_report(data)
    [(key, message)] = err.value.errors.items()
    assert key == FORM
    return message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04" + b"\x14\x00" * 50, EXCEL),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 50, EXCEL),  # the old .xls format
        (b"\xff\xfeN\x00a\x00", UTF16),
        (b"\xfe\xff\x00N\x00a", UTF16),  # big-endian
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            f"Das ist keine CSV-Datei (sie enthält Binärdaten). {NOT_CSV}",
        ),
        (b"Name,User Email\nA\x01\x02\x03\x04,a@b.de\n", UNREADABLE),  # four controls
        (b"Vorname,Nachname\nA,B\n", NO_TABLE),
        (b"Name\nA\n", NO_TABLE),  # a name alone is no participant table
        (
            b"Name,Duration (Minutes)\nA,viel zu lange Dauer ohne jede Zahl darin\n",
            "Zeile 2: „viel zu lange Dauer ohne jede “ ist keine Dauer in Minuten – ist das "
            "ein Teilnahmebericht von Zoom?",
        ),
        (
            b"Name,Duration (Minutes)\nA,100000\n",
            "Zeile 2: „100000“ ist keine mögliche Dauer in Minuten.",
        ),
        (
            b"Name,Duration (Minutes)\nA,-1\n",
            "Zeile 2: „-1“ ist keine mögliche Dauer in Minuten.",
        ),
        (
            b"Name,Duration (Minutes)\nA," + b"9" * 40 + b"\n",
            f"Zeile 2: „{'9' * 30}“ ist keine mögliche Dauer in Minuten.",
        ),
        (b"Name,User Email\n ,\n", "Die Teilnehmertabelle enthält keine Teilnehmenden."),
        (
            b'Name,User Email\n"' + b"x" * 200_000 + b'",a@b.de\n',
            "Die CSV-Datei ist beschädigt (Zeile 2: field larger than field limit (131072)). "
            "Bitte den Bericht erneut aus Zoom exportieren.",
        ),
    ],
)
def test_parse_refusals_in_full(data, message):
    assert _refusal(data) == message


def test_size_is_given_in_megabytes():
    data = b"x" * 5_295_310  # 5.05 MB: rounds up to 5.1
    assert _refusal(data) == (
        "Die Datei ist zu groß (5.1 MB, höchstens 5 MB). Ein Zoom-Teilnahmebericht ist viel "
        "kleiner – bitte die richtige Datei wählen."
    )
    assert _refusal(b"x" * imports.MAX_BYTES) == NO_TABLE  # exactly at the limit: read


@pytest.mark.parametrize(
    ("length", "controls", "readable"),
    [(40, 3, True), (40, 4, False), (2000, 10, True), (2000, 11, False)],
)
def test_a_few_control_characters_are_tolerated(length, controls, readable):
    """At most three, or one in 200 characters: a stray one is no reason to refuse."""
    head, tail = b"Name,User Email\nAda", b",ada@b.de\n"
    data = head + b"\x01" * controls + b"x" * (length - len(head + tail) - controls) + tail
    assert len(data) == length
    if readable:
        assert imports.parse_zoom_report(data).participants[0].name.startswith("Adaxx")
    else:
        assert _refusal(data) == UNREADABLE


@pytest.mark.parametrize(
    "header",
    [
        b"Name,Duration (Minutes)",  # no e-mail: the duration is enough
        b"Name,Join Time",  # or the join time
        b'Name,"""User   Email"""',  # quotes and odd spacing around a known header
        b"\xef\xbb\xbf\xef\xbb\xbfName,User Email",  # a second byte order mark
    ],
)
def test_header_variants_are_recognised(header):
    rep = imports.parse_zoom_report(header + b"\nAda Beispiel,5\n")
    assert [p.name for p in rep.participants] == ["Ada Beispiel"]


def test_a_row_that_breaks_one_separator_is_tried_with_the_next():
    wide = b"a" * 70_000
    data = wide + b";" + wide + b"\nName;User Email\nAda;ada@b.de\n"
    assert [p.email for p in imports.parse_zoom_report(data).participants] == ["ada@b.de"]


def test_parse_rows_names_minutes_and_days():
    data = (
        "Name (Original Name),User Email,Join Time,Duration (Minutes)\n"
        "Erika\u200b   Beispiel,,2021-11-16T16:58:00,\n"  # a hidden character, no e-mail
        ',ada@b.de,17.11.2021 17:00,"12,5"\n'  # no name: the address stands for it
        ",kein-at-zeichen,,\n"  # no name, no usable address: skipped, the rest is still read
        f"{'L' * 250},lang@b.de,11/18/2021 05:00 PM,0\n"
        "Name (Original Name),User Email,Join Time,Duration (Minutes)\n"  # pasted twice
        "Bo,bo@b.de,2021/11/19,99999.9\n"
        "Cy,cy@b.de,11/18/2021\n"  # the duration cell missing: no minutes
    ).encode()
    rep = imports.parse_zoom_report(data)
    assert [(p.raw_name, p.email, p.minutes) for p in rep.participants] == [
        ("Erika Beispiel", None, 0),
        ("ada@b.de", "ada@b.de", 12),
        ("L" * 200, "lang@b.de", 0),
        ("Bo", "bo@b.de", 99999),
        ("Cy", "cy@b.de", 0),
    ]
    assert rep.rows_read == 5
    assert rep.days == (
        date(2021, 11, 16),
        date(2021, 11, 17),
        date(2021, 11, 18),
        date(2021, 11, 19),
    )


def test_parse_without_duration_counts_no_minutes_and_cuts_long_addresses():
    long = "ada@" + "b" * 330 + ".de"
    rep = imports.parse_zoom_report(f"Name,User Email\nAda,{long}\n".encode())
    [ada] = rep.participants
    assert ada.minutes == 0 and ada.email == long[:320]


@pytest.mark.parametrize(
    ("rows", "allowed"), [(imports.MAX_ROWS, True), (imports.MAX_ROWS + 1, False)]
)
def test_row_limit(rows, allowed):
    # Reconnects: 500 people, each on many rows.
    data = b"Name,User Email\n" + b"".join(
        b"P%d,p%d@b.de\n" % (n % 500, n % 500) for n in range(rows)
    )
    if allowed:
        assert imports.parse_zoom_report(data).rows_read == rows
    else:
        assert _refusal(data) == imports.TOO_MANY_ROWS


def test_line_limit_counts_lines_not_rows():
    limit = imports.MAX_ROWS + imports.HEADER_SEARCH_ROWS
    data = b"Name,User Email\nA,a@b.de\n"
    assert imports.parse_zoom_report(data + b"\n" * (limit - 2)).rows_read == 1
    assert _refusal(data + b"\n" * (limit - 1)) == imports.TOO_MANY_ROWS


def test_name_keys_exactly():
    assert imports.name_keys("Jörg Bär") == frozenset(
        {"jorg bar", "bar jorg", "joerg baer", "baer joerg"}
    )
    assert imports.name_keys("Jäger") & imports.name_keys("JAEGER")
    assert imports.name_keys("") == frozenset()


# --- matching edges ------------------------------------------------------------------------


def test_matching_only_within_the_meeting_and_among_active_places(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    other = f.meeting(engine, now=now - timedelta(days=20), days_ahead=16)
    f.register(engine, other, "o", now=now - timedelta(days=10), name="Otto Anders")
    with session_scope(engine) as s:
        kim = s.exec(select(Registration).where(Registration.name == "Kim Doe")).one()
        kim.status = "cancelled"
        s.add(kim)
        s.commit()
    rep = imports.parse_zoom_report(
        b"Name,User Email\nOtto Anders,\nKim Doe,kim@example.org\nFremd,fremd@example.org\n"
    )
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert preview.meeting_id == meeting_id
    assert preview.matched == ()
    assert preview.unmatched == ("Otto Anders", "Kim Doe", "Fremd")  # none is the team
    assert preview.absent_names == ("Erika Beispiel", "Jan Müller")


def test_a_deactivated_organizer_counts_as_a_participant(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    rep = imports.parse_zoom_report(b"Name,User Email\nLeon,team@example.org\n")
    assert _preview(engine, actor, meeting_id, rep, now).team == ("Leon",)
    f.organizer(engine, now=now, name="alt", email="alt@example.org")
    with session_scope(engine) as s:
        organizers.set_active(session=s, name="alt", active=False, now=now)
    rep = imports.parse_zoom_report(b"Name,User Email\nAlt,alt@example.org\n")
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert (preview.team, preview.unmatched) == ((), ("Alt",))


def test_an_ambiguous_original_name_is_not_replaced_by_the_display_name(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    f.register(engine, meeting_id, "k2", now=now - timedelta(days=9), name="Doe Kim")
    rep = imports.parse_zoom_report(b"Name (Original Name),User Email\nJan Mueller (Kim Doe),\n")
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert preview.matched == () and preview.unmatched == ()
    assert [a.participant for a in preview.ambiguous] == ["Jan Mueller (Kim Doe)"]
    rep = imports.parse_zoom_report(b"Name (Original Name),User Email\nJan M (Jan Mueller),\n")
    [match] = _preview(engine, actor, meeting_id, rep, now).matched
    assert (match.participant, match.registration_name, match.by, match.waitlisted) == (
        "Jan M (Jan Mueller)",
        "Jan Müller",
        "name",
        False,
    )


def test_an_erased_person_missing_from_the_report_is_listed_as_anonymised(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    with session_scope(engine) as s:
        privacy.erase_person(session=s, actor=actor, email="kim@example.org", now=now)
    rep = imports.parse_zoom_report(b"Name,User Email\nErika Beispiel,erika@example.org\n")
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert preview.absent_names == ("Jan Müller", "(anonymisiert)")


def test_preview_warnings_in_full(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    rep = imports.parse_zoom_report(
        b"Name,Join Time\nA,11/01/2021\nB,11/02/2021\nC,11/03/2021\nD,11/04/2021\n"
    )
    with session_scope(engine) as s:
        starts = s.get(Meeting, meeting_id).starts_at
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert preview.warnings == (
        "Der Bericht stammt vom 01.11.2021, 02.11.2021, 03.11.2021, der gewählte Termin ist "
        "am Mi, 17.11.2021. Ist das der richtige Termin?",
    )
    during = _preview(engine, actor, meeting_id, rep, starts + timedelta(minutes=5))
    assert during.warnings[1:] == (
        "Das Treffen läuft noch: Angemeldete, die im Bericht fehlen, bleiben „unbekannt“.",
    )
    assert (during.absent, during.absent_names, during.meeting_over) == ((), (), False)
    with pytest.raises(NotFound) as err:
        _preview(engine, actor, 999, rep, now)
    assert err.value.message == "Diesen Termin gibt es nicht."


def test_apply_logs_every_count(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    _apply(engine, actor, meeting_id, report("report_en.csv"), now)
    [entry] = f.audit_entries(engine, "meeting.attendance_import")
    assert entry.details == {
        "rows": 6,
        "participants": 5,
        "matched": 2,
        "waitlisted_matched": 0,
        "unmatched": 2,
        "team": 1,
        "absent": 1,
        "unregistered_attendees": 2,
        "decided": 0,
        "before": 0,
        "after": 4,
    }


# --- each person counted once -------------------------------------------------------------


def _independent_total(engine, meeting_id) -> int:
    """Attendance counted straight from the tables, without the app's helpers."""
    from sqlalchemy import text

    with engine.connect() as conn:
        registered = conn.execute(
            text(
                "SELECT count(*) FROM registration WHERE meeting_id = :m "
                "AND status = 'confirmed' AND attendance = 'yes'"
            ),
            {"m": meeting_id},
        ).scalar_one()
        without = conn.execute(
            text("SELECT unregistered_attendees FROM meeting WHERE id = :m"), {"m": meeting_id}
        ).scalar_one()
    return registered + without


def _totals(engine, actor, meeting_id) -> tuple[int, int, int]:
    """The total as the registrations page, the dashboard and the tables count it."""
    from stammtisch import analytics, registration_admin

    with session_scope(engine) as s:
        page = registration_admin.counts(session=s, actor=actor, meeting_id=meeting_id)
        stats = analytics.meeting_stats(session=s).set_index("meeting_id")
    return (
        page.attended_total,
        int(stats.loc[meeting_id, "attended_total"]),
        _independent_total(engine, meeting_id),
    )


def test_two_registrations_with_the_same_name_are_asked_not_double_counted(engine, now, actor):
    """The Finn case: two "Finn Albrecht" registered, one came without his address."""
    meeting_id = _past_meeting(engine, now)
    before = now - timedelta(days=10)
    finns = [
        f.register(engine, meeting_id, n, now=before, name="Finn Albrecht", email=f"finn{n}@e.org")
        for n in (1, 2)
    ]
    rep = imports.parse_zoom_report(
        b"Name (Original Name),User Email\n"
        b"Erika Beispiel,erika@example.org\n"
        b"Jan M\xc3\xbcller,jan@example.org\n"
        b"Finn Albrecht,\n"
        b"Gast,\n"
    )
    preview = _preview(engine, actor, meeting_id, rep, now)
    [question] = preview.ambiguous
    assert question.participant == "Finn Albrecht"
    assert [i for i, _name in question.candidates] == [r.registration_id for r in finns]
    assert preview.unmatched == ("Gast",)  # Finn is not counted as a stranger …
    assert preview.absent_names == ("Kim Doe",)  # … nor as absent twice
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, meeting_id, rep, now)
    assert "Finn Albrecht" in err.value.errors["choices"]

    chosen = {"Finn Albrecht": finns[0].registration_id}
    decided = _preview(engine, actor, meeting_id, rep, now, choices=chosen)
    assert (decided.before.total, decided.after.total) == (0, 4)
    assert decided.after == imports.AttendanceFigures(attended=3, absent=2, unregistered=1)
    _apply(engine, actor, meeting_id, rep, now, choices=chosen)
    assert _totals(engine, actor, meeting_id) == (4, 4, 4)

    # "Keiner von beiden" counts him without registration; ticking the right Finn by hand
    # later moves him over instead of counting him twice.
    rep_again = dict(chosen, **{"Finn Albrecht": None})
    _apply(engine, actor, meeting_id, rep, now, choices=rep_again, replace_recorded=True)
    assert _totals(engine, actor, meeting_id) == (4, 4, 4)
    from stammtisch import registration_admin

    with session_scope(engine) as s:
        registration_admin.set_attendance(
            session=s,
            actor=actor,
            registration_ids=[finns[1].registration_id],
            attendance="yes",
            now=now,
            counted_without_registration=True,
        )
    assert _totals(engine, actor, meeting_id) == (4, 4, 4)


# --- reports larger than a meeting ------------------------------------------------------


def _people(count: int, *, first: int = 0) -> bytes:
    return b"Name (Original Name),User Email,Duration (Minutes)\n" + b"".join(
        b"Gast %d,gast%d@example.org,30\n" % (n, n) for n in range(first, first + count)
    )


def test_a_report_with_more_people_than_a_zoom_meeting_holds_is_refused():
    """20,000 different people were once accepted as attendance; Zoom holds 1,000."""
    assert len(imports.parse_zoom_report(_people(imports.MAX_PARTICIPANTS)).participants) == 1000
    assert _refusal(_people(imports.MAX_PARTICIPANTS + 1)) == imports.TOO_MANY_PARTICIPANTS
    assert _refusal(_people(20_000)) == imports.TOO_MANY_PARTICIPANTS
    assert "1.000" in imports.TOO_MANY_PARTICIPANTS
    # Many rows of few people (reconnects) are still one meeting.
    many_rows = _people(10) + b"".join(_people(10).split(b"\n", 1)[1] for _ in range(999))
    report = imports.parse_zoom_report(many_rows)
    assert (report.rows_read, len(report.participants)) == (10_000, 10)


def test_the_plausible_size_of_a_report():
    assert [imports.plausible_participants(n) for n in (0, 1, 3, 40)] == [50, 53, 59, 170]


def test_an_unusually_large_report_is_applied_only_when_confirmed(engine, now, actor):
    meeting_id = _past_meeting(engine, now)  # three registrations: up to 59 people plausible
    known = b"Erika Beispiel,erika@example.org,40\n"
    plausible = imports.parse_zoom_report(_people(58) + known)
    preview = _preview(engine, actor, meeting_id, plausible, now)
    assert (preview.counted, preview.registrations) == (59, 3)
    assert not preview.unusually_many and preview.size_question is None

    large = imports.parse_zoom_report(_people(59) + known)
    preview = _preview(engine, actor, meeting_id, large, now)
    assert preview.unusually_many
    assert preview.size_question == (
        "Der Bericht nennt 60 Personen, das Treffen hat aber nur 3 Anmeldungen. Alle 59 "
        "nicht Zugeordneten zählen dann als Teilnahme ohne Anmeldung. Ist das wirklich der "
        "Teilnahmebericht dieses Treffens?"
    )
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, meeting_id, large, now)
    assert err.value.errors == {"confirm_many": preview.size_question}
    assert _state(engine, meeting_id)[1] == 0  # nothing written
    assert not f.audit_entries(engine, "meeting.attendance_import")

    _apply(engine, actor, meeting_id, large, now, confirm_many=True)
    assert _state(engine, meeting_id)[1] == 59
    [entry] = f.audit_entries(engine, "meeting.attendance_import")
    assert entry.details["confirmed_many"] is True and entry.details["participants"] == 60


def test_the_size_question_for_a_meeting_without_registrations(engine, now, actor):
    meeting_id = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17)
    preview = _preview(engine, actor, meeting_id, imports.parse_zoom_report(_people(51)), now)
    assert preview.size_question.startswith(
        "Der Bericht nennt 51 Personen, das Treffen hat aber keine Anmeldung. Alle 51 "
    )


def test_the_team_does_not_count_towards_the_size(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    team = b"Team,team@example.org,90\n"
    preview = _preview(
        engine, actor, meeting_id, imports.parse_zoom_report(_people(59) + team), now
    )
    assert (preview.counted, len(preview.team), preview.unusually_many) == (59, 1, False)


# --- what the organizer is asked and shown ------------------------------------------------


def _two_kims(engine, now, meeting_id: int) -> int:
    """A second "Kim Doe" for the meeting of :func:`_past_meeting`; returns its id."""
    return f.register(
        engine,
        meeting_id,
        "k2",
        now=now - timedelta(days=9),
        name="Kim  DOE",
        email="kim2@example.org",
    ).registration_id


def test_an_ambiguous_name_lists_its_candidates_by_name_and_a_choice_says_so(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    second = _two_kims(engine, now, meeting_id)
    with session_scope(engine) as s:
        first = s.exec(select(Registration.id).where(Registration.name == "Kim Doe")).one()
    rep = imports.parse_zoom_report(b"Name,User Email\nKim Doe,\n")
    [question] = _preview(engine, actor, meeting_id, rep, now).ambiguous
    # The organizer picks by the names as registered (the page's options).
    assert question.candidates == ((first, "Kim Doe"), (second, "Kim DOE"))
    decided = _preview(engine, actor, meeting_id, rep, now, choices={"Kim Doe": second})
    [match] = decided.matched
    # "choice": the page shows "Ihre Wahl" instead of "E-Mail" or "Name".
    assert (match.registration_id, match.participant, match.by) == (second, "Kim Doe", "choice")


def test_apply_names_every_undecided_participant(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    _two_kims(engine, now, meeting_id)
    before = now - timedelta(days=10)
    for n in (1, 2):
        f.register(
            engine, meeting_id, f"f{n}", now=before, name="Finn Albrecht", email=f"finn{n}@e.org"
        )
    rep = imports.parse_zoom_report(b"Name,User Email\nKim Doe,\nFinn Albrecht,\n")
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, meeting_id, rep, now)
    assert err.value.errors == {
        "choices": "Bitte ordnen Sie zuerst zu, wer gemeint ist: Kim Doe, Finn Albrecht."
    }
    assert _state(engine, meeting_id)[0]["Kim Doe"] == "unknown"


def test_a_report_that_marked_everybody_absent_is_recorded_attendance(engine, now, actor):
    """Only "nein" recorded (nobody there but the team) still counts as recorded: a new
    report replaces it only once confirmed, with the before and after in the question."""
    meeting_id = _past_meeting(engine, now)
    only_team = imports.parse_zoom_report(b"Name,User Email\nLeon,team@example.org\n")
    _apply(engine, actor, meeting_id, only_team, now)
    assert _state(engine, meeting_id) == (
        {"Erika Beispiel": "no", "Jan Müller": "no", "Kim Doe": "no"},
        0,
    )
    erika = imports.parse_zoom_report(b"Name,User Email\nErika,erika@example.org\n")
    preview = _preview(engine, actor, meeting_id, erika, now)
    assert preview.before == imports.AttendanceFigures(attended=0, absent=3, unregistered=0)
    assert preview.before.recorded
    with pytest.raises(ValidationError) as err:
        _apply(engine, actor, meeting_id, erika, now)
    assert err.value.errors == {
        "replace_recorded": "Für dieses Treffen ist schon Teilnahme erfasst (0 dabei, davon 0 "
        "ohne Anmeldung). Der Bericht ersetzt das durch 1 dabei, davon 0 ohne Anmeldung. "
        "Bitte bestätigen Sie das."
    }
    assert _state(engine, meeting_id)[0]["Erika Beispiel"] == "no"  # nothing written
    _apply(engine, actor, meeting_id, erika, now, replace_recorded=True)
    assert _state(engine, meeting_id)[0]["Erika Beispiel"] == "yes"


def test_a_new_report_resets_whom_it_no_longer_names_in_its_meeting_only(engine, now, actor):
    """While the meeting runs nobody is marked absent: someone the first report named and
    the second does not goes back to "unbekannt" - and no other meeting is touched."""
    meeting_id = _past_meeting(engine, now)
    other = f.meeting(engine, now=now - timedelta(days=20), days_ahead=16)
    f.register(engine, other, "o", now=now - timedelta(days=10), name="Otto Anders")
    with session_scope(engine) as s:
        starts = s.get(Meeting, meeting_id).starts_at
        otto = s.exec(select(Registration).where(Registration.name == "Otto Anders")).one()
        otto.attendance = "yes"
        s.add(otto)
        s.commit()
    during = starts + timedelta(minutes=30)
    both = imports.parse_zoom_report(
        b"Name,User Email\nErika,erika@example.org\nJan,jan@example.org\n"
    )
    _apply(engine, actor, meeting_id, both, during)
    assert _state(engine, meeting_id)[0] == {
        "Erika Beispiel": "yes",
        "Jan Müller": "yes",
        "Kim Doe": "unknown",
    }
    erika = imports.parse_zoom_report(b"Name,User Email\nErika,erika@example.org\n")
    _apply(engine, actor, meeting_id, erika, during + timedelta(minutes=5), replace_recorded=True)
    assert _state(engine, meeting_id)[0] == {
        "Erika Beispiel": "yes",
        "Jan Müller": "unknown",
        "Kim Doe": "unknown",
    }
    assert _state(engine, other)[0] == {"Otto Anders": "yes"}


def test_a_row_without_its_join_time_cell_is_read_without_a_day():
    rep = imports.parse_zoom_report(
        b"Name,User Email,Join Time\nAda,ada@b.de,11/17/2021 05:00 PM\nCy,cy@b.de\n"
    )
    assert [p.name for p in rep.participants] == ["Ada", "Cy"]
    assert rep.days == (date(2021, 11, 17),)
