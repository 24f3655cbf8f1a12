"""Alembic owns the schema: the migrations produce exactly what the models declare, and
upgrading from the first released schema keeps every row."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

from stammtisch.db import current_revision, make_engine, migrate, session_scope
from stammtisch.models import Meeting, Organizer, Registration, Suggestion, TopicField


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_from_first_schema_keeps_every_row(db_url, tmp_path):
    # A fresh database at revision 0001 (the template is already at head, so start empty).
    url = f"sqlite:///{tmp_path / 'old.db'}" if db_url.startswith("sqlite") else db_url
    engine = make_engine(url)
    if not db_url.startswith("sqlite"):
        with engine.begin() as conn:  # drop what the template created, start from nothing
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    # Raw SQL as an old version of the app wrote it: UTC, naive on SQLite.
    moment = datetime(2021, 11, 20, 11, tzinfo=UTC)
    now = moment.replace(tzinfo=None).isoformat(sep=" ") if url.startswith("sqlite") else moment
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO topic_field (id, slug, name, description, position, created_at) "
                "VALUES (1, 'klima', 'Klima', '', 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO meeting (id, theme, description, starts_at, ends_at, primary_topic_field_id, "
                "registration_state, status, created_at, updated_at) VALUES "
                "(1, 'Alt', '', :t, :t, 1, 'open', 'planned', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO registration (id, meeting_id, name, email, email_normalized, consent_at, "
                "status, token_hash, attendance, participant_key, created_at) VALUES "
                "(1, 1, 'Eva', 'eva@example.org', 'eva@example.org', :t, 'confirmed', 'h', 'unknown', 'k', :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO suggestion (id, text, kind, state, votes, created_at) VALUES "
                "(1, 'Ein alter Vorschlag', 'topic', 'approved', 3, :t)"
            ),
            {"t": now},
        )
    migrate(engine)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, 1)
        assert meeting.theme == "Alt" and meeting.unregistered_attendees == 0
        assert s.get(Registration, 1).email == "eva@example.org"
        assert s.get(Suggestion, 1).votes == 3
        assert s.get(Registration, 1).created_at == moment
    engine.dispose()


def test_0009_keeps_every_fields_colour_and_makes_the_first_active_account_admin(db_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}" if db_url.startswith("sqlite") else db_url
    engine = make_engine(url)
    if not db_url.startswith("sqlite"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine, "0008")
    moment = datetime(2021, 11, 20, 11, tzinfo=UTC)
    now = moment.replace(tzinfo=None).isoformat(sep=" ") if url.startswith("sqlite") else moment
    with engine.begin() as conn:
        # Positions out of id order: the colour followed the position until now.
        for field_id, position in ((1, 3), (2, 1), (3, 2)):
            conn.execute(
                text(
                    "INSERT INTO topic_field (id, slug, name, description, position, created_at) "
                    "VALUES (:id, :slug, :slug, '', :pos, :t)"
                ),
                {"id": field_id, "slug": f"feld-{field_id}", "pos": position, "t": now},
            )
        for organizer_id, active in ((1, False), (2, True), (3, True)):
            conn.execute(
                text(
                    "INSERT INTO organizer (id, name, login_key, display_name, password_hash, "
                    "active, created_at) VALUES (:id, :n, :n, :n, 'h', :a, :t)"
                ),
                {"id": organizer_id, "n": f"orga{organizer_id}", "a": active, "t": now},
            )
    migrate(engine)
    with session_scope(engine) as s:
        slots = {tf.id: tf.colour_slot for tf in s.exec(select(TopicField)).all()}
        roles = {o.id: o.role for o in s.exec(select(Organizer)).all()}
        assert all(tf.archived_at is None for tf in s.exec(select(TopicField)).all())
    assert slots == {2: 0, 3: 1, 1: 2}
    assert roles == {1: "organizer", 2: "admin", 3: "organizer"}
    engine.dispose()
