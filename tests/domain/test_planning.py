"""Topic planning: coverage per topic field and quarter, the ranking with its reasons."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pandas as pd
import pytest

from stammtisch import (
    meeting_admin,
    meetings,
    offer_review,
    planning,
    registration_admin,
    topics,
)
from stammtisch.clock import BERLIN
from stammtisch.db import session_scope
from stammtisch.models import MeetingStatus, ModerationState, OfferState
from tests import factories as f


def test_coverage_and_ranking(engine, known_history, now):
    f.suggestion(
        engine,
        now=now,
        text="Mehr zu Feld B bitte",
        topic_field_id=known_history["b"],
        publish=True,
        voters=("x", "y"),
    )
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now).set_index("topic_field")
        heat = planning.coverage_by_quarter(session=s, now=now)
    assert (cov.loc["Feld A"].meetings_held, cov.loc["Feld B"].meetings_held) == (1, 1)
    assert (cov.loc["Feld B"].suggestions, cov.loc["Feld B"].votes) == (1, 2)
    assert cov.loc["Feld A"].avg_registrations == 2.0 and cov.loc["Feld B"].avg_attendance == 3.0
    assert heat["held"].sum() == 2
    ranked = planning.rank_topic_fields(cov.reset_index(), planning.Weights())
    assert ranked.iloc[0]["topic_field"] == "Feld B"
    assert "1 Vorschlag mit 2 Stimmen" in ranked.iloc[0]["reason"]
    only_time = planning.rank_topic_fields(
        cov.reset_index(), planning.Weights(suggestions=0, votes=0, offers=0, attendance=0)
    )
    # Feld A has the longest gap, but its next meeting (in 20 days) is already scheduled.
    assert list(only_time["topic_field"]) == ["Feld B", "Feld A"]
    # Nothing speaks for Feld A now: no "Vor allem" naming a signal that is zero.
    assert only_time.iloc[1]["reason"].startswith("Schon geplant am ")
    assert only_time.iloc[0]["reason"].startswith("Vor allem: lange nicht dran – zuletzt vor")
    assert cov.loc["Feld A"].meetings_scheduled == 1 and cov.loc["Feld B"].meetings_scheduled == 0


def _planning_history(engine, now):
    """Fields A-D; A held twice (once with B as further field), a cancelled meeting in C,
    a future one in B; suggestions, offers and attendance in every state."""
    fields = {n: f.topic_field(engine, now=now, name=f"Feld {n}") for n in "ABCD"}
    early = now - timedelta(days=100)
    actor = f.team(engine, now=now)
    first = f.meeting(engine, now=early, days_ahead=10, topic_field_id=fields["A"])
    second = f.meeting(engine, now=early, days_ahead=60, topic_field_id=fields["A"])
    cancelled = f.meeting(engine, now=early, days_ahead=20, topic_field_id=fields["C"])
    future = f.meeting(engine, now=now, days_ahead=5, topic_field_id=fields["B"])
    with session_scope(engine) as s:
        current = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == first
        )
    with session_scope(engine) as s:
        meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=first,
            data=dataclasses.replace(current.as_input(), further_topic_field_ids=(fields["B"],)),
            now=early,
        )
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=cancelled, status=MeetingStatus.CANCELLED, now=early
        )
    ids = [f.register(engine, first, n, now=early).registration_id for n in range(3)]
    f.register(engine, future, "z", now=now)
    for registration_id, value in zip(ids, ("yes", "no", "yes"), strict=True):
        with session_scope(engine) as s:
            registration_admin.set_attendance(
                session=s,
                actor=actor,
                registration_ids=[registration_id],
                attendance=value,
                now=now,
            )
    with session_scope(engine) as s:
        registration_admin.cancel_for(session=s, actor=actor, registration_id=ids[2], now=early)
    f.suggestion(engine, now=now, topic_field_id=fields["A"], publish=True, voters=("a", "b"))
    f.suggestion(engine, now=now, topic_field_id=fields["A"], publish=True, voters=("c",))
    f.suggestion(engine, now=now, topic_field_id=fields["B"], publish=True)
    f.suggestion(engine, now=now, topic_field_id=fields["A"])  # pending: not counted
    rejected = f.suggestion(engine, now=now, topic_field_id=fields["C"], voters=())
    f.decide(engine, rejected, ModerationState.REJECTED, now=now)
    f.suggestion(engine, now=now, publish=True, voters=("x", "y", "z"))  # no field
    submitted = f.offer(engine, now=now, topic_field_id=fields["A"])
    discussed = f.offer(engine, now=now, topic_field_id=fields["A"])
    declined = f.offer(engine, now=now, topic_field_id=fields["B"])
    accepted = f.offer(engine, now=now, topic_field_id=fields["C"])
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=discussed, to_state=OfferState.IN_DISCUSSION, now=now
        )
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=declined, to_state=OfferState.DECLINED, now=now
        )
    with session_scope(engine) as s:
        offer_review.accept(
            session=s,
            actor=actor,
            offer_id=accepted,
            data=offer_review.AcceptInput(meeting_id=future, title="Ein Impuls", presenter="Kim"),
            now=now,
        )
    assert submitted
    with session_scope(engine) as s:
        starts = {
            m: meetings.get_meeting(session=s, meeting_id=m).starts_at
            for m in (first, second, future)
        }
    return fields, starts


def test_coverage_counts_held_meetings_open_demand_and_past_audience(engine, now):
    fields, starts = _planning_history(engine, now)
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now)
    assert cov.attrs == {"unassigned_suggestions": 1, "unassigned_offers": 0}
    berlin = [starts[m].astimezone(BERLIN) for m in sorted(starts)]
    expected = pd.DataFrame(
        {
            "topic_field_id": [fields[n] for n in "ABCD"],
            "topic_field": ["Feld A", "Feld B", "Feld C", "Feld D"],
            "position": [1, 2, 3, 4],
            "meetings_held": [2, 1, 0, 0],
            "last_covered": pd.to_datetime([berlin[1], berlin[0], None, None], utc=True).tz_convert(
                "Europe/Berlin"
            ),
            # the meeting in five days: scheduled, not held
            "meetings_scheduled": [0, 1, 0, 0],
            "next_scheduled": pd.to_datetime([None, berlin[2], None, None], utc=True).tz_convert(
                "Europe/Berlin"
            ),
            "suggestions": [2, 1, 0, 0],
            "votes": [3, 0, 0, 0],
            "open_offers": [2, 0, 0, 0],
            # first: two confirmed (one cancelled later), one of them attended; second: none
            "avg_registrations": [1.0, 2.0, float("nan"), float("nan")],
            "avg_attendance": [0.5, 1.0, float("nan"), float("nan")],
            "days_since": [(now - b).days for b in (berlin[1], berlin[0])] + [None, None],
        }
    )
    pd.testing.assert_frame_equal(
        cov, expected.astype({"days_since": "float64"}), check_dtype=False, check_exact=True
    )
    assert list(cov.index) == [0, 1, 2, 3]


def test_coverage_by_quarter_counts_held_meetings_by_their_primary_field(engine, now):
    with session_scope(engine) as s:
        empty = planning.coverage_by_quarter(session=s, now=now)
    assert list(empty.columns) == ["topic_field", "quarter", "held", "planned"] and empty.empty
    _planning_history(engine, now)
    with session_scope(engine) as s:
        heat = planning.coverage_by_quarter(session=s, now=now)
    # Every field in every quarter; the cancelled meeting in C is not counted, the one in
    # five days is planned; B as a further field of the first meeting does not count.
    cells = {
        (r["topic_field"], r["quarter"]): (r["held"], r["planned"]) for r in heat.to_dict("records")
    }
    assert len(heat) == 8 and list(heat["quarter"].unique()) == ["2021 Q3", "2021 Q4"]
    assert {k: v for k, v in cells.items() if v != (0, 0)} == {
        ("Feld A", "2021 Q3"): (1, 0),
        ("Feld A", "2021 Q4"): (1, 0),
        ("Feld B", "2021 Q4"): (0, 1),
    }


def test_a_meeting_counts_as_held_from_the_second_it_begins(engine, now):
    field = f.topic_field(engine, now=now, name="Feld")
    mid = f.meeting(engine, now=now, days_ahead=3, topic_field_id=field)
    with session_scope(engine) as s:
        start = meetings.get_meeting(session=s, meeting_id=mid).starts_at
    for at, held in ((start - timedelta(seconds=1), 0), (start, 1)):
        with session_scope(engine) as s:
            assert planning.coverage(session=s, now=at)["meetings_held"].tolist() == [held]
            heat = planning.coverage_by_quarter(session=s, now=at)
            assert heat[["held", "planned"]].values.tolist() == [[held, 1 - held]]


def _fields_frame():
    nan = float("nan")
    return pd.DataFrame(
        {
            "topic_field": ["X", "Y", "Z", "V"],
            "position": [1, 2, 3, 4],
            "days_since": [100, nan, 50, 10],
            "suggestions": [4, 0, 2, 1],
            "votes": [10, 0, 0, 10],
            "open_offers": [0, 2, 1, 0],
            "avg_attendance": [12.0, nan, 0.0, 6.0],
        }
    )


def test_ranking_scores_and_reasons():
    ranked = planning.rank_topic_fields(_fields_frame(), planning.Weights())
    # Each signal scaled to 0..1 (never covered: the longest gap plus a year, 465 days),
    # weighted 1, 1, 1, 0.5, 1.5 and given in percent of the weights' sum.
    assert ranked[["topic_field", "score"]].values.tolist() == [
        ["X", 56.5],
        ["Y", 50.0],
        ["V", 30.6],
        ["Z", 23.2],
    ]
    assert ranked["reason"].tolist() == [
        "Vor allem: viele Vorschläge – zuletzt vor 100 Tagen, 4 Vorschläge mit 10 Stimmen, "
        "im Schnitt 12 Teilnehmende",
        "Vor allem: lange nicht dran – noch nie Thema, 2 offene Impuls-Angebote",
        "Vor allem: viele Stimmen – zuletzt vor 10 Tagen, 1 Vorschlag mit 10 Stimmen, "
        "im Schnitt 6 Teilnehmende",
        "Vor allem: viele Vorschläge – zuletzt vor 50 Tagen, 2 Vorschläge mit 0 Stimmen, "
        "1 offenes Impuls-Angebot",
    ]
    assert list(ranked.index) == [0, 1, 2, 3]


def test_reasons_count_in_the_singular_where_there_is_one():
    """'vor 1 Tag', '1 Vorschlag mit 1 Stimme', '1 offenes Impuls-Angebot', 'im Schnitt 1
    Person'."""
    frame = pd.DataFrame(
        {
            "topic_field": ["Eins", "Mehr"],
            "position": [1, 2],
            "days_since": [1, 30],
            "suggestions": [1, 2],
            "votes": [1, 2],
            "open_offers": [1, 2],
            "avg_attendance": [1.0, 2.0],
        }
    )
    reasons = dict(planning.rank_topic_fields(frame, planning.Weights()).values[:, [0, -1]])
    assert reasons["Eins"].split(" – ")[1] == (
        "zuletzt vor 1 Tag, 1 Vorschlag mit 1 Stimme, 1 offenes Impuls-Angebot, im Schnitt 1 Person"
    )
    assert reasons["Mehr"].split(" – ")[1] == (
        "zuletzt vor 30 Tagen, 2 Vorschläge mit 2 Stimmen, 2 offene Impuls-Angebote, "
        "im Schnitt 2 Teilnehmende"
    )


