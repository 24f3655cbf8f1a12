"""The app's notion of "now".

The clock is created once from the configuration and passed into services as a plain
aware ``datetime``; nothing in the domain calls ``datetime.now()`` on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, always timezone-aware (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A pinned instant, for demos and tests (``STAMMTISCH_NOW``)."""

    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.instant


def parse_instant(text: str) -> datetime:
    """Parse an ISO date-time; a value without offset is read as Berlin local time."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    return value


def clock_from_setting(pinned: str | None) -> Clock:
    """A fixed clock when ``pinned`` (an ISO date-time) is given, else the system clock."""
    if pinned and pinned.strip():
        return FixedClock(parse_instant(pinned))
    return SystemClock()
