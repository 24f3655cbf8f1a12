"""The seed content, its idempotent loading, and preparing a new database once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from sqlmodel import func, select

from stammtisch import meetings, topics
from stammtisch.bootstrap import SEED_FILE, init_database
from stammtisch.clock import parse_instant
from stammtisch.config import PROJECT_ROOT
from stammtisch.db import alembic_config, current_revision, make_engine, session_scope
from stammtisch.models import (
    Impulse,
    Meeting,
    MeetingTopicField,
    Registration,
    SiteSetting,
    Suggestion,
    TopicField,
)
from stammtisch.site import site_texts
from tests.conftest import SEED_NOW

SEED_PAGE = PROJECT_ROOT.parent / "shared" / "seed" / "stammtisch-website.txt"
TABLES = (TopicField, Meeting, MeetingTopicField, Impulse, Registration, Suggestion, SiteSetting)


def _counts(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {t.__tablename__: s.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def test_seed_has_the_five_topic_fields_of_the_page_in_order(seeded):
    with session_scope(seeded) as s:
        fields = topics.list_topic_fields(session=s)
    assert [t.name for t in fields] == [
        "Klimaschutz & Energiewende",
        "Mobilität und lokale Infrastruktur",
        "Nachhaltiges Wirtschaften",
        "Strukturwandel-Strukturen",
        "Engagement und Zivilgesellschaft",
    ]
    assert fields[0].description.startswith("Die Energiewende ist eine der zentralen")


def test_seed_shows_the_situation_of_the_original_page(seeded):
    with session_scope(seeded) as s:
        upcoming = meetings.list_upcoming(session=s, now=SEED_NOW)
        past = meetings.list_past(session=s, now=SEED_NOW)
    assert [(m.time_label, m.theme, m.registration_state) for m in upcoming] == [
        ("Mo, 06.12.2021, 17:00–18:30 Uhr", "Engagement & Zivilgesellschaft", "open"),
        ("Mo, 24.01.2022, 17:00–18:30 Uhr", "Lebendige Orte", "not_open"),
        ("Mo, 07.03.2022, 17:00–18:30 Uhr", "Jugendbeteiligung", "not_open"),
        ("Mo, 25.04.2022, 17:00–18:30 Uhr", "Stiftungen & Engagement", "not_open"),
    ]
    assert all(not m.impulses for m in upcoming)  # "Impulse werden noch gesammelt"
    assert upcoming[0].description.startswith("Welche zivilgesellschaftlichen Zusammenschlüsse")
    assert [m.time_label for m in past] == ["Mo, 01.11.2021, 17:00–18:30 Uhr"]
    assert past[0].status == "held"
    assert past[0].documentation_url and past[0].documentation_text
    assert past[0].accepts_registrations(SEED_NOW) is False
    assert upcoming[0].accepts_registrations(SEED_NOW) is True


def test_seed_texts_match_the_page(seeded):
    page = SEED_PAGE.read_text(encoding="utf-8") if SEED_PAGE.exists() else None
    with session_scope(seeded) as s:
        texts = site_texts(session=s)
    assert "Schützengasse 16-18" in texts["address"] and "01067 Dresden" in texts["address"]
    assert texts["funding"].startswith("Diese Maßnahme wird mitfinanziert")
    assert texts["about"].startswith("Mit dem digitalen")
    if page is not None:
        squashed = " ".join(page.split())
        for paragraph in texts["about"].split("\n\n")[:3]:
            assert " ".join(paragraph.split()) in squashed
        with session_scope(seeded) as s:
            for m in s.exec(select(Meeting)).all():
                assert " ".join(m.description.split()) in squashed


def test_today_all_seed_meetings_are_past(seeded):
    today = datetime(2026, 11, 25, 12, tzinfo=UTC)
    with session_scope(seeded) as s:
        assert meetings.list_upcoming(session=s, now=today) == []
        assert len(meetings.list_past(session=s, now=today)) == 5


def test_init_twice_changes_nothing(engine):
    first = init_database(engine, now=SEED_NOW)
    before = _counts(engine)
    second = init_database(engine, now=parse_instant("2022-01-01T00:00:00"))
    assert first.seeded and not second.seeded
    assert _counts(engine) == before
    assert before["topic_field"] == 5 and before["meeting"] == 5


def test_init_does_not_bring_back_deleted_seed_rows(engine):
    init_database(engine, now=SEED_NOW)
    with session_scope(engine) as s:
        s.delete(s.exec(select(Meeting).where(Meeting.theme == "Jugendbeteiligung")).one())
        s.commit()
    init_database(engine, now=SEED_NOW)
    assert _counts(engine)["meeting"] == 4


def test_migrated_to_newest_revision(seeded):
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(seeded)).get_current_head()
    assert current_revision(seeded) == head


def test_seed_file_is_valid_json_with_five_meetings():
    content = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    assert len(content["meetings"]) == 5 and len(content["topic_fields"]) == 5


def test_cli_init_creates_and_seeds_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"DATABASE_URL": url, "STAMMTISCH_NOW": "2021-11-20T12:00:00+01:00", "PATH": "/usr/bin"}
    run = [sys.executable, "-m", "stammtisch", "init"]
    first = subprocess.run(run, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    second = subprocess.run(run, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "5 Themenfelder, 5 Termine" in first.stdout
    assert second.returncode == 0 and "nichts geändert" in second.stdout


def test_app_processes_starting_together_on_postgresql_prepare_the_database_once(empty_pg_url):
    """Every app process runs init_database at start; on one PostgreSQL they queue up."""
    import threading

    from sqlalchemy import func
    from sqlmodel import select

    from stammtisch.db import session_scope
    from stammtisch.models import Meeting, TopicField

    engines = [make_engine(empty_pg_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results, errors = [], []

    def start(engine):
        barrier.wait()
        try:
            results.append(init_database(engine, now=SEED_NOW))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.seeded for r in results) == [False, False, False, True]
    with session_scope(engines[0]) as s:
        assert s.exec(select(func.count()).select_from(TopicField)).one() == 5
        assert s.exec(select(func.count()).select_from(Meeting)).one() == 5
    for e in engines:
        e.dispose()
