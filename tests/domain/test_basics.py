"""Clock, configuration and German date formatting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stammtisch.clock import BERLIN, FixedClock, SystemClock, clock_from_setting, parse_instant
from stammtisch.config import DEFAULT_DATABASE_URL, load_settings
from stammtisch.formatting import format_day, format_meeting_time, format_timestamp


def test_parse_instant_reads_offsets_and_berlin_wall_time():
    assert parse_instant("2021-11-20T12:00:00+01:00") == datetime(2021, 11, 20, 11, tzinfo=UTC)
    assert parse_instant("2022-04-25T17:00") == datetime(2022, 4, 25, 15, tzinfo=UTC)  # CEST


def test_clock_from_setting():
    assert isinstance(clock_from_setting(None), SystemClock)
    assert isinstance(clock_from_setting("  "), SystemClock)
    fixed = clock_from_setting("2021-11-20T12:00:00+01:00")
    assert isinstance(fixed, FixedClock) and fixed.now().tzinfo is not None
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError):
        FixedClock(datetime(2021, 1, 1))


def test_settings_environment_wins_over_secrets_over_defaults():
    assert load_settings({}, {}).database_url == DEFAULT_DATABASE_URL
    assert load_settings({}, {"DATABASE_URL": "sqlite:///s.db"}).database_url == "sqlite:///s.db"
    both = load_settings({"DATABASE_URL": "sqlite:///e.db"}, {"DATABASE_URL": "sqlite:///s.db"})
    assert both.database_url == "sqlite:///e.db"
    assert load_settings({"STAMMTISCH_NOW": "2021-11-20T12:00"}, {}).now == "2021-11-20T12:00"
    assert DEFAULT_DATABASE_URL.endswith("/data/stammtisch.db")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((2021, 12, 6, 16, 0), (2021, 12, 6, 17, 30), "Mo, 06.12.2021, 17:00–18:30 Uhr"),
        ((2022, 4, 25, 15, 0), (2022, 4, 25, 16, 30), "Mo, 25.04.2022, 17:00–18:30 Uhr"),
        (
            (2022, 3, 1, 22, 0),
            (2022, 3, 2, 0, 30),
            "Di, 01.03.2022, 23:00 Uhr – Mi, 02.03.2022, 01:30 Uhr",
        ),
    ],
)
def test_meeting_time_as_germans_write_it(start, end, expected):
    assert format_meeting_time(datetime(*start, tzinfo=UTC), datetime(*end, tzinfo=UTC)) == expected


def test_day_and_timestamp_in_berlin():
    moment = datetime(2021, 10, 31, 23, 30, tzinfo=UTC)  # already 1 November in Berlin
    assert format_day(moment) == "Mo, 01.11.2021"
    assert format_timestamp(moment) == "01.11.2021, 00:30 Uhr"
    assert moment.astimezone(BERLIN).day == 1


def test_data_version_row_is_written_last_in_a_write(engine):
    """Pending ORM changes go out before the version bump: the app-wide version row is
    locked only for the moment before the commit."""
    from sqlalchemy import event

    from stammtisch.db import session_scope, write_transaction
    from stammtisch.models import SiteSetting

    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as s, write_transaction(s):
            s.add(SiteSetting(key="test_marker", value="1"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements[-2:] == ["INSERT", "UPDATE"]
