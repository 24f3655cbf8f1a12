"""German date formatting in Berlin time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stammtisch.clock import BERLIN
from stammtisch.formatting import format_day, format_meeting_time, format_timestamp


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