def test_ranking_with_other_weights_names_other_drivers_and_ties_keep_the_field_order():
    weights = planning.Weights(suggestions=0, votes=0, offers=1, attendance=2, time_since=0)
    ranked = planning.rank_topic_fields(_fields_frame(), weights)
    assert [(r.topic_field, r.score, r.reason.split(" – ")[0]) for r in ranked.itertuples()] == [
        ("X", 66.7, "Vor allem: hohe Teilnahme"),
        ("Y", 33.3, "Vor allem: Impuls-Angebote"),  # a tie: the field order decides
        ("V", 33.3, "Vor allem: hohe Teilnahme"),
        ("Z", 16.7, "Vor allem: Impuls-Angebote"),
    ]
    nothing = planning.rank_topic_fields(_fields_frame(), planning.Weights(0, 0, 0, 0, 0))
    assert nothing["topic_field"].tolist() == ["X", "Y", "Z", "V"]
    assert nothing["score"].tolist() == [0.0, 0.0, 0.0, 0.0]
    # Every weight 0: no field is "vor allem" anything; the state alone, capitalised.
    assert nothing["reason"].tolist()[:2] == [
        "Zuletzt vor 100 Tagen, 4 Vorschläge mit 10 Stimmen, im Schnitt 12 Teilnehmende",
        "Noch nie Thema, 2 offene Impuls-Angebote",
    ]


