"""Exports of registrations as CSV and Excel, neutralised against formula injection."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openpyxl import load_workbook

from stammtisch import exports, privacy
from stammtisch.db import session_scope
from stammtisch.errors import NotFound, PermissionDenied
from stammtisch.organizers import OrganizerIdentity
from tests import factories as f

EVIL = ["=1+1", "+49 341 1234", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", '=HYPERLINK("http://x")']


@pytest.fixture
def actor(engine, now) -> OrganizerIdentity:
    return f.organizer(engine, now=now)


def _frame(engine, actor, meeting_id) -> pd.DataFrame:
    with session_scope(engine) as s:
        return exports.registrations_frame(session=s, actor=actor, meeting_id=meeting_id)


def test_frame_has_german_columns_and_labels(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now, name="Erika Beispiel", organisation="BUND")
    f.register(engine, meeting_id, 2, now=now, federal_state="thueringen")
    frame = _frame(engine, actor, meeting_id)
    assert list(frame.columns) == list(exports.COLUMNS)
    assert frame.iloc[0][
        ["Name", "Organisation", "Bundesland", "Status", "Teilnahme"]
    ].tolist() == [
        "Erika Beispiel",
        "BUND",
        "Sachsen",
        "angemeldet",
        "unbekannt",
    ]
    assert frame.iloc[1][["Bundesland", "Status"]].tolist() == ["Thüringen", "Warteliste"]
    assert frame.iloc[0]["Angemeldet am"] == "20.11.2021, 12:00 Uhr"


def test_csv_is_semicolon_utf8_with_bom_for_german_excel(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, name="Jürgen Groß", organisation="Verein; e.V.")
    data = exports.to_csv(_frame(engine, actor, meeting_id))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert (
        text.splitlines()[0]
        == "Nr.;Name;E-Mail;Organisation;Bundesland;Status;Teilnahme;Angemeldet am"
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][1:4] == ["Jürgen Groß", "person1@example.org", "Verein; e.V."]


@pytest.mark.parametrize("evil", EVIL)
def test_csv_neutralises_formula_cells(engine, now, actor, evil):
    meeting_id = f.meeting(engine, now=now)
    # The registration form strips control characters, so tab/CR cells are built directly.
    frame = _frame(engine, actor, meeting_id)
    frame.loc[0] = [1, evil, "a@b.de", evil, "", "angemeldet", "ja", "x"]
    text = exports.to_csv(frame).decode("utf-8-sig")
    [row] = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert row[1] == "'" + evil and row[3] == "'" + evil


@pytest.mark.parametrize("evil", EVIL)
def test_xlsx_neutralises_formula_cells(engine, now, actor, evil):
    meeting_id = f.meeting(engine, now=now)
    frame = _frame(engine, actor, meeting_id)
    frame.loc[0] = [1, evil, "a@b.de", evil, "", "angemeldet", "ja", "x"]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    for column in (2, 4):
        cell = sheet.cell(row=2, column=column)
        assert cell.data_type == "s"  # text, not a formula
        # XML turns a lone carriage return into a line feed; the apostrophe is what counts.
        assert cell.value.startswith("'") and cell.value[1:].strip() == evil.strip()
    assert sheet.cell(row=2, column=1).value == 1  # numbers stay numbers


def test_exports_of_registered_organisation_with_formula(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, name="=cmd|' /C calc'!A0", organisation="@evil")
    frame = _frame(engine, actor, meeting_id)
    assert frame.iloc[0]["Name"] == "=cmd|' /C calc'!A0"  # the frame keeps the real value
    assert ";'=cmd|' /C calc'!A0;" in exports.to_csv(frame).decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    assert [sheet.cell(row=2, column=c).value for c in (2, 4)] == ["'=cmd|' /C calc'!A0", "'@evil"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=A1", "'=A1"), ("safe", "safe"), ("a=b", "a=b"), ("", ""), (3, 3), (None, None)],
)
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def test_xlsx_drops_characters_xml_cannot_carry():
    frame = pd.DataFrame({"Name": ["A\x01B"]})
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    assert sheet.cell(row=2, column=1).value == "AB"


def test_export_refused_without_organizer_and_for_unknown_meeting(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        exports.registrations_frame(session=s, actor=None, meeting_id=meeting_id)
    with session_scope(engine) as s, pytest.raises(NotFound):
        exports.registrations_frame(session=s, actor=actor, meeting_id=999)


def test_file_stem_uses_the_berlin_day():
    late = datetime(2021, 12, 6, 23, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 7th in Berlin
    assert exports.export_file_stem(late) == "anmeldungen-2021-12-07"


def test_frame_lists_in_arrival_order_and_shows_what_is_left_after_anonymising(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, name="Ada", federal_state=None)
    f.register(engine, meeting_id, 2, now=now, name="Ben", organisation="BUND")
    with session_scope(engine) as s:
        privacy.erase_person(session=s, actor=actor, email="person2@example.org", now=now)
    frame = _frame(engine, actor, meeting_id)
    # Arrival order, not the order of the status index ("storniert" before "angemeldet").
    assert frame.values.tolist() == [
        [
            1,
            "Ada",
            "person1@example.org",
            "",
            "",
            "angemeldet",
            "unbekannt",
            "20.11.2021, 12:00 Uhr",
        ],
        [2, "(anonymisiert)", "", "", "Sachsen", "storniert", "unbekannt", "20.11.2021, 12:00 Uhr"],
    ]


def test_unknown_meeting_is_refused_in_german(engine, now, actor):
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        exports.registrations_frame(session=s, actor=actor, meeting_id=999)
    assert err.value.message == "Diesen Termin gibt es nicht."


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_xlsx_sheet_layout():
    frame = pd.DataFrame({"Nr.": [1, 2], "Name": ["Ada", "B" * 80], "E-Mail": ["a@b.de", ""]})
    sheet = _sheet(exports.to_xlsx(frame))
    assert sheet.title == "Anmeldungen" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["Nr.", "Name", "E-Mail"]
    assert all(c.font.bold for c in sheet[1]) and not sheet["B2"].font.bold
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == [1, 2]
    # Each column as wide as its longest text plus two, at most 50.
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [5, 50, 8]
    assert sheet.max_row == 3


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Anmeldungen 06.12.2021", "Anmeldungen 06.12.2021"),
        ("x" * 40, "x" * 31),  # Excel's limit for a sheet name
        ("\x01\x02", "Anmeldungen"),  # nothing left: the default name
        ("A\x01B", "AB"),
    ],
)
def test_xlsx_sheet_title(title, expected):
    sheet = _sheet(exports.to_xlsx(pd.DataFrame({"Nr.": [1]}), title=title))
    assert sheet.title == expected


def test_xlsx_width_looks_at_the_first_500_rows():
    names = ["kurz"] * 500 + ["sehr-lang" * 4]
    sheet = _sheet(exports.to_xlsx(pd.DataFrame({"Name": names})))
    assert sheet.column_dimensions["A"].width == len("kurz") + 2


def test_xlsx_first_row_stays_text_when_a_control_character_hid_a_formula():
    frame = pd.DataFrame({"Name": ["\x01=1+1", "\x01=2+2"]})
    sheet = _sheet(exports.to_xlsx(frame))
    for row in (2, 3):
        cell = sheet.cell(row=row, column=1)
        assert (cell.value, cell.data_type) == (f"={row - 1}+{row - 1}", "s")
