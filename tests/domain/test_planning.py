"""Topic planning: coverage per topic field and quarter, the ranking with its reasons."""

from __future__ import annotations

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
    assert heat["meetings"].sum() == 2
    ranked = planning.rank_topic_fields(cov.reset_index(), planning.Weights())
    assert ranked.iloc[0]["topic_field"] == "Feld B"
    assert "Vorschläge" in ranked.iloc[0]["reason"]
    only_time = planning.rank_topic_fields(
        cov.reset_index(), planning.Weights(suggestions=0, votes=0, offers=0, attendance=0)
    )
    assert only_time.iloc[0]["days_since"] == only_time["days_since"].max()