def test_ranking_of_no_fields():
    empty = planning.rank_topic_fields(_fields_frame().iloc[0:0], planning.Weights())
    assert empty.empty and list(empty.columns)[-2:] == ["score", "reason"]
    assert (str(empty["score"].dtype), str(empty["reason"].dtype)) == ("float64", "object")


def test_coverage_columns_keep_their_types_and_count_only_published_unassigned(engine, now):
    _planning_history(engine, now)
    f.suggestion(engine, now=now)  # waiting, without a field: not counted
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now)
    assert cov.attrs == {"unassigned_suggestions": 1, "unassigned_offers": 0}
    assert {c: str(cov[c].dtype) for c in ("meetings_held", "suggestions", "votes")} == {
        "meetings_held": "int64",
        "suggestions": "int64",
        "votes": "int64",
    }
    assert (str(cov["open_offers"].dtype), str(cov["avg_attendance"].dtype)) == (
        "int64",
        "float64",
    )
    assert str(cov["avg_registrations"].dtype) == "float64"


def test_quarters_are_those_of_berlin(engine, now):
    actor = f.team(engine, now=now)
    field = f.topic_field(engine, now=now, name="Feld")
    start = datetime(2021, 7, 1, 0, 30, tzinfo=BERLIN)  # still 30 June in UTC
    with session_scope(engine) as s:
        meeting_admin.create_meeting(
            session=s,
            actor=actor,
            data=meetings.MeetingInput(
                theme="Nachts",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                primary_topic_field_id=field,
            ),
            now=start - timedelta(days=30),
        )
    with session_scope(engine) as s:
        heat = planning.coverage_by_quarter(session=s, now=now)
    assert heat.to_dict("records") == [
        {"topic_field": "Feld", "quarter": "2021 Q3", "held": 1, "planned": 0}
    ]


