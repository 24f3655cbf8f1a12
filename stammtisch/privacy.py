"""Data protection: the retention period, GDPR access (Art. 15) and erasure (Art. 17).

Anonymising a registration removes name, e-mail address (both forms) and organisation
and replaces the token hash by a random value that no token can ever produce; status,
federal state, attendance, the consent time and the pseudonymous participant key stay,
so the statistics (including new vs. returning people) remain right. Anonymising is
idempotent: rows with ``anonymised_at`` set are never touched again.

The e-mail address of a person who asked for access or erasure is not written to the
audit log in clear: the entry carries the same keyed hash (HMAC with the installation's
secret) that the statistics use as participant key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, func, literal, update
from sqlmodel import Session, col, select

from stammtisch import mail
from stammtisch.audit import record
from stammtisch.db import casefold, write_transaction
from stammtisch.errors import ValidationError
from stammtisch.formatting import format_meeting_time
from stammtisch.meeting_rules import is_over
from stammtisch.models import (
    ACTIVE_REGISTRATION,
    Attendance,
    FederalState,
    Impulse,
    ImpulseOffer,
    Mail,
    MailStatus,
    Meeting,
    OfferState,
    Registration,
    RegistrationStatus,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.privacy_text import RETENTION_DAYS
from stammtisch.registrations import cancel_locked, lock_meeting, participant_key
from stammtisch.validation import FieldChecker, email_key

ERASED = "(gelöscht)"
MIN_DAYS, MAX_DAYS = 1, 3650


@dataclass(frozen=True)
class RetentionMeeting:
    meeting_id: int
    theme: str
    starts_at: datetime
    ends_at: datetime
    registrations: int


@dataclass(frozen=True)
class RetentionPreview:
    """What a retention run at ``now`` would anonymise."""

    days: int
    cutoff: datetime  # meetings that ended before this instant
    meetings: tuple[RetentionMeeting, ...]

    @property
    def registrations(self) -> int:
        return sum(m.registrations for m in self.meetings)


@dataclass(frozen=True)
class RetentionResult:
    days: int
    cutoff: datetime
    anonymised: int  # registrations
    meetings: int


@dataclass(frozen=True)
class PersonSummary:
    """How much is stored about one e-mail address (for the erasure confirmation)."""

    registrations: int
    future_active: int  # confirmed/waitlisted for meetings not over yet: will be cancelled
    offers: int
    impulses: int
    subscriptions: int = 0


@dataclass(frozen=True)
class ErasureResult:
    registrations: int
    cancelled: int
    promoted: int
    offers: int
    impulses: int
    mails: int = 0
    subscriptions: int = 0


def _check_days(days: int) -> int:
    check = FieldChecker()
    value = check.integer(
        "days", days, label="die Löschfrist in Tagen", minimum=MIN_DAYS, maximum=MAX_DAYS
    )
    check.raise_if_any()
    return value if value is not None else RETENTION_DAYS


def _anonymise_values(now: datetime) -> dict:
    # A random prefix per run plus the id: unique, unguessable, and never a SHA-256 hex
    # digest (it contains "-" and ":"), so no token can match it any more.
    nonce = secrets.token_hex(16)
    return {
        "name": None,
        "email": None,
        "email_normalized": None,
        "organisation": None,
        "token_hash": literal(f"anon-{nonce}:") + cast(Registration.id, String),
        "previous_token_hash": None,
        "anonymised_at": now,
    }


def _due(cutoff: datetime):
    ended = select(Meeting.id).where(Meeting.ends_at < cutoff)
    return (
        col(Registration.meeting_id).in_(ended),
        col(Registration.anonymised_at).is_(None),
    )


def retention_preview(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    now: datetime,
    days: int = RETENTION_DAYS,
) -> RetentionPreview:
    """The meetings whose registrations a retention run would anonymise, with counts."""
    require_organizer(session, actor)
    days = _check_days(days)
    cutoff = now - timedelta(days=days)
    rows = session.exec(
        select(Meeting.id, Meeting.theme, Meeting.starts_at, Meeting.ends_at, func.count())
        .join(Registration, Registration.meeting_id == Meeting.id)
        .where(*_due(cutoff))
        .group_by(Meeting.id, Meeting.theme, Meeting.starts_at, Meeting.ends_at)
        .order_by(Meeting.starts_at)
    ).all()
    return RetentionPreview(
        days=days,
        cutoff=cutoff,
        meetings=tuple(
            RetentionMeeting(
                meeting_id=mid, theme=theme, starts_at=start, ends_at=end, registrations=int(n)
            )
            for mid, theme, start, end, n in rows
        ),
    )


def _retention(
    session: Session, actor: OrganizerIdentity | None, now: datetime, days: int
) -> RetentionResult:
    cutoff = now - timedelta(days=days)
    meetings = session.exec(
        select(func.count(func.distinct(Registration.meeting_id))).where(*_due(cutoff))
    ).one()
    # Their mails go with them, and so does every other mail older than the period.
    mail.forget_registrations(
        session, session.exec(select(Registration.id).where(*_due(cutoff))).all()
    )
    mail.purge_older_than(session, cutoff)
    result = session.exec(
        update(Registration)
        .where(*_due(cutoff))
        .values(**_anonymise_values(now))
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)
    record(
        session,
        actor=actor,
        action="privacy.retention",
        obj=None,
        details={
            "days": days,
            "cutoff": cutoff.isoformat(),
            "anonymised": count,
            "meetings": int(meetings),
        },
        now=now,
    )
    return RetentionResult(days=days, cutoff=cutoff, anonymised=count, meetings=int(meetings))


def apply_retention(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    now: datetime,
    days: int = RETENTION_DAYS,
) -> RetentionResult:
    """Anonymise registrations of meetings that ended more than ``days`` ago (organizer).

    Idempotent: a second run finds nothing left to do. Audited as "privacy.retention".
    """
    days = _check_days(days)
    with write_transaction(session):
        require_organizer(session, actor)
        result = _retention(session, actor, now, days)
    return result


def apply_retention_system(
    *, session: Session, now: datetime, days: int = RETENTION_DAYS
) -> RetentionResult:
    """The same as :func:`apply_retention`, run by the system (CLI, cron): no organizer,
    audited with the actor "system"."""
    days = _check_days(days)
    with write_transaction(session):
        result = _retention(session, None, now, days)
    return result


# --- one person ---------------------------------------------------------------------------


def _email_key(email: str) -> str:
    check = FieldChecker()
    clean = check.email("email", email)
    check.raise_if_any()
    if clean is None:  # pragma: no cover - FieldChecker raised already
        raise ValidationError.single("email", "Bitte geben Sie eine E-Mail-Adresse an.")
    return email_key(clean)


def _offers(session: Session, key: str) -> list[ImpulseOffer]:
    # Offers keep the address as typed; the key is the same fold in SQL as in Python.
    return list(
        session.exec(
            select(ImpulseOffer)
            .where(casefold(session, ImpulseOffer.email) == key)
            .order_by(ImpulseOffer.id)
        ).all()
    )


def _impulses(session: Session, offer_ids: list[int]) -> list[Impulse]:
    if not offer_ids:
        return []
    return list(
        session.exec(
            select(Impulse).where(col(Impulse.offer_id).in_(offer_ids)).order_by(Impulse.id)
        ).all()
    )


def person_summary(
    *, session: Session, actor: OrganizerIdentity | None, email: str, now: datetime
) -> PersonSummary:
    """How much is stored about an e-mail address (read only, not audited)."""
    require_organizer(session, actor)
    key = _email_key(email)
    rows = session.exec(
        select(Registration.status, Meeting)
        .join(Meeting, Meeting.id == Registration.meeting_id)
        .where(Registration.email_normalized == key)
    ).all()
    offers = _offers(session, key)
    return PersonSummary(
        registrations=len(rows),
        future_active=sum(
            1
            for status, meeting in rows
            if status in ACTIVE_REGISTRATION and not is_over(meeting, now)
        ),
        offers=len(offers),
        impulses=len(_impulses(session, [o.id for o in offers])),
        subscriptions=len(_subscriptions(session, key)),
    )


def _subscriptions(session: Session, key: str) -> list[Subscription]:
    return list(
        session.exec(
            select(Subscription)
            .where(Subscription.email_normalized == key)
            .order_by(Subscription.id)
        ).all()
    )


def export_person(
    *, session: Session, actor: OrganizerIdentity | None, email: str, now: datetime
) -> dict:
    """Everything stored about one e-mail address (GDPR Art. 15), JSON-serialisable.

    Audited as "privacy.export" (with a keyed hash of the address, never the address).
    """
    key = _email_key(email)
    with write_transaction(session):
        require_organizer(session, actor)
        regs = session.exec(
            select(Registration, Meeting)
            .join(Meeting, Meeting.id == Registration.meeting_id)
            .where(Registration.email_normalized == key)
            .order_by(Meeting.starts_at, Registration.id)
        ).all()
        offers = _offers(session, key)
        impulses = _impulses(session, [o.id for o in offers])
        mails = session.exec(
            select(Mail).where(casefold(session, Mail.to_address) == key).order_by(Mail.id)
        ).all()
        wishes = _subscriptions(session, key)
        record(
            session,
            actor=actor,
            action="privacy.export",
            obj=None,
            details={
                "email_hmac": participant_key(session, key),
                "registrations": len(regs),
                "offers": len(offers),
                "impulses": len(impulses),
                "subscriptions": len(wishes),
            },
            now=now,
        )
        data = {
            "erstellt_am": now.isoformat(),
            "email": key,
            "anmeldungen": [
                {
                    "termin": format_meeting_time(m.starts_at, m.ends_at),
                    "termin_beginn": m.starts_at.isoformat(),
                    "thema": m.theme,
                    "name": r.name,
                    "email": r.email,
                    "organisation": r.organisation,
                    "bundesland": FederalState.label_for(r.federal_state)
                    if r.federal_state
                    else None,
                    "status": RegistrationStatus.label_for(r.status),
                    "teilnahme": Attendance.label_for(r.attendance),
                    "einwilligung_am": r.consent_at.isoformat(),
                    "angemeldet_am": r.created_at.isoformat(),
                    "storniert_am": r.cancelled_at.isoformat() if r.cancelled_at else None,
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
                    "status": OfferState.label_for(o.state),
                    "eingegangen_am": o.created_at.isoformat(),
                }
                for o in offers
            ],
            "mails": [
                {
                    "betreff": m.subject,
                    "anlass": mail.kind_label(m.kind),
                    "status": MailStatus.label_for(m.status),
                    "erstellt_am": m.created_at.isoformat(),
                    "gesendet_am": m.sent_at.isoformat() if m.sent_at else None,
                    "text": mail.with_secret(m.body_text, None, escape=False),
                }
                for m in mails
            ],
            "benachrichtigungen": [
                {
                    "art": SubscriptionKind.label_for(w.kind),
                    "termin": (
                        format_meeting_time(m.starts_at, m.ends_at)
                        if w.meeting_id is not None
                        and (m := session.get(Meeting, w.meeting_id)) is not None
                        else None
                    ),
                    "name": w.name,
                    "email": w.email,
                    "status": SubscriptionStatus.label_for(w.status),
                    "einwilligung_am": w.consent_at.isoformat(),
                    "einwilligungstext_version": w.consent_version,
                    "bestaetigt_am": w.confirmed_at.isoformat() if w.confirmed_at else None,
                }
                for w in wishes
            ],
            "impulse_im_programm": [
                {
                    "titel": i.title,
                    "vortragende_person": i.presenter,
                    "organisation": i.organisation,
                }
                for i in impulses
            ],
            "hinweis": (
                "Vorschläge der Themensammlung speichern wir ohne E-Mail-Adresse; sie lassen "
                "sich einer Person nur über den freiwillig angegebenen Namen zuordnen. Nach "
                f"Ablauf der Löschfrist ({RETENTION_DAYS} Tage nach dem Treffen) sind "
                "Anmeldungen anonymisiert und hier nicht mehr enthalten."
            ),
        }
    return data


def erase_person(
    *, session: Session, actor: OrganizerIdentity | None, email: str, now: datetime
) -> ErasureResult:
    """Erase one person's data (GDPR Art. 17).

    Registrations are anonymised like at the end of the retention period; those for
    meetings not over yet are cancelled first, so the waitlist moves up. Impulse offers
    keep title and description but lose name, e-mail and organisation, and so do the
    impulses in the programme that came from them. Audited as "privacy.erase".
    """
    key = _email_key(email)
    with write_transaction(session):
        require_organizer(session, actor)
        pseudonym = participant_key(session, key)
        meeting_ids = sorted(
            set(
                session.exec(
                    select(Registration.meeting_id).where(Registration.email_normalized == key)
                ).all()
            )
        )
        cancelled = promoted = 0
        ids: list[int] = []
        for meeting_id in meeting_ids:  # in id order: the same lock order as other writers
            meeting = lock_meeting(session, meeting_id)
            for reg in session.exec(
                select(Registration)
                .where(Registration.meeting_id == meeting_id, Registration.email_normalized == key)
                .with_for_update()
            ).all():
                ids.append(reg.id)
                active = reg.status != RegistrationStatus.CANCELLED
                if active and not is_over(meeting, now):
                    cancelled += 1
                    promoted += len(cancel_locked(session, reg, meeting, now, tell=None))
        if ids:
            session.exec(
                update(Registration)
                .where(col(Registration.id).in_(ids))
                .values(**_anonymise_values(now))
                .execution_options(synchronize_session=False)
            )
        mails = mail.forget_address(session, key)
        wishes = session.execute(
            delete(Subscription).where(Subscription.email_normalized == key)
        ).rowcount
        offers = _offers(session, key)
        for offer in offers:
            offer.name = ERASED
            offer.email = ""
            offer.organisation = None
            offer.updated_at = now
            session.add(offer)
        impulses = _impulses(session, [o.id for o in offers])
        for impulse in impulses:
            impulse.presenter = ERASED
            impulse.organisation = None
            session.add(impulse)
        result = ErasureResult(
            registrations=len(ids),
            cancelled=cancelled,
            promoted=promoted,
            offers=len(offers),
            impulses=len(impulses),
            mails=mails,
            subscriptions=int(wishes or 0),
        )
        record(
            session,
            actor=actor,
            action="privacy.erase",
            obj=None,
            details={
                "email_hmac": pseudonym,
                "registrations": result.registrations,
                "cancelled": result.cancelled,
                "promoted": result.promoted,
                "offers": result.offers,
                "impulses": result.impulses,
                "mails": result.mails,
                "subscriptions": result.subscriptions,
            },
            now=now,
        )
    return result
