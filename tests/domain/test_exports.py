"""Exports of registrations as CSV and Excel, neutralised against formula injection."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openpyxl import load_workbook

from stammtisch import exports
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
