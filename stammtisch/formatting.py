"""Dates and times as Germans write them, via Babel, always in Europe/Berlin."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from babel.dates import format_datetime
from babel.numbers import format_decimal

from stammtisch.clock import BERLIN

LOCALE = "de_DE"
# "ccc" is CLDR's stand-alone abbreviated weekday: "Mo" (the format form "EEE" is "Mo.").
_DAY = "ccc, dd.MM.yyyy"
_TIME = "HH:mm"


# Babel's formatting costs about 0.1 ms a call and a page formats the same few dozen
# instants on every rerun; equal instants give equal text whatever their time zone.
_memo = lru_cache(maxsize=4096)


def berlin(instant: datetime) -> datetime:
    return instant.astimezone(BERLIN)


@_memo
def format_day(instant: datetime) -> str:
    """'Mo, 06.12.2021'"""
    return format_datetime(berlin(instant), _DAY, tzinfo=BERLIN, locale=LOCALE)


@_memo
def format_time(instant: datetime) -> str:
    return format_datetime(berlin(instant), _TIME, tzinfo=BERLIN, locale=LOCALE)


@_memo
def format_long_day(instant: datetime) -> str:
    """'Montag, 6. Dezember 2021'"""
    return format_datetime(berlin(instant), "EEEE, d. MMMM yyyy", tzinfo=BERLIN, locale=LOCALE)


@_memo
def format_meeting_time(starts_at: datetime, ends_at: datetime) -> str:
    """'Mo, 06.12.2021, 17:00–18:30 Uhr' (with both days when it runs past midnight)."""
    start, end = berlin(starts_at), berlin(ends_at)
    if start.date() == end.date():
        return f"{format_day(start)}, {format_time(start)}–{format_time(end)} Uhr"
    return (
        f"{format_day(start)}, {format_time(start)} Uhr – {format_day(end)}, {format_time(end)} Uhr"
    )


@_memo
def format_timestamp(instant: datetime) -> str:
    """'06.12.2021, 17:03 Uhr'"""
    return (
        format_datetime(berlin(instant), "dd.MM.yyyy, HH:mm", tzinfo=BERLIN, locale=LOCALE) + " Uhr"
    )


@_memo
def format_count(value: int) -> str:
    """'180.020' (German grouping, via Babel)."""
    return format_decimal(value, locale=LOCALE)


@_memo
def month_label(year_month: str) -> str:
    """'2026-01' → 'Jan. 2026' (German month abbreviations, via Babel)."""
    from babel.dates import format_date

    year, month = (int(part) for part in year_month.split("-"))
    return format_date(datetime(year, month, 1), "MMM yyyy", locale=LOCALE)
