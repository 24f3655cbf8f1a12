"""Topic fields (Themenfelder)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from stammtisch import limits
from stammtisch.db import casefold, view_of, write_transaction
from stammtisch.errors import ValidationError
from stammtisch.models import TopicField
from stammtisch.validation import FieldChecker, fold_text


@dataclass(frozen=True)
class TopicFieldView:
    id: int
    slug: str
    name: str
    description: str
    position: int


def slugify(name: str) -> str:
    """'Klimaschutz & Energiewende' -> 'klimaschutz-energiewende' (umlauts spelled out)."""
    text = name.lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "themenfeld"


def list_topic_fields(*, session: Session) -> list[TopicFieldView]:
    """All topic fields in their display order."""
    rows = session.exec(select(TopicField).order_by(TopicField.position, TopicField.id)).all()
    return [_view(r) for r in rows]


def _view(row: TopicField) -> TopicFieldView:
    return view_of(TopicFieldView, row)


def create_topic_field(
    *, session: Session, name: str, description: str = "", now: datetime
) -> TopicFieldView:
    """Add a topic field at the end of the order; names and slugs are unique."""
    with write_transaction(session):
        view = _view(insert_topic_field(session, name=name, description=description, now=now))
    return view


def insert_topic_field(
    session: Session, *, name: str, description: str, now: datetime, slug: str | None = None
) -> TopicField:
    """Validate and write a topic field at the end of the order (inside the caller's
    transaction; the seed passes its own slugs)."""
    check = FieldChecker()
    clean_name = check.text("name", name, label="einen Namen", limit=limits.TOPIC_NAME)
    clean_desc = check.text(
        "description", description, label="eine Beschreibung", limit=limits.TOPIC_DESCRIPTION
    )
    check.raise_if_any()
    slug = slug or slugify(clean_name)
    clash = session.exec(
        select(TopicField).where(
            (casefold(session, TopicField.name) == fold_text(clean_name))
            | (TopicField.slug == slug)
        )
    ).first()
    if clash is not None:
        raise ValidationError.single("name", "Ein Themenfeld mit diesem Namen gibt es schon.")
    last = session.exec(select(func.max(TopicField.position))).one()
    row = TopicField(
        slug=slug,
        name=clean_name,
        description=clean_desc or "",
        position=(last or 0) + 1,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
