"""Data protection: the retention period and GDPR access (Art. 15) and erasure (Art. 17).

Anonymising a registration removes name, e-mail and organisation and makes its token
useless; status, federal state, attendance and the pseudonymous participant key stay,
so the statistics (including new vs. returning people) remain right.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, func, literal, update
from sqlmodel import Session, col, select

from stammtisch.audit import record
from stammtisch.db import write_transaction
from stammtisch.formatting import format_meeting_time
from stammtisch.models import (
    ImpulseOffer,
    Meeting,
    Registration,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.privacy_text import RETENTION_DAYS
from stammtisch.registrations import fill_free_places
from stammtisch.validation import FieldChecker, email_key

ERASED = "(gelöscht)"


@dataclass(frozen=True)
class RetentionResult:
    anonymised: int
    cutoff: datetime


def _anonymise_values() -> dict:
    # "anon:<id>" can never equal a SHA-256 hex digest, so no token matches any more.
    return {
        "name": None,
        "email": None,
        "email_normalized": None,
        "organisation": None,
        "token_hash": literal("anon:") + cast(Registration.id, String),
    }


def due_for_retention(*, session: Session, now: datetime, days: int = RETENTION_DAYS) -> int:
    """How many registrations the next retention run would anonymise."""
    cutoff = now - timedelta(days=days)
    ended = select(Meeting.id).where(Meeting.ends_at < cutoff)
    return session.exec(
        select(func.count())
        .select_from(Registration)
        .where(col(Registration.meeting_id).in_(ended), col(Registration.anonymised_at).is_(None))
    ).one()


def apply_retention(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    now: datetime,
    days: int = RETENTION_DAYS,
    system: bool = False,
) -> RetentionResult:
    """Anonymise registrations of meetings that ended more than ``days`` ago. Idempotent.

    ``system=True`` is the scheduled/CLI run (no organizer); otherwise an organizer acts.
    """
    cutoff = now - timedelta(days=days)
    with write_transaction(session):
        if not system:
            require_organizer(session, actor)
        ended = select(Meeting.id).where(Meeting.ends_at < cutoff)
        result = session.exec(
            update(Registration)
            .where(
                col(Registration.meeting_id).in_(ended),
                col(Registration.anonymised_at).is_(None),
            )
            .values(**_anonymise_values(), anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
        count = result.rowcount or 0
        record(
            session,
            actor=None if system else actor,
            action="privacy.retention",
            obj=None,
            details={"days": days, "anonymised": count, "cutoff": cutoff.isoformat()},
            now=now,
        )
    return RetentionResult(anonymised=count, cutoff=cutoff)


def _clean_email(email: str) -> str:
    check = FieldChecker()
    clean = check.email("email", email)
    check.raise_if_any()
    return email_key(clean)


def _email_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def export_person(
    *, session: Session, actor: OrganizerIdentity | None, email: str, now: datetime
) -> dict:
    """Everything stored about one e-mail address (GDPR Art. 15), JSON-ready."""
    key = _clean_email(email)
    with write_transaction(session):
        require_organizer(session, actor)
        regs = session.exec(
            select(Registration, Meeting)
            .join(Meeting, Meeting.id == Registration.meeting_id)
            .where(Registration.email_normalized == key)
            .order_by(Meeting.starts_at)
        ).all()
        offers = session.exec(
            select(ImpulseOffer).where(func.lower(ImpulseOffer.email) == key)
        ).all()
        record(
            session,
            actor=actor,
            action="privacy.export",
            obj=None,
            details={
                "email_sha256": _email_hash(key),
                "registrations": len(regs),
                "offers": len(offers),
            },
            now=now,
        )
        data = {
            "erstellt_am": now.isoformat(),
            "email": key,
            "anmeldungen": [
                {
                    "termin": format_meeting_time(m.starts_at, m.ends_at),
                    "thema": m.theme,
                    "name": r.name,
                    "email": r.email,
                    "organisation": r.organisation,
                    "bundesland": r.federal_state,
                    "status": r.status,
                    "teilnahme": r.attendance,
                    "einwilligung_am": r.consent_at.isoformat(),
                    "angemeldet_am": r.created_at.isoformat(),
                }
                for r, m in regs
            ],
            "impuls_angebote": [
                {
                    "titel": o.title,
                    "beschreibung": o.description,
                    "name": o.name,
                    "organisation": o.organisation,
                    "email": o.email,
                    "status": o.state,
                    "eingegangen_am": o.created_at.isoformat(),
                }
                for o in offers
            ],
            "hinweis": (
                "Vorschläge der Themensammlung speichern wir ohne E-Mail-Adresse; sie lassen "
                "sich einer Person nur über den freiwillig angegebenen Namen zuordnen."
            ),
        }
    return data


def erase_person(
    *, session: Session, actor: OrganizerIdentity | None, email: str, now: datetime
) -> dict[str, int]:
    """Erase one person's data (GDPR Art. 17): registrations anonymised (future ones
    cancelled first, so the waitlist moves up), impulse offers' personal fields blanked."""
    key = _clean_email(email)
    with write_transaction(session):
        require_organizer(session, actor)
        regs = session.exec(select(Registration).where(Registration.email_normalized == key)).all()
        cancelled = 0
        for reg in regs:
            meeting = session.exec(
                select(Meeting).where(Meeting.id == reg.meeting_id).with_for_update()
            ).one()
            if reg.status != RegistrationStatus.CANCELLED and meeting.ends_at > now:
                was = reg.status
                reg.status = RegistrationStatus.CANCELLED
                reg.cancelled_at = now
                session.add(reg)
                session.flush()
                cancelled += 1
                if was == RegistrationStatus.CONFIRMED:
                    fill_free_places(session, meeting)
        ids = [r.id for r in regs]
        if ids:
            session.exec(
                update(Registration)
                .where(col(Registration.id).in_(ids))
                .values(**_anonymise_values(), anonymised_at=now)
                .execution_options(synchronize_session=False)
            )
        offers = session.exec(
            select(ImpulseOffer).where(func.lower(ImpulseOffer.email) == key)
        ).all()
        for offer in offers:
            offer.name = ERASED
            offer.email = ""
            offer.organisation = None
            offer.updated_at = now
            session.add(offer)
        record(
            session,
            actor=actor,
            action="privacy.erase",
            obj=None,
            details={
                "email_sha256": _email_hash(key),
                "registrations": len(ids),
                "cancelled": cancelled,
                "offers": len(offers),
            },
            now=now,
        )
        result = {"registrations": len(ids), "cancelled": cancelled, "offers": len(offers)}
    return result


__all__ = ["apply_retention", "due_for_retention", "erase_person", "export_person"]
