"""Date proposals for the series: a weekday and time every N weeks, without public
holidays in Saxony, Saxony-Anhalt or Thuringia (``holidays`` library).

Proposals only; the team confirms them (:func:`stammtisch.meeting_admin.create_series`).
What to put on those dates is :mod:`stammtisch.planning`'s question."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays

from stammtisch.clock import BERLIN
from stammtisch.errors import FORM, ValidationError

STATES = {"SN": "Sachsen", "ST": "Sachsen-Anhalt", "TH": "Thüringen"}
WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
MAX_SHIFTS = 4
MAX_COUNT = 52


@dataclass(frozen=True)
class DateProposal:
    day: date
    starts_at: datetime
    ends_at: datetime
    note: str  # why the date moved, or "" when it is the regular date


def holiday_names(day: date, states: Iterable[str] = STATES) -> dict[str, list[str]]:
    """Holiday name -> the states where ``day`` is a public holiday."""
    found: dict[str, list[str]] = {}
    for code in states:
        calendar = holidays.country_holidays("DE", subdiv=code, years=day.year, language="de")
        name = calendar.get(day)
        if name:
            found.setdefault(name, []).append(STATES.get(code, code))
    return found


def _describe(found: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} in {', '.join(states)}" for name, states in found.items())


def propose_series(
    *,
    first_day: date,
    weekday: int = 0,
    start: time = time(17, 0),
    end: time = time(18, 30),
    every_weeks: int = 6,
    count: int = 4,
    states: Iterable[str] = tuple(STATES),
    taken: Iterable[date] = (),
) -> list[DateProposal]:
    """Dates on ``weekday`` every ``every_weeks`` weeks from ``first_day``.

    A date that is a public holiday in any of the states moves one week later (the
    rhythm continues from the regular date). Days in ``taken`` (existing meetings) are
    skipped the same way.
    """
    if not 0 <= weekday <= 6:
        raise ValidationError.single("weekday", "Bitte wählen Sie einen Wochentag.")
    if every_weeks < 1 or count < 1 or count > MAX_COUNT:
        raise ValidationError.single(
            FORM,
            f"Bitte planen Sie 1 bis {MAX_COUNT} Termine im Abstand von mindestens einer Woche.",
        )
    if end <= start:
        raise ValidationError.single("end", "Das Ende muss nach dem Beginn liegen.")
    states = tuple(states)
    taken = set(taken)
    first = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
    proposals = []
    for k in range(count):
        regular = first + timedelta(weeks=k * every_weeks)
        day, reasons = regular, []
        for _ in range(MAX_SHIFTS):
            found = holiday_names(day, states)
            if found:
                reasons.append(f"{day.strftime('%d.%m.%Y')}: {_describe(found)}")
            elif day in taken:
                reasons.append(f"{day.strftime('%d.%m.%Y')}: dort ist schon ein Treffen")
            else:
                break
            day += timedelta(weeks=1)
        note = ""
        if reasons:
            note = "verschoben – " + "; ".join(reasons)
        proposals.append(
            DateProposal(
                day=day,
                starts_at=datetime.combine(day, start, BERLIN),
                ends_at=datetime.combine(day, end, BERLIN),
                note=note,
            )
        )
    return proposals


def next_dates(
    *,
    last_start: datetime | None,
    today: date,
    every_weeks: int = 6,
    count: int = 3,
    taken: Iterable[date] = (),
) -> list[DateProposal]:
    """Proposals for the next meeting: the series' usual cadence after the last one,
    on its weekday and time (Monday 17:00–18:30 if there is none yet)."""
    if last_start is None:
        return propose_series(first_day=today + timedelta(days=14), count=count, taken=taken)
    local = last_start.astimezone(BERLIN)
    first = max(local.date() + timedelta(weeks=every_weeks), today + timedelta(days=7))
    return propose_series(
        first_day=first,
        weekday=local.weekday(),
        start=local.time().replace(tzinfo=None),
        end=(local + timedelta(minutes=90)).time().replace(tzinfo=None),
        every_weeks=every_weeks,
        count=count,
        taken=taken,
    )
