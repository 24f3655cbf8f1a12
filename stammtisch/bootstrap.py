"""Preparing a database: migrate to the newest schema and, once, load the seed content.

Idempotent: the seed is loaded only into a database that has never been seeded (a
``seeded_at`` marker), so a second start, or a restart after organizers changed or
deleted seed meetings, topic fields or page texts, changes nothing. The one later
addition: a page text the seed has and the database never had (a text added to the app
after the database was seeded) gets the seed's version; edited texts are never touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from stammtisch.clock import BERLIN
from stammtisch.config import DATA_DIR
from stammtisch.db import migrate, session_scope, write_transaction
from stammtisch.meetings import MeetingInput, insert_meeting, validate_meeting
from stammtisch.models import SiteSetting
from stammtisch.site import TEXT_KEYS, TEXT_PREFIX, missing_seed_texts
from stammtisch.topics import insert_topic_field

SEED_FILE = DATA_DIR / "seed.json"
SEEDED_KEY = "seeded_at"


@dataclass(frozen=True)
class InitReport:
    seeded: bool
    topic_fields: int
    meetings: int


def berlin_instant(day: str, clock_time: str) -> datetime:
    """'2021-12-06', '17:00' -> that wall time in Berlin, as an aware datetime."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock_time), BERLIN)


def load_seed(session: Session, *, now: datetime, seed_file: Path = SEED_FILE) -> InitReport:
    """Load the seed content in one transaction unless this database was seeded before."""
    content = json.loads(seed_file.read_text(encoding="utf-8"))
    seeded_before = session.get(SiteSetting, SEEDED_KEY) is not None
    missing = missing_seed_texts(session, content["site"]) if seeded_before else {}
    session.rollback()  # a read only: the write below starts its own transaction
    if seeded_before:
        if missing:
            _add_texts(session, content["site"])
        return InitReport(seeded=False, topic_fields=0, meetings=0)
    with write_transaction(session):
        if session.get(SiteSetting, SEEDED_KEY) is not None:
            return InitReport(seeded=False, topic_fields=0, meetings=0)
        for key in TEXT_KEYS:
            if key in content["site"]:
                session.add(SiteSetting(key=TEXT_PREFIX + key, value=content["site"][key]))
        slugs: dict[str, int] = {}
        for tf in content["topic_fields"]:
            row = insert_topic_field(
                session, name=tf["name"], description=tf["description"], now=now, slug=tf["slug"]
            )
            slugs[tf["slug"]] = row.id
        for m in content["meetings"]:
            values = validate_meeting(
                session,
                MeetingInput(
                    theme=m["theme"],
                    description=m.get("description", ""),
                    starts_at=berlin_instant(m["date"], m["start"]),
                    ends_at=berlin_instant(m["date"], m["end"]),
                    primary_topic_field_id=slugs[m["topic_field"]],
                    further_topic_field_ids=[slugs[s] for s in m.get("further_topic_fields", [])],
                    registration_state=m.get("registration_state", "not_open"),
                    capacity=m.get("capacity"),
                    online_link=m.get("online_link"),
                    documentation_url=m.get("documentation_url"),
                    documentation_text=m.get("documentation_text"),
                    status=m.get("status", "planned"),
                ),
            )
            insert_meeting(session, values, now)
        session.add(SiteSetting(key=SEEDED_KEY, value=now.isoformat()))
        report = InitReport(seeded=True, topic_fields=len(slugs), meetings=len(content["meetings"]))
    return report


def _add_texts(session: Session, seed: dict[str, str]) -> None:
    """Texts the seed has and this database never had (added to the app after it was
    seeded) get the seed's first version; an edited or emptied text is never touched."""
    with write_transaction(session):
        for key, value in missing_seed_texts(session, seed).items():
            session.add(SiteSetting(key=TEXT_PREFIX + key, value=value))


# Any fixed number: the PostgreSQL advisory lock that serialises database preparation.
INIT_LOCK_ID = 0x5374_616D  # "Stam"


@contextmanager
def _exclusive_init(engine: Engine) -> Iterator[None]:
    """Only one process prepares the database at a time.

    Several app processes starting together on one PostgreSQL would otherwise run the
    same migration twice or load the seed twice. SQLite serialises writers itself, and
    several processes on one SQLite file are meant for one machine only.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": INIT_LOCK_ID})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": INIT_LOCK_ID})
            conn.commit()


def init_database(engine: Engine, *, now: datetime, seed: bool = True) -> InitReport:
    """Migrate to the newest schema, then load the seed content if never loaded.

    Safe to call from several processes at once (each app process does at start).
    """
    with _exclusive_init(engine):
        migrate(engine)
        if not seed:
            return InitReport(seeded=False, topic_fields=0, meetings=0)
        with session_scope(engine) as session:
            return load_seed(session, now=now)


def is_seeded(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return (
            session.exec(select(SiteSetting).where(SiteSetting.key == SEEDED_KEY)).first()
            is not None
        )
