"""What a meeting's state allows: every question about "now" asked in one place.

Each predicate takes anything with a meeting's columns (the :class:`~stammtisch.models.
Meeting` row, a :class:`~stammtisch.meetings.MeetingView`, a Core row) and an aware
``now``. The ``sql_*`` functions are the same rules as SQL conditions for queries, written
next to their Python twin so the two cannot drift apart. Services, the views and the pages
ask these; nothing else compares ``starts_at``/``ends_at`` with ``now`` or spells out which
statuses count.

The vocabulary:

* *begun*: its start has passed (attendance can be recorded from then on);
* *ended*: its end time has passed, whatever its status;
* *over*: ended, or the team marked it held early;
* *upcoming*: not over (a cancelled meeting stays upcoming until its date passes, so
  visitors see the cancellation);
* *open for registrations*: planned, registration switched to open, not over;
* *open for impulses*: planned and not over (offers may name it, the team may put an
  impulse on it);
* *public*: published – every status but the team's drafts;
* *counted*: planned or held – what the dashboard and the planning count (not drafts,
  not cancelled meetings).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from stammtisch.models import Meeting, MeetingStatus, RegistrationState


class MeetingFacts(Protocol):
    status: str
    registration_state: str
    starts_at: datetime
    ends_at: datetime


M = TypeVar("M", bound=MeetingFacts)


def is_cancelled(meeting: MeetingFacts) -> bool:
    return meeting.status == MeetingStatus.CANCELLED


def is_draft(meeting: MeetingFacts) -> bool:
    return meeting.status == MeetingStatus.DRAFT


def has_begun(meeting: MeetingFacts, now: datetime) -> bool:
    return meeting.starts_at <= now


def has_ended(meeting: MeetingFacts, now: datetime) -> bool:
    return meeting.ends_at <= now


def is_over(meeting: MeetingFacts, now: datetime) -> bool:
    return meeting.status == MeetingStatus.HELD or has_ended(meeting, now)


def team_focus(meetings: Sequence[M], now: datetime) -> M:
    """The meeting the team is most likely busy with: the next one not cancelled that has
    not ended (tonight's, even when already marked held, so attendance can be entered),
    else the last one begun and not cancelled, else the first of ``meetings``."""
    live = [m for m in meetings if not is_cancelled(m)]
    coming = [m for m in live if not has_ended(m, now)]
    begun = [m for m in live if has_begun(m, now)]
    return min(coming, key=lambda m: m.starts_at, default=None) or max(
        begun, key=lambda m: m.starts_at, default=meetings[0]
    )


def registration_refusal(meeting: MeetingFacts, now: datetime) -> str | None:
    """Why nobody can register for ``meeting`` now (German), or ``None`` when one can."""
    if is_draft(meeting):
        return "Diesen Termin gibt es nicht."
    if is_cancelled(meeting):
        return "Dieser Termin wurde abgesagt."
    if is_over(meeting, now):
        return "Dieser Termin liegt in der Vergangenheit."
    if meeting.registration_state == RegistrationState.NOT_OPEN:
        return "Die Anmeldung für diesen Termin ist noch nicht geöffnet."
    if meeting.registration_state == RegistrationState.CLOSED:
        return "Die Anmeldung für diesen Termin ist geschlossen."
    return None


def accepts_registrations(meeting: MeetingFacts, now: datetime) -> bool:
    return registration_refusal(meeting, now) is None


def open_for_impulses(meeting: MeetingFacts, now: datetime) -> bool:
    return meeting.status == MeetingStatus.PLANNED and not is_over(meeting, now)


def registration_change_refusal(meeting: MeetingFacts, now: datetime) -> str | None:
    """Why the team cannot cancel a registration of ``meeting`` on someone's behalf."""
    if is_cancelled(meeting):
        return "Dieser Termin wurde abgesagt; seine Anmeldungen lassen sich nicht mehr ändern."
    if is_over(meeting, now):
        return "Das Treffen ist vorbei. Tragen Sie stattdessen die Teilnahme „nein“ ein."
    return None


def attendance_refusal(meeting: MeetingFacts, now: datetime) -> str | None:
    """Why attendance ("ja"/"nein") cannot be recorded for ``meeting`` now, or ``None``."""
    if is_cancelled(meeting):
        return "Dieser Termin wurde abgesagt; für ihn lässt sich keine Teilnahme erfassen."
    if not has_begun(meeting, now):
        return "Die Teilnahme lässt sich erst ab Beginn des Treffens eintragen."
    return None


# --- the same rules in SQL ---------------------------------------------------------------


def sql_has_begun(now: datetime) -> ColumnElement[bool]:
    return Meeting.starts_at <= now


def sql_is_over(now: datetime) -> ColumnElement[bool]:
    return or_(Meeting.status == MeetingStatus.HELD, Meeting.ends_at <= now)


def sql_is_upcoming(now: datetime) -> ColumnElement[bool]:
    return and_(Meeting.status != MeetingStatus.HELD, Meeting.ends_at > now)


def sql_is_public() -> ColumnElement[bool]:
    return Meeting.status != MeetingStatus.DRAFT


def sql_is_counted() -> ColumnElement[bool]:
    """Planned or held: neither a draft nor cancelled."""
    return Meeting.status.in_([MeetingStatus.PLANNED, MeetingStatus.HELD])