def test_ranking_edges_never_covered_fields_single_offers_and_small_audiences():
    nan = float("nan")
    frame = pd.DataFrame(
        {
            "topic_field": ["P", "Q"],
            "position": [1, 2],
            "days_since": [nan, nan],  # no field covered yet: all count as the longest gap
            "suggestions": [0, 0],
            "votes": [0, 0],
            "open_offers": [1, 0],
            "avg_attendance": [0.6, nan],
        }
    )
    ranked = planning.rank_topic_fields(frame, planning.Weights())
    assert list(ranked.columns) == [*frame.columns, "score", "reason"]
    assert ranked[["topic_field", "score"]].values.tolist() == [["P", 60.0], ["Q", 30.0]]
    assert ranked["reason"].tolist() == [
        "Vor allem: lange nicht dran – noch nie Thema, 1 offenes Impuls-Angebot, "
        "im Schnitt 1 Person",
        "Vor allem: lange nicht dran – noch nie Thema",
    ]


def test_the_heatmap_shows_every_quarter_and_what_is_planned(engine, known_history, now):
    from sqlalchemy import text

    f.meeting(engine, now=now, days_ahead=400, topic_field_id=known_history["b"])  # 2023
    with session_scope(engine) as s:
        heat = planning.coverage_by_quarter(session=s, now=now)
    quarters = list(dict.fromkeys(heat["quarter"]))
    # Contiguous quarters, from the first meeting to the last one scheduled.
    years = [int(q[:4]) * 4 + int(q[-1]) for q in quarters]
    assert years == list(range(years[0], years[-1] + 1)) and len(years) >= 5
    # Every field has a cell in every quarter (empty ones are 0, not missing).
    assert len(heat) == len(quarters) * heat["topic_field"].nunique()
    # The same numbers as straight SQL over the meetings table.
    with engine.connect() as conn:
        held, planned = conn.execute(
            text(
                "SELECT sum(CASE WHEN starts_at <= :now THEN 1 ELSE 0 END), "
                "sum(CASE WHEN starts_at > :now THEN 1 ELSE 0 END) FROM meeting "
                "WHERE status IN ('planned', 'held')"
            ),
            {"now": now},
        ).one()
    assert (heat["held"].sum(), heat["planned"].sum()) == (held, planned)


def _offer_without_field(engine, now):
    f.offer(engine, now=now)  # "weiß nicht": the form's default topic field


def _suggestion_without_field(engine, now):
    f.suggestion(engine, now=now, publish=True, voters=("x",))


@pytest.mark.parametrize("without_field", [_offer_without_field, _suggestion_without_field])
def test_visitor_input_without_a_topic_field_leaves_coverage_intact(
    engine, known_history, now, without_field
):
    """One offer with "weiß nicht", or only published suggestions without a field: the
    only rows per field are then the unassigned ones, whose null id once made the frame's
    key an object column that pandas refused to merge with the fields' integer ids."""
    without_field(engine, now)
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now)
    assert cov["topic_field_id"].dtype == "int64"
    assert list(cov["topic_field"]) == ["Feld A", "Feld B"]
    assert cov[["suggestions", "votes", "open_offers"]].sum().sum() == 0
    unassigned = (cov.attrs["unassigned_suggestions"], cov.attrs["unassigned_offers"])
    assert unassigned == ((0, 1) if without_field is _offer_without_field else (1, 0))
    ranked = planning.rank_topic_fields(cov, planning.Weights())
    assert len(ranked) == 2


