"""Dashboard and planning figures on a small hand-made dataset with known answers."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlmodel import select

from stammtisch import analytics, offers, planning, privacy, suggestions
from stammtisch.db import session_scope
from stammtisch.models import Attendance, Meeting, ModerationState, Registration
from tests import factories as f


@pytest.fixture
def data(engine, now):
    """Three meetings in two topic fields, people who return, known attendance.

    m1 (field A, cap 2): ann(SN) ben(ST) confirmed, cat(TH) waitlisted; ann yes, ben no
    m2 (field B):        ann(SN) dan(other) eve(no state) confirmed, fay cancelled; all yes
    m3 (field A, future): ben(ST) confirmed
    """
    a = f.topic_field(engine, now=now, name="Feld A")
    b = f.topic_field(engine, now=now, name="Feld B")
    early = now - timedelta(days=120)
    m1 = f.meeting(engine, now=early, days_ahead=10, capacity=2, topic_field_id=a, theme="Eins")
    m2 = f.meeting(engine, now=early, days_ahead=60, topic_field_id=b, theme="Zwei")
    m3 = f.meeting(engine, now=now, days_ahead=20, topic_field_id=a, theme="Drei")
    people = {
        "ann": "sachsen",
        "ben": "sachsen-anhalt",
        "cat": "thueringen",
        "dan": "other",
        "eve": None,
        "fay": "sachsen",
    }

    def reg(meeting, who, when):
        return f.register(
            engine, meeting, who, now=when, email=f"{who}@example.org", federal_state=people[who]
        )

    for who in ("ann", "ben", "cat"):
        reg(m1, who, early)
    for who in ("ann", "dan", "eve", "fay"):
        reg(m2, who, early)
    reg(m3, "ben", now)
    with session_scope(engine) as s:
        rows = s.exec(select(Registration)).all()
        for r in rows:
            key = (r.meeting_id, r.email)
            if key == (m1, "ann@example.org"):
                r.attendance = Attendance.YES
            elif key == (m1, "ben@example.org"):
                r.attendance = Attendance.NO
            elif r.meeting_id == m2:
                r.attendance = Attendance.YES
                if r.email == "fay@example.org":
                    r.status = "cancelled"
            s.add(r)
        meeting = s.get(Meeting, m2)
        meeting.unregistered_attendees = 2
        s.add(meeting)
        s.commit()
    return {"a": a, "b": b, "m1": m1, "m2": m2, "m3": m3}


def _stats(engine, **filters):
    with session_scope(engine) as s:
        return analytics.meeting_stats(session=s, filters=analytics.Filters(**filters)).set_index(
            "theme"
        )


def test_meeting_stats_counts(engine, data):
    stats = _stats(engine)
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


def test_filters_by_topic_field_and_date(engine, data, now):
    assert list(_stats(engine, topic_field_id=data["b"]).index) == ["Zwei"]
    assert list(_stats(engine, start=now).index) == ["Drei"]
    assert _stats(engine, start=now + timedelta(days=999)).empty


def test_key_figures_latest_against_previous(engine, data, now):
    with session_scope(engine) as s:
        stats = analytics.meeting_stats(session=s)
    latest, figures = analytics.key_figures(stats, now=now)
    assert latest["theme"] == "Zwei"
    by_label = {k.label: k for k in figures}
    assert (by_label["Anmeldungen"].value, by_label["Anmeldungen"].delta) == (3, 1)
    assert (by_label["Teilnahme"].value, by_label["Teilnahme"].previous) == (5, 1)
    assert by_label["No-Show-Quote"].delta == -0.5
    assert by_label["Neu dabei"].value == 2


def test_figures_survive_anonymisation(engine, data, now):
    before = _stats(engine)
    actor = f.organizer(engine, now=now)
    with session_scope(engine) as s:
        result = privacy.apply_retention(session=s, actor=actor, now=now + timedelta(days=400))
    assert result.anonymised == 8
    after = _stats(engine)
    pd.testing.assert_frame_equal(before, after)


def test_inflow_per_month(engine, now):
    for n in range(3):
        with session_scope(engine) as s:
            suggestions.submit_suggestion(
                session=s,
                data=suggestions.SuggestionInput(text=f"Vorschlag Nummer {n}"),
                now=now - timedelta(days=40 * n),
            )
    with session_scope(engine) as s:
        offers.submit_impulse_offer(
            session=s,
            data=offers.ImpulseOfferInput(
                title="Ein Impuls",
                description="Eine ausreichend lange Beschreibung.",
                name="Kim",
                email="kim@example.org",
            ),
            now=now,
        )
    with session_scope(engine) as s:
        inflow = analytics.inflow_per_month(session=s)
    months = inflow[inflow["kind"] == "Vorschläge"].set_index("month")["count"].to_dict()
    assert months == {"2021-09": 1, "2021-10": 1, "2021-11": 1}
    assert inflow[inflow["kind"] == "Impuls-Angebote"]["count"].tolist() == [1]


def test_coverage_and_ranking(engine, data, now):
    with session_scope(engine) as s:
        sid = suggestions.submit_suggestion(
            session=s,
            data=suggestions.SuggestionInput(text="Mehr zu Feld B bitte", topic_field_id=data["b"]),
            now=now,
        )
    f.decide(engine, sid, ModerationState.APPROVED, now=now)
    for voter in ("x", "y"):
        with session_scope(engine) as s:
            suggestions.vote(session=s, suggestion_id=sid, voter_key=voter, now=now)
    with session_scope(engine) as s:
        cov = planning.coverage(session=s, now=now).set_index("topic_field")
        heat = planning.coverage_by_quarter(session=s, now=now)
    assert (cov.loc["Feld A"].meetings_held, cov.loc["Feld B"].meetings_held) == (1, 1)
    assert (cov.loc["Feld B"].suggestions, cov.loc["Feld B"].votes) == (1, 2)
    assert cov.loc["Feld A"].avg_registrations == 2.0 and cov.loc["Feld B"].avg_attendance == 3.0
    assert heat["meetings"].sum() == 2
    ranked = planning.rank_topic_fields(cov.reset_index(), planning.Weights())
    assert ranked.iloc[0]["topic_field"] == "Feld B"
    assert "Vorschläge" in ranked.iloc[0]["reason"]
    only_time = planning.rank_topic_fields(
        cov.reset_index(), planning.Weights(suggestions=0, votes=0, offers=0, attendance=0)
    )
    assert only_time.iloc[0]["days_since"] == only_time["days_since"].max()


def test_empty_database_gives_empty_frames(engine, now):
    with session_scope(engine) as s:
        stats = analytics.meeting_stats(session=s)
        assert stats.empty and "confirmed" in stats.columns
        assert analytics.key_figures(stats, now=now) == (None, [])
        assert planning.coverage_by_quarter(session=s, now=now).empty
        assert analytics.inflow_per_month(session=s).empty
    assert analytics.registrations_by_topic_field(stats).empty
