"""The clock: instants with offsets or Berlin wall time, a fixed clock for demos and tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stammtisch.clock import FixedClock, SystemClock, clock_from_setting, parse_instant


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
