"""Meeting predicates at their boundaries, and their SQL twins agreeing with them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from stammtisch import meeting_rules as rules
from stammtisch.db import session_scope
from stammtisch.models import Meeting, MeetingStatus, RegistrationState
from tests import factories as f

START = datetime.fromisoformat("2021-12-06T17:00:00+01:00")
END = START + timedelta(minutes=90)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class M:
    status: str = MeetingStatus.PLANNED
    registration_state: str = RegistrationState.OPEN
    starts_at: datetime = START
    ends_at: datetime = END


@pytest.mark.parametrize(
    ("now", "begun", "over"),
    [
        (START - SECOND, False, False),
        (START, True, False),
        (END - SECOND, True, False),
        (END, True, True),
    ],
)
def test_begun_and_over_at_their_boundaries(now, begun, over):
    assert rules.has_begun(M(), now) is begun
    assert rules.is_over(M(), now) is over
    assert rules.accepts_registrations(M(), now) is not over


def test_held_early_counts_as_over_and_cancelled_refuses_everything():
    assert rules.is_over(M(status=MeetingStatus.HELD), START - timedelta(days=1))
    cancelled = M(status=MeetingStatus.CANCELLED)
    assert rules.registration_refusal(cancelled, START) == "Dieser Termin wurde abgesagt."
    assert not rules.open_for_impulses(cancelled, START - timedelta(days=1))
    assert "abgesagt" in rules.attendance_refusal(cancelled, END)
    assert "abgesagt" in rules.registration_change_refusal(cancelled, START)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (RegistrationState.NOT_OPEN, "noch nicht geöffnet"),
        (RegistrationState.CLOSED, "geschlossen"),
        (RegistrationState.OPEN, None),
    ],
)
def test_registration_refusal_follows_the_registration_state(state, message):
    refusal = rules.registration_refusal(M(registration_state=state), START - SECOND)
    assert refusal is None if message is None else message in refusal


def test_attendance_only_from_the_start_and_team_changes_only_until_the_end():
    assert rules.attendance_refusal(M(), START - SECOND)
    assert rules.attendance_refusal(M(), START) is None
    assert rules.registration_change_refusal(M(), END - SECOND) is None
    assert "vorbei" in rules.registration_change_refusal(M(), END)


def test_sql_twins_agree_with_the_python_predicates(engine, now):
    """The same meetings, asked in Python and in SQL, on both databases."""
    ids = [
        f.meeting(engine, now=now, days_ahead=days, status=status)
        for days in (-30, 0, 30)
        for status in ("planned", "held", "cancelled")
    ]
    with session_scope(engine) as s:
        rows = s.exec(select(Meeting).where(Meeting.id.in_(ids))).all()
        for moment in (now, now + timedelta(hours=5), now + timedelta(hours=6)):
            for name, python in (
                ("sql_is_over", rules.is_over),
                ("sql_has_begun", rules.has_begun),
                ("sql_is_upcoming", lambda m, t: not rules.is_over(m, t)),
            ):
                in_sql = set(
                    s.exec(
                        select(Meeting.id).where(Meeting.id.in_(ids), getattr(rules, name)(moment))
                    ).all()
                )
                assert in_sql == {m.id for m in rows if python(m, moment)}, (name, moment)


def test_refusals_in_full_as_the_pages_show_them():
    cancelled = M(status=MeetingStatus.CANCELLED)
    assert rules.attendance_refusal(cancelled, END) == (
        "Dieser Termin wurde abgesagt; für ihn lässt sich keine Teilnahme erfassen."
    )
    assert rules.attendance_refusal(M(), START - SECOND) == (
        "Die Teilnahme lässt sich erst ab Beginn des Treffens eintragen."
    )
    assert rules.registration_change_refusal(cancelled, START) == (
        "Dieser Termin wurde abgesagt; seine Anmeldungen lassen sich nicht mehr ändern."
    )
    assert rules.registration_change_refusal(M(), END) == (
        "Das Treffen ist vorbei. Tragen Sie stattdessen die Teilnahme „nein“ ein."
    )


def test_team_focus_is_the_next_meeting_else_the_last_begun_one_never_a_cancelled_one():
    day = timedelta(days=1)
    last = M(starts_at=START - 30 * day, ends_at=END - 30 * day, status=MeetingStatus.HELD)
    tonight = M(status=MeetingStatus.HELD)  # marked held before its end: still tonight's
    called_off = M(status=MeetingStatus.CANCELLED, starts_at=START + day, ends_at=END + day)
    later = M(starts_at=START + 30 * day, ends_at=END + 30 * day)
    meetings = [later, called_off, tonight, last]  # newest first, as the team list gives
    assert rules.team_focus(meetings, START - 2 * day) is tonight
    assert rules.team_focus(meetings, END - SECOND) is tonight
    assert rules.team_focus(meetings, END) is later
    assert rules.team_focus([tonight, last], END + day) is tonight
    assert rules.team_focus([called_off], END + 2 * day) is called_off


def test_pages_ask_the_rules_instead_of_restating_them():
    """No page compares a meeting's times with now or spells out a status as a string."""
    restated = re.compile(
        r"(starts_at|ends_at)\s*[<>]=?\s*now|[!=]=\s*[\"'](cancelled|held|planned|draft)[\"']"
    )
    root = Path(__file__).resolve().parents[2]
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("pages", "ui")
        for path in sorted((root / folder).glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if restated.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("meeting", "message"),
    [
        (
            M(registration_state=RegistrationState.NOT_OPEN),
            "Die Anmeldung für diesen Termin ist noch nicht geöffnet.",
        ),
        (
            M(registration_state=RegistrationState.CLOSED),
            "Die Anmeldung für diesen Termin ist geschlossen.",
        ),
        # A draft is not public: the visitor hears it does not exist, not that it is a draft.
        (M(status=MeetingStatus.DRAFT), "Diesen Termin gibt es nicht."),
    ],
)
def test_registration_refusals_in_full(meeting, message):
    assert rules.registration_refusal(meeting, START - SECOND) == message
    assert rules.registration_refusal(M(), END) == "Dieser Termin liegt in der Vergangenheit."


def test_sql_twins_agree_at_the_exact_end(engine, now):
    meeting_id = f.meeting(engine, now=now, days_ahead=3)
    with session_scope(engine) as s:
        end = s.get(Meeting, meeting_id).ends_at
    for moment, over in ((end - SECOND, False), (end, True)):
        with session_scope(engine) as s:
            over_in_sql = s.exec(select(Meeting.id).where(rules.sql_is_over(moment))).all()
            upcoming_in_sql = s.exec(select(Meeting.id).where(rules.sql_is_upcoming(moment))).all()
        assert (over_in_sql, upcoming_in_sql) == (
            ([meeting_id], []) if over else ([], [meeting_id])
        )
