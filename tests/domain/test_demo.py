"""Deterministic demo data that never mixes into a real database."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from stammtisch import analytics, demo
from stammtisch.bootstrap import init_database
from stammtisch.clock import parse_instant
from stammtisch.db import session_scope
from stammtisch.models import Registration, Suggestion, SuggestionVote
from tests import factories as f

TODAY = parse_instant("2026-11-25T12:00:00+01:00")


def test_demo_is_deterministic_and_plausible(engine, now):
    init_database(engine, now=now)
    report = demo.generate(engine, now=TODAY, seed=42)
    assert demo.is_demo(engine)
    assert report.meetings == 20 and 300 < report.registrations < 1300
    with session_scope(engine) as s:
        stats = analytics.meeting_stats(session=s)
        keys = s.exec(select(func.count(func.distinct(Registration.participant_key)))).one()
        votes = s.exec(select(func.sum(Suggestion.votes))).one()
        vote_rows = s.exec(select(func.count()).select_from(SuggestionVote)).one()
    held = stats[stats["status"] == "held"]
    assert len(held) >= 15
    assert held["returning"].sum() > 0 and held["new"].sum() > 0  # people come back
    assert 0.1 < held["no_show"].sum() / held["attendance_known"].sum() < 0.45
    assert set(stats["topic_field"]) >= {"Klimaschutz & Energiewende", "Nachhaltiges Wirtschaften"}
    assert keys < report.registrations and votes == vote_rows


def test_same_seed_same_data(tmp_path, now):
    from stammtisch.db import make_engine, migrate

    results = []
    for n in range(2):
        engine = make_engine(f"sqlite:///{tmp_path / f'd{n}.db'}")
        migrate(engine)
        init_database(engine, now=now)
        demo.generate(engine, now=TODAY, seed=7)
        with session_scope(engine) as s:
            rows = s.exec(
                select(
                    Registration.meeting_id,
                    Registration.name,
                    Registration.status,
                    Registration.attendance,
                ).order_by(Registration.id)
            ).all()
        results.append(rows)
        engine.dispose()
    assert results[0] == results[1]


def test_demo_refuses_a_database_with_real_activity(engine, now):
    init_database(engine, now=now)
    meeting = f.meeting(engine, now=now)
    f.register(engine, meeting, 1, now=now)
    with pytest.raises(demo.DemoRefused, match="nicht unbemerkt"):
        demo.generate(engine, now=TODAY)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Registration)).one() == 1


def test_demo_twice_needs_force(engine, now):
    init_database(engine, now=now)
    demo.generate(
        engine,
        now=TODAY,
        scale=demo.DemoScale(meetings=3, people=20, suggestions=5, votes=10, offers=2),
    )
    with pytest.raises(demo.DemoRefused, match="schon Demo-Daten"):
        demo.generate(engine, now=TODAY)


def test_scaled_demo_hits_the_exact_figures_with_parallel_series(engine, now):
    from stammtisch.models import Meeting

    init_database(engine, now=now)
    scale = demo.DemoScale(
        meetings=30, people=2_000, registrations=3_001, suggestions=200, votes=500, series=3
    )
    report = demo.generate(engine, now=TODAY, seed=7, scale=scale)
    assert (report.meetings, report.registrations, report.votes) == (30, 3_001, 500)
    with session_scope(engine) as s:
        rows = s.exec(select(Meeting.starts_at).where(Meeting.description.like("Demo-%"))).all()
        duplicates = s.exec(
            select(func.count())
            .select_from(Registration)
            .group_by(Registration.meeting_id, Registration.email_normalized)
            .having(func.count() > 1)
        ).all()
    assert len(rows) == 30 and len(set(rows)) == 10  # three regional series per Monday
    assert not duplicates  # one registration per person and meeting, as the app enforces


def test_cli_scale_preset_with_overrides(tmp_path, monkeypatch, capsys):
    from stammtisch import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    assert cli.main(["init"]) == 0
    argv = ["demo", "--scale", "netzwerk", "--meetings", "12", "--registrations", "600"]
    argv += ["--people", "400", "--suggestions", "40", "--votes", "60", "--offers", "3"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "12 Termine, 600 Anmeldungen, 40 Vorschläge, 60 Stimmen, 3 Impuls-Angebote" in out
