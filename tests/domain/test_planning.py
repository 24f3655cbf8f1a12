"""Topic planning: coverage per topic field and quarter, the ranking with its reasons."""

from __future__ import annotations

import pytest

from stammtisch import planning
from stammtisch.db import session_scope
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
    assert "Vorschläge" in ranked.iloc[0]["reason"]
    only_time = planning.rank_topic_fields(
        cov.reset_index(), planning.Weights(suggestions=0, votes=0, offers=0, attendance=0)
    )
    # Feld A has the longest gap, but its next meeting (in 20 days) is already scheduled.
    assert list(only_time["topic_field"]) == ["Feld B", "Feld A"]
    assert only_time.iloc[1]["reason"].startswith("Vor allem")
    assert "schon geplant am" in only_time.iloc[1]["reason"]
    assert cov.loc["Feld A"].meetings_scheduled == 1 and cov.loc["Feld B"].meetings_scheduled == 0


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
