"""The Zoom participant report: parsing, matching, applying, and refusing bad files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from stammtisch import imports
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


def _preview(engine, actor, meeting_id, rep, now):
    with session_scope(engine) as s:
        return imports.preview_import(
            session=s, actor=actor, meeting_id=meeting_id, report=rep, now=now
        )


def _apply(engine, actor, meeting_id, rep, now):
    with session_scope(engine) as s:
        return imports.apply_import(
            session=s, actor=actor, meeting_id=meeting_id, report=rep, now=now
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
    _apply(engine, actor, meeting_id, report("report_unique_users.csv"), now)
    # "Doe, Kim" matches Kim Doe by name regardless of word order; Jan is now missing.
    assert _state(engine, meeting_id) == (
        {"Erika Beispiel": "yes", "Jan Müller": "no", "Kim Doe": "yes"},
        1,
    )


def test_ambiguous_name_is_not_guessed(engine, now, actor):
    meeting_id = _past_meeting(engine, now)
    f.register(
        engine,
        meeting_id,
        "k2",
        now=now - timedelta(days=9),
        name="Kim  DOE",
        email="kim2@example.org",
    )
    rep = imports.parse_zoom_report(b"Name (Original Name),User Email\nKim Doe,\n")
    preview = _preview(engine, actor, meeting_id, rep, now)
    assert preview.matched == () and preview.unmatched == ("Kim Doe",)


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
