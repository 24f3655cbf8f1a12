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


# --- how the log reads (German, for the team's "Änderungsprotokoll") -------------------------

ACTION_LABELS = {
    "login.success": "Anmeldung",
    "login.sso": "Anmeldung (Single-Sign-On)",
    "logout": "Abmeldung",
    "logout.everywhere": "Überall abgemeldet",
    "organizer.add": "Konto angelegt",
    "organizer.remove": "Konto entfernt",
    "organizer.activate": "Konto aktiviert",
    "organizer.deactivate": "Konto deaktiviert",
    "organizer.role": "Rolle geändert",
    "organizer.password": "Passwort gesetzt",
    "organizer.password_link": "Link für neues Passwort",
    "organizer.unlock": "Anmeldesperre aufgehoben",
    "topic_field.create": "Themenfeld angelegt",
    "topic_field.update": "Themenfeld geändert",
    "topic_field.move": "Themenfelder umsortiert",
    "topic_field.archive": "Themenfeld archiviert",
    "topic_field.restore": "Themenfeld wieder zur Auswahl",
    "topic_field.delete": "Themenfeld gelöscht",
    "site.text": "Seitentext geändert",
    "meeting.create": "Termin angelegt",
    "meeting.update": "Termin geändert",
    "meeting.series": "Serie als Entwürfe angelegt",
    "meeting.delete_draft": "Entwurf gelöscht",
    "meeting.planned": "Termin veröffentlicht",
    "meeting.held": "Termin stattgefunden",
    "meeting.cancelled": "Termin abgesagt",
    "meeting.attendance_import": "Zoom-Bericht importiert",
    "impulse.add": "Impuls hinzugefügt",
    "impulse.move": "Impuls verschoben",
    "impulse.remove": "Impuls entfernt",
    "suggestion.approved": "Vorschlag veröffentlicht",
    "suggestion.rejected": "Vorschlag abgelehnt",
    "suggestion.merge": "Vorschläge zusammengeführt",
    "suggestion.topic_field": "Vorschlag umsortiert",
    "offer.in_discussion": "Impuls-Angebot in Abstimmung",
    "offer.accepted": "Impuls-Angebot angenommen",
    "offer.declined": "Impuls-Angebot abgelehnt",
    "offer.note": "Notiz zum Impuls-Angebot",
    "registration.cancel": "Anmeldung storniert",
    "registration.promote": "Von der Warteliste nachgerückt",
    "registration.attendance": "Teilnahme erfasst",
    "privacy.export": "Auskunft erstellt",
    "privacy.erase": "Daten gelöscht",
    "privacy.retention": "Löschfrist angewandt",
    "mail.resend": "Mail erneut gesendet",
    "mail.test": "Testmail",
}
OBJECT_LABELS = {
    "meeting": "Termin",
    "topic_field": "Themenfeld",
    "organizer": "Konto",
    "suggestion": "Vorschlag",
    "offer": "Impuls-Angebot",
    "registration": "Anmeldung",
    "impulse": "Impuls",
    "mail": "Mail",
}
KEY_LABELS = {
    "name": "Name",
    "description": "Beschreibung",
    "usage": "verwendet",
    "suggestion": "aus Vorschlag Nr.",
    "mail": "Mail an",
    "via": "über",
    "first": "erstes Passwort",
    "theme": "Thema",
    "from": "vorher",
    "to": "nachher",
    "into": "in Vorschlag Nr.",
    "votes": "Stimmen",
}
SHORT = 160


def action_label(action: str) -> str:
    """The German name of an action (the code itself for one this table does not know)."""
    return ACTION_LABELS.get(action, action)


def object_label(object_type: str | None, object_id: int | None) -> str:
    if not object_type:
        return ""
    return f"{OBJECT_LABELS.get(object_type, object_type)} Nr. {object_id}"


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{KEY_LABELS.get(k, k)}: {_short(v)}" for k, v in value.items())
    text = "–" if value in (None, "") else str(value).replace("\n", " ⏎ ")
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _quoted(value: Any) -> str:
    # "–" stands for "nothing" (also where a service already wrote it so): never quoted.
    quoted = isinstance(value, str) and value.strip() not in ("", "–")
    return "„" + _short(value) + "“" if quoted else _short(value)


def describe(details: dict[str, Any]) -> str:
    """A log entry's details in German words, with "vorher → nachher" where it has both
    ("bert: „aktiv“ → „deaktiviert“", "Name: „Klima“ → „Klima & Energie“")."""
    rest = dict(details)
    label, name, key = rest.pop("label", None), rest.pop("name", None), rest.pop("key", None)
    subject = label or name or key
    before, after = rest.pop("before", None), rest.pop("after", None)
    parts = []
    if isinstance(before, dict) or isinstance(after, dict):
        changes = []
        for field in dict.fromkeys([*(before or {}), *(after or {})]):
            old, new = (before or {}).get(field), (after or {}).get(field)
            if before is not None and after is not None and _short(old) == _short(new):
                continue  # a field both sides name but this change left as it was
            shown = (
                _quoted(new)
                if before is None
                else _quoted(old)
                if after is None
                else f"{_quoted(old)} → {_quoted(new)}"
            )
            changes.append(f"{KEY_LABELS.get(field, field)}: {shown}")
        parts.append((f"{subject} – " if subject else "") + ", ".join(changes))
    elif before is not None or after is not None:
        change = f"{_quoted(before)} → {_quoted(after)}"
        parts.append(f"{subject}: {change}" if subject else change)
    elif subject:
        parts.append(str(subject))
    parts.extend(f"{KEY_LABELS.get(k, k)}: {_quoted(v)}" for k, v in rest.items())
    return " · ".join(parts)
