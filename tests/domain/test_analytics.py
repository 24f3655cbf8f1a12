"""Dashboard figures on a small hand-made dataset with known answers."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pandas as pd
import pytest

from stammtisch import analytics, meeting_admin, planning, registration_admin
from stammtisch.db import session_scope
from stammtisch.models import Attendance, MeetingStatus
from tests import factories as f

# The per-meeting counts of meeting_stats: whole numbers, also where there is nothing to count.
COUNTS = [
    "confirmed",
    "waitlisted",
    "cancelled",
    "attended",
    "no_show",
    "attendance_known",
    "Sachsen",
    "Sachsen-Anhalt",
    "Thüringen",
    "anderes Bundesland",
    "keine Angabe",
    "new",
    "returning",
]


def test_meeting_stats_counts(engine, known_history):
    stats = f.meeting_stats(engine)
    assert list(stats.index) == ["Eins", "Zwei", "Drei"]
    one, two = stats.loc["Eins"], stats.loc["Zwei"]
    assert (one.confirmed, one.waitlisted, one.cancelled) == (2, 1, 0)
    assert (two.confirmed, two.waitlisted, two.cancelled) == (3, 0, 1)
    assert (one.attended, one.no_show, one.no_show_rate) == (1, 1, 0.5)
    assert (two.attended, two.attended_total, two.no_show_rate) == (3, 5, 0.0)
    # Reach: m1 confirmed ann (SN) + ben (ST) -> half outside Saxony.
    assert (one["Sachsen"], one["Sachsen-Anhalt"], one["Thüringen"]) == (1, 1, 0)
    assert one.share_outside_saxony == 0.5
    assert two["keine Angabe"] == 1 and two.share_outside_saxony == 0.5
    # New vs returning: ann new at m1 and returning at m2; ben new at m1, returning at m3.
    assert (one.new, one.returning) == (2, 0)
    assert (two.new, two.returning) == (2, 1)
    assert (stats.loc["Drei"].new, stats.loc["Drei"].returning) == (0, 1)
    assert one.demand == 3 and one.capacity == 2


def test_filters_by_topic_field_and_date(engine, known_history, now):
    assert list(f.meeting_stats(engine, topic_field_id=known_history["b"]).index) == ["Zwei"]
    assert list(f.meeting_stats(engine, start=now).index) == ["Drei"]
    assert f.meeting_stats(engine, start=now + timedelta(days=999)).empty


def test_key_figures_latest_against_previous(engine, known_history, now):
    with session_scope(engine) as s:
        stats = analytics.meeting_stats(session=s)
    latest, figures = analytics.key_figures(stats, now=now)
    assert latest["theme"] == "Zwei"
    by_label = {k.label: k for k in figures}
    assert (by_label["Anmeldungen"].value, by_label["Anmeldungen"].delta) == (3, 1)
    assert (by_label["Teilnahme"].value, by_label["Teilnahme"].previous) == (5, 1)
    assert by_label["No-Show-Quote"].delta == -0.5
    assert by_label["Neu dabei"].value == 2


def test_inflow_per_month(engine, now):
    for n in range(3):
        f.suggestion(engine, now=now - timedelta(days=40 * n), text=f"Vorschlag Nummer {n}")
    f.offer(engine, now=now)
    with session_scope(engine) as s:
        inflow = analytics.inflow_per_month(session=s)
    months = inflow[inflow["kind"] == "Vorschläge"].set_index("month")["count"].to_dict()
    assert months == {"2021-09": 1, "2021-10": 1, "2021-11": 1}
    assert list(inflow.index) == [0, 1, 2, 3]  # one row each, numbered through
    assert inflow[inflow["kind"] == "Impuls-Angebote"]["count"].tolist() == [1]


def test_inflow_comes_in_month_order_whatever_order_it_was_sent_in(engine, now):
    """The dashboard's table shows the frame as it comes: months in order. On PostgreSQL
    GROUP BY hashes the months, so only the ORDER BY keeps them in order there."""
    for n in (5, 0, 9, 2, 11, 7, 1, 10, 3, 8, 6, 4):
        f.suggestion(engine, now=now - timedelta(days=31 * n), text=f"Vorschlag Nummer {n}")
        f.offer(engine, now=now - timedelta(days=31 * n), title=f"Angebot Nummer {n}")
    with session_scope(engine) as s:
        inflow = analytics.inflow_per_month(session=s)
    for kind in ("Vorschläge", "Impuls-Angebote"):
        months = inflow[inflow["kind"] == kind]["month"].tolist()
        assert len(months) == 12 and months == sorted(months)


def test_frames_keep_their_types_when_a_part_is_empty_or_null(engine, now):
    """Only offers and no suggestions, meetings without a place limit: the counts stay
    integers and the capacity a (nullable) integer, not columns of Python objects.
    A meeting nobody registered for counts zero everywhere (the tables show 0, not 0.0)."""
    f.offer(engine, now=now)
    f.meeting(engine, now=now, days_ahead=-10)
    with session_scope(engine) as s:
        inflow = analytics.inflow_per_month(session=s)
        stats = analytics.meeting_stats(session=s)
    assert inflow["count"].dtype == "int64"
    assert stats["capacity"].dtype == "Int64" and stats["capacity"].isna().all()
    assert stats[COUNTS].dtypes.tolist() == ["int64"] * len(COUNTS)
    assert stats[COUNTS].iloc[0].tolist() == [0] * len(COUNTS)
    assert (stats["registrations"].iloc[0], stats["demand"].iloc[0]) == (0, 0)
    assert stats[["attended_total", "no_show_rate", "share_outside_saxony"]].iloc[0].isna().all()


def test_empty_database_gives_empty_frames(engine, now):
    with session_scope(engine) as s:
        stats = analytics.meeting_stats(session=s)
        assert stats.empty and "confirmed" in stats.columns
        assert stats[COUNTS].dtypes.tolist() == ["int64"] * len(COUNTS)
        assert analytics.key_figures(stats, now=now) == (None, [])
        assert planning.coverage_by_quarter(session=s, now=now).empty
        assert analytics.inflow_per_month(session=s).empty
    by_field = analytics.registrations_by_topic_field(stats)
    # The same columns as with data: the dashboard renames them into its table's headers.
    assert by_field.empty and list(by_field.columns) == [
        "topic_field",
        "meetings",
        "confirmed",
        "waitlisted",
        "attended_total",
    ]


def _meeting_with_attendance(engine, now, attendance) -> int:
    """A meeting two weeks ago with one confirmed person per value of ``attendance``,
    recorded by the team as the registrations page does ("unknown": nothing recorded)."""
    early = now - timedelta(days=24)
    meeting_id = f.meeting(engine, now=early, days_ahead=10, theme="Treffen")
    ids = [
        f.register(engine, meeting_id, n, now=early).registration_id for n in range(len(attendance))
    ]
    for registration_id, value in zip(ids, attendance, strict=True):
        if value != Attendance.UNKNOWN:
            with session_scope(engine) as s:
                registration_admin.set_attendance(
                    session=s,
                    actor=f.team(engine, now=now),
                    registration_ids=[registration_id],
                    attendance=value,
                    now=now,
                )
    return meeting_id


@pytest.mark.parametrize(
    ("attendance", "rate"),
    [
        (("yes", "no", "unknown", "unknown"), 0.5),  # one of the two recorded stayed away
        (("no", "unknown", "unknown", "unknown"), 1.0),
        (("yes", "yes", "no", "no"), 0.5),
        (("yes", "unknown", "unknown", "unknown"), 0.0),
        (("unknown", "unknown", "unknown", "unknown"), None),  # nothing recorded: no rate
    ],
)
def test_no_show_rate_leaves_out_people_without_recorded_attendance(engine, now, attendance, rate):
    _meeting_with_attendance(engine, now, attendance)
    stats = f.meeting_stats(engine)
    row = stats.loc["Treffen"]
    known = sum(a != "unknown" for a in attendance)
    assert (row.confirmed, row.attendance_known) == (4, known)
    assert (row.attended, row.no_show) == (attendance.count("yes"), attendance.count("no"))
    _, figures = analytics.key_figures(stats.reset_index(), now=now)
    shown = {k.label: k.value for k in figures}
    if rate is None:
        assert pd.isna(row.no_show_rate) and shown["No-Show-Quote"] is None
        assert pd.isna(row.attended_total) and shown["Teilnahme"] is None
    else:
        assert row.no_show_rate == rate and shown["No-Show-Quote"] == rate
        assert row.attended_total == attendance.count("yes") == shown["Teilnahme"]


def _records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_meeting_stats_every_column(engine, known_history, now):
    stats = f.meeting_stats(engine).reset_index()
    assert [str(t) for t in stats["starts_at"]] == [
        "2021-08-02 17:00:00+02:00",
        "2021-09-21 17:00:00+02:00",
        "2021-12-10 17:00:00+01:00",
    ]
    common = {"status": "planned", "Thüringen": 0}
    assert _records(stats.drop(columns=["starts_at"])) == [
        {
            **common,
            "theme": "Eins",
            "meeting_id": known_history["m1"],
            "capacity": 2.0,
            "unregistered_attendees": 0,
            "topic_field": "Feld A",
            "topic_field_id": known_history["a"],
            "confirmed": 2,
            "waitlisted": 1,
            "cancelled": 0,
            "attended": 1,
            "no_show": 1,
            "attendance_known": 2,
            "Sachsen": 1,
            "Sachsen-Anhalt": 1,
            "anderes Bundesland": 0,
            "keine Angabe": 0,
            "new": 2,
            "returning": 0,
            "registrations": 3,
            "demand": 3,
            "attended_total": 1.0,
            "no_show_rate": 0.5,
            "share_outside_saxony": 0.5,
        },
        {
            **common,
            "theme": "Zwei",
            "meeting_id": known_history["m2"],
            "capacity": None,
            "unregistered_attendees": 2,
            "topic_field": "Feld B",
            "topic_field_id": known_history["b"],
            "confirmed": 3,
            "waitlisted": 0,
            "cancelled": 1,
            "attended": 3,
            "no_show": 0,
            "attendance_known": 3,
            "Sachsen": 1,
            "Sachsen-Anhalt": 0,
            "anderes Bundesland": 1,
            "keine Angabe": 1,
            "new": 2,
            "returning": 1,
            "registrations": 4,
            "demand": 3,
            "attended_total": 5.0,
            "no_show_rate": 0.0,
            "share_outside_saxony": 0.5,
        },
        {
            **common,
            "theme": "Drei",
            "meeting_id": known_history["m3"],
            "capacity": None,
            "unregistered_attendees": 0,
            "topic_field": "Feld A",
            "topic_field_id": known_history["a"],
            "confirmed": 1,
            "waitlisted": 0,
            "cancelled": 0,
            "attended": 0,
            "no_show": 0,
            "attendance_known": 0,
            "Sachsen": 0,
            "Sachsen-Anhalt": 1,
            "anderes Bundesland": 0,
            "keine Angabe": 0,
            "new": 0,
            "returning": 1,
            "registrations": 1,
            "demand": 1,
            "attended_total": None,
            "no_show_rate": None,
            "share_outside_saxony": 1.0,
        },
    ]
    assert _records(analytics.registrations_by_topic_field(stats)) == [
        {
            "topic_field": "Feld A",
            "meetings": 2,
            "confirmed": 3,
            "waitlisted": 1,
            "attended_total": 1.0,
        },
        {
            "topic_field": "Feld B",
            "meetings": 1,
            "confirmed": 3,
            "waitlisted": 0,
            "attended_total": 5.0,
        },
    ]
    latest, figures = analytics.key_figures(stats, now=now)
    assert latest["theme"] == "Zwei"
    assert figures == [
        analytics.KeyFigure("Anmeldungen", 3.0, 2.0, "count"),
        analytics.KeyFigure("Teilnahme", 5.0, 1.0, "count"),
        analytics.KeyFigure("No-Show-Quote", 0.0, 0.5, "share"),
        analytics.KeyFigure("Neu dabei", 2.0, 2.0, "count"),
        analytics.KeyFigure("Nicht aus Sachsen", 0.5, 0.5, "share"),
    ]


def test_key_figures_of_the_first_meeting_have_nothing_to_compare(engine, known_history, now):
    stats = f.meeting_stats(engine).reset_index()
    first_day = stats["starts_at"].iloc[0].to_pydatetime()
    latest, figures = analytics.key_figures(stats, now=first_day)  # starts now: counts
    assert latest["theme"] == "Eins"
    assert [(k.value, k.previous, k.delta) for k in figures] == [
        (2.0, None, None),
        (1.0, None, None),
        (0.5, None, None),
        (2.0, None, None),
        (0.5, None, None),
    ]
    assert analytics.key_figures(stats, now=first_day - timedelta(seconds=1)) == (None, [])


def test_filters_at_their_boundaries_and_further_fields(engine, known_history, now):
    stats = f.meeting_stats(engine).reset_index()
    second = stats["starts_at"].iloc[1].to_pydatetime()
    before = second - timedelta(seconds=1)
    assert list(f.meeting_stats(engine, end=second).index) == ["Eins", "Zwei"]
    assert list(f.meeting_stats(engine, end=before).index) == ["Eins"]
    assert list(f.meeting_stats(engine, start=second).index) == ["Zwei", "Drei"]
    assert list(f.meeting_stats(engine, start=second, end=second).index) == ["Zwei"]
    # A meeting counts for a field it only touches as a further field; cancelled ones never.
    actor = f.team(engine, now=now)
    extra = f.meeting(
        engine, now=now, days_ahead=30, topic_field_id=known_history["a"], theme="Vier"
    )
    gone = f.meeting(
        engine, now=now, days_ahead=40, topic_field_id=known_history["b"], theme="Fünf"
    )
    with session_scope(engine) as s:
        current = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == extra
        )
    with session_scope(engine) as s:
        meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=extra,
            data=dataclasses.replace(
                current.as_input(), further_topic_field_ids=(known_history["b"],)
            ),
            now=now,
        )
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=gone, status=MeetingStatus.CANCELLED, now=now
        )
    assert list(f.meeting_stats(engine, topic_field_id=known_history["b"]).index) == [
        "Zwei",
        "Vier",
    ]
    assert "Fünf" not in f.meeting_stats(engine).index


def test_inflow_within_a_period(engine, now):
    for days in (0, 31, 62):
        f.suggestion(engine, now=now - timedelta(days=days))
    f.offer(engine, now=now - timedelta(days=31))
    start, end = now - timedelta(days=31), now - timedelta(days=31)
    with session_scope(engine) as s:
        inflow = analytics.inflow_per_month(session=s, start=start, end=end)
    assert inflow.to_dict("records") == [
        {"month": "2021-10", "kind": "Vorschläge", "count": 1},
        {"month": "2021-10", "kind": "Impuls-Angebote", "count": 1},
    ]
    with session_scope(engine) as s:
        assert analytics.inflow_per_month(session=s, start=now).to_dict("records") == [
            {"month": "2021-11", "kind": "Vorschläge", "count": 1}
        ]


def test_topic_fields_are_ordered_by_confirmed_registrations_most_first():
    stats = pd.DataFrame(
        {
            "meeting_id": [1, 2, 3, 4],
            "topic_field": ["Feld A", "Feld B", "Feld B", "Feld C"],
            "confirmed": [2, 1, 3, 5],
            "waitlisted": [0, 1, 1, 2],
            "attended_total": [1.0, None, 2.0, 4.0],
        }
    )
    by_field = analytics.registrations_by_topic_field(stats)
    assert by_field.to_dict("records") == [
        {
            "topic_field": "Feld C",
            "meetings": 1,
            "confirmed": 5,
            "waitlisted": 2,
            "attended_total": 4.0,
        },
        {
            "topic_field": "Feld B",
            "meetings": 2,
            "confirmed": 4,
            "waitlisted": 2,
            "attended_total": 2.0,
        },
        {
            "topic_field": "Feld A",
            "meetings": 1,
            "confirmed": 2,
            "waitlisted": 0,
            "attended_total": 1.0,
        },
    ]


def test_new_and_returning_count_only_confirmed_places_at_meetings_that_take_place(engine, now):
    """A person is "new" at the meeting of their first confirmed place at a planned or held
    meeting: a place on the waitlist, or one at a meeting cancelled later, is no visit,
    neither before that meeting nor at it."""
    early = now - timedelta(days=100)
    dropped = f.meeting(engine, now=early, days_ahead=5, theme="Abgesagt")
    full = f.meeting(engine, now=early, days_ahead=10, capacity=1, theme="Voll")
    later = f.meeting(engine, now=early, days_ahead=20, theme="Später")
    f.register(engine, dropped, "bob", now=early)
    f.register(engine, full, "zoe", now=early)
    assert f.register(engine, full, "ann", now=early).status == "waitlisted"
    for who in ("ann", "bob", "zoe"):
        f.register(engine, later, who, now=early)
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=f.team(engine, now=early),
            meeting_id=dropped,
            status=MeetingStatus.CANCELLED,
            now=early,
            notify_count=1,
        )
    stats = f.meeting_stats(engine)
    assert list(stats.index) == ["Voll", "Später"]
    full_row, later_row = stats.loc["Voll"], stats.loc["Später"]
    assert (full_row.confirmed, full_row.waitlisted) == (1, 1)
    # Voll: zoe new; ann only waited, so she is neither new nor returning there.
    assert (full_row.new, full_row.returning) == (1, 0)
    # Später: ann and bob new (waitlist and cancelled meeting do not count), zoe returns.
    assert (later_row.new, later_row.returning) == (2, 1)


def test_reach_counts_only_confirmed_places_also_without_a_state(engine, now):
    """The federal-state columns, "keine Angabe" included, count confirmed places only."""
    meeting_id = f.meeting(engine, now=now, capacity=1, theme="Voll")
    f.register(engine, meeting_id, 1, now=now, federal_state="sachsen")
    assert f.register(engine, meeting_id, 2, now=now, federal_state=None).status == "waitlisted"
    row = f.meeting_stats(engine).loc["Voll"]
    assert (row.confirmed, row.waitlisted) == (1, 1)
    assert (row["Sachsen"], row["keine Angabe"], row.share_outside_saxony) == (1, 0, 0.0)


def test_key_figures_have_no_previous_value_where_the_meeting_before_lacks_it(engine, now):
    """Nobody recorded attendance at the meeting before: attendance and no-show rate are
    shown without a previous value and without a change (not NaN); the others compare."""
    early = now - timedelta(days=60)
    before = f.meeting(engine, now=early, days_ahead=10, theme="Vorher")
    f.register(engine, before, 9, now=early, federal_state="thueringen")
    _meeting_with_attendance(engine, now, ("yes", "no", "unknown", "unknown"))
    stats = f.meeting_stats(engine).reset_index()
    latest, figures = analytics.key_figures(stats, now=now)
    assert latest["theme"] == "Treffen"
    assert [(k.label, k.value, k.previous, k.delta) for k in figures] == [
        ("Anmeldungen", 4.0, 1.0, 3.0),
        ("Teilnahme", 1.0, None, None),
        ("No-Show-Quote", 0.5, None, None),
        ("Neu dabei", 4.0, 1.0, 3.0),
        ("Nicht aus Sachsen", 0.0, 1.0, -1.0),
    ]


def test_meeting_stats_are_ordered_by_start_then_by_creation(engine, now):
    """Oldest first by start, whatever order the meetings were created in; meetings that
    start at the same time are in the order they were created in (their id), also when
    the older one was moved to the other's time afterwards. (Moving it, and its field
    being the newer one, put it behind the other in the tables PostgreSQL reads.)"""
    actor = f.team(engine, now=now)
    older_field = f.topic_field(engine, now=now, name="Feld A")
    newer_field = f.topic_field(engine, now=now, name="Feld B")
    f.meeting(engine, now=now, days_ahead=30, theme="Später")
    first = f.meeting(
        engine, now=now, days_ahead=11, topic_field_id=newer_field, theme="Parallel eins"
    )
    f.meeting(engine, now=now, days_ahead=10, topic_field_id=older_field, theme="Parallel zwei")
    f.meeting(engine, now=now, days_ahead=5, theme="Bald")
    with session_scope(engine) as s:
        current = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == first
        ).as_input()
    a_day = timedelta(days=1)
    moved = dataclasses.replace(
        current, starts_at=current.starts_at - a_day, ends_at=current.ends_at - a_day
    )
    with session_scope(engine) as s:
        meeting_admin.update_meeting(session=s, actor=actor, meeting_id=first, data=moved, now=now)
    stats = f.meeting_stats(engine)
    assert stats.loc["Parallel eins", "starts_at"] == stats.loc["Parallel zwei", "starts_at"]
    assert list(stats.index) == ["Bald", "Parallel eins", "Parallel zwei", "Später"]