def test_scheduled_meetings_count_per_field_only_when_published_and_not_cancelled(engine, now):
    """The "already scheduled" column counts planned future meetings of each field on its
    own; a draft or a cancelled future meeting schedules nothing."""
    fields = {n: f.topic_field(engine, now=now, name=f"Feld {n}") for n in "ABC"}
    actor = f.team(engine, now=now)
    f.meeting(engine, now=now, days_ahead=5, topic_field_id=fields["A"])
    f.meeting(engine, now=now, days_ahead=30, topic_field_id=fields["A"])
    f.meeting(engine, now=now, days_ahead=10, topic_field_id=fields["B"])
    f.meeting(engine, now=now, days_ahead=3, topic_field_id=fields["C"], status="draft")
    cancelled = f.meeting(engine, now=now, days_ahead=4, topic_field_id=fields["C"])
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=cancelled, status=MeetingStatus.CANCELLED, now=now
        )
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now).set_index("topic_field")
    assert cov["meetings_scheduled"].to_dict() == {"Feld A": 2, "Feld B": 1, "Feld C": 0}
    next_days = {
        name: (None if pd.isna(day) else (day.date() - now.astimezone(BERLIN).date()).days)
        for name, day in cov["next_scheduled"].items()
    }
    assert next_days == {"Feld A": 5, "Feld B": 10, "Feld C": None}
    ranked = planning.rank_topic_fields(cov.reset_index(), planning.Weights())
    # Only Feld C has a gap left to close; the other two are covered by their next meeting
    # and score nothing at all (no demand either).
    assert ranked[["topic_field", "score"]].values.tolist() == [
        ["Feld C", 30.0],
        ["Feld A", 0.0],
        ["Feld B", 0.0],
    ]
    assert ranked["reason"][0] == "Vor allem: lange nicht dran – noch nie Thema"
    # A score of 0: the reason names the state, not a strongest signal that is zero.
    assert all(reason.startswith("Schon geplant am ") for reason in ranked["reason"][1:])


def test_open_offers_count_per_field_and_closed_ones_without_a_field_are_not_unassigned(
    engine, now
):
    """Open offers (eingegangen, in Abstimmung) are counted for each field separately; a
    declined offer without a field no longer waits for one."""
    fields = {n: f.topic_field(engine, now=now, name=f"Feld {n}") for n in "AB"}
    actor = f.team(engine, now=now)
    f.offer(engine, now=now, topic_field_id=fields["A"])
    f.offer(engine, now=now, topic_field_id=fields["A"])
    f.offer(engine, now=now, topic_field_id=fields["B"])
    f.offer(engine, now=now)  # "weiß nicht": waits for a field
    declined = f.offer(engine, now=now)
    with session_scope(engine) as s:
        offer_review.move(
            session=s, actor=actor, offer_id=declined, to_state=OfferState.DECLINED, now=now
        )
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now).set_index("topic_field")
    assert cov["open_offers"].to_dict() == {"Feld A": 2, "Feld B": 1}
    assert cov.attrs == {"unassigned_suggestions": 0, "unassigned_offers": 1}


def test_heatmap_rows_follow_the_field_order_with_archived_fields_last_and_only_if_used(
    engine, now
):
    """The heatmap lists the fields on offer in their order (gaps show), then archived
    fields, but only those that have meetings; cells are whole numbers."""
    fields = {n: f.topic_field(engine, now=now, name=f"Feld {n}") for n in "ABCD"}
    actor = f.team(engine, now=now)
    f.meeting(engine, now=now - timedelta(days=10), days_ahead=5, topic_field_id=fields["A"])
    f.meeting(engine, now=now, days_ahead=5, topic_field_id=fields["C"])
    with session_scope(engine) as s:
        topics.move_topic_field(
            session=s, actor=actor, topic_field_id=fields["C"], step=-1, now=now
        )
    for archived in ("A", "D"):  # A first in the order and with a meeting; D without any
        with session_scope(engine) as s:
            topics.archive_topic_field(
                session=s, actor=actor, topic_field_id=fields[archived], now=now
            )
    with session_scope(engine) as s:
        heat = planning.coverage_by_quarter(session=s, now=now)
    assert heat.to_dict("records") == [
        {"topic_field": "Feld C", "quarter": "2021 Q4", "held": 0, "planned": 1},
        {"topic_field": "Feld B", "quarter": "2021 Q4", "held": 0, "planned": 0},
        {"topic_field": "Feld A", "quarter": "2021 Q4", "held": 1, "planned": 0},
    ]
    assert (str(heat["held"].dtype), str(heat["planned"].dtype)) == ("int64", "int64")
