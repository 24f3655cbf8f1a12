"""The audit log: who changed what, when. Written in the same transaction as the change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from stammtisch.identity import OrganizerIdentity
from stammtisch.models import AuditEntry


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor_name: str
    action: str
    object_type: str | None
    object_id: int | None
    details: dict[str, Any]


def record(
    session: Session,
    *,
    actor: OrganizerIdentity | None,
    action: str,
    obj: tuple[str, int | None] | None = None,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Add an entry to the current transaction (``actor`` None: the system or the CLI)."""
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor.id if actor else None,
            actor_name=actor.name if actor else "system",
            action=action,
            object_type=obj[0] if obj else None,
            object_id=obj[1] if obj else None,
            details=json.dumps(details or {}, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


def list_entries(
    *, session: Session, limit: int = 200, offset: int = 0, action_prefix: str | None = None
) -> list[AuditView]:
    """Newest first; for the organizers' audit page (the caller checks permission)."""
    query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if action_prefix:
        query = query.where(col(AuditEntry.action).startswith(action_prefix))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [
        AuditView(
            id=r.id,
            at=r.at,
            actor_name=r.actor_name,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            details=json.loads(r.details),
        )
        for r in rows
    ]
