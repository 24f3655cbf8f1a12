"""Organizer review of impulse offers: discuss, decline, note, accept onto a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from stammtisch import limits, notify
from stammtisch.audit import record
from stammtisch.db import view_of, write_transaction
from stammtisch.errors import NotFound, ValidationError
from stammtisch.formatting import format_day
from stammtisch.meeting_rules import open_for_impulses
from stammtisch.meetings import ImpulseInput, append_impulse, validate_impulse
from stammtisch.models import Impulse, ImpulseOffer, Meeting, OfferState, TopicField
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.validation import FieldChecker


@dataclass(frozen=True)
class OfferView:
    id: int
    title: str
    description: str
    name: str
    organisation: str | None
    email: str
    state: str
    internal_note: str
    topic_field_name: str | None
    preferred_meeting_id: int | None
    preferred_meeting_theme: str | None
    created_at: datetime
    # Where an accepted offer stands in the programme ("Mo, 10.01.2022 – Lebendige Orte").
    scheduled_meeting: str | None = None


def list_offers(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    state: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[OfferView]:
    """Offers (optionally in one state), newest first, with field and meeting names."""
    require_organizer(session, actor)
    preferred = aliased(Meeting)
    scheduled = aliased(Meeting)
    query = (
        select(
            ImpulseOffer,
            TopicField.name,
            preferred.theme,
            scheduled.starts_at,
            scheduled.theme,
        )
        .join(TopicField, TopicField.id == ImpulseOffer.topic_field_id, isouter=True)
        .join(preferred, preferred.id == ImpulseOffer.preferred_meeting_id, isouter=True)
        .join(Impulse, Impulse.offer_id == ImpulseOffer.id, isouter=True)
        .join(scheduled, scheduled.id == Impulse.meeting_id, isouter=True)
        .order_by(col(ImpulseOffer.created_at).desc(), col(ImpulseOffer.id).desc())
    )
    if state:
        query = query.where(ImpulseOffer.state == state)
    if limit is not None:
        query = query.offset(max(offset, 0)).limit(limit)
    return [
        view_of(
            OfferView,
            o,
            topic_field_name=field,
            preferred_meeting_theme=theme,
            scheduled_meeting=f"{format_day(starts)} – {on_theme}" if starts else None,
        )
        for o, field, theme, starts, on_theme in session.exec(query).all()
    ]


def count_offers(
    *, session: Session, actor: OrganizerIdentity | None, state: str | None = None
) -> int:
    """How many offers are in ``state`` (all when ``None``)."""
    require_organizer(session, actor)
    query = select(func.count()).select_from(ImpulseOffer)
    if state:
        query = query.where(ImpulseOffer.state == state)
    return int(session.exec(query).one())


def _locked(session: Session, offer_id: int) -> ImpulseOffer:
    offer = session.exec(
        select(ImpulseOffer).where(ImpulseOffer.id == offer_id).with_for_update()
    ).first()
    if offer is None:
        raise NotFound("Dieses Angebot gibt es nicht.")
    return offer


def move(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    offer_id: int,
    to_state: OfferState,
    now: datetime,
    message: str | None = None,
) -> None:
    """Put an offer in discussion or decline it (accepting has its own function).

    Declining mails the person the decision, with ``message`` from the team if given."""
    if to_state == OfferState.ACCEPTED:
        raise ValueError("use accept() to accept an offer")
    message = _check_message(message)
    with write_transaction(session):
        require_organizer(session, actor)
        offer = _locked(session, offer_id)
        OfferState(offer.state).check_transition(to_state)
        before = offer.state
        offer.state = to_state
        offer.updated_at = now
        session.add(offer)
        if to_state == OfferState.DECLINED:
            notify.offer_decision(
                session, offer, accepted=False, meeting=None, message=message, now=now
            )
        record(
            session,
            actor=actor,
            action=f"offer.{to_state.value}",
            obj=("offer", offer.id),
            details={"from": before},
            now=now,
        )


def set_note(
    *, session: Session, actor: OrganizerIdentity | None, offer_id: int, note: str, now: datetime
) -> None:
    """The team's internal note on an offer (never shown publicly)."""
    check = FieldChecker()
    clean = check.text("internal_note", note, label="eine Notiz", limit=limits.INTERNAL_NOTE)
    check.raise_if_any()
    with write_transaction(session):
        require_organizer(session, actor)
        offer = _locked(session, offer_id)
        offer.internal_note = clean or ""
        offer.updated_at = now
        session.add(offer)
        record(
            session, actor=actor, action="offer.note", obj=("offer", offer.id), details={}, now=now
        )


@dataclass(frozen=True)
class AcceptInput:
    meeting_id: int | None
    title: str
    presenter: str
    organisation: str | None = None
    description: str = ""
    message: str | None = None  # a personal note to the person, in the decision mail


def _check_message(message: str | None) -> str | None:
    check = FieldChecker()
    clean = check.text("message", message, label="eine Nachricht", limit=limits.PERSONAL_MESSAGE)
    check.raise_if_any()
    return clean


def accept(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    offer_id: int,
    data: AcceptInput,
    now: datetime,
) -> int:
    """Accept an offer and put it on a meeting as an impulse (public from then on)."""
    check = FieldChecker()
    values = validate_impulse(
        ImpulseInput(data.title, data.presenter, data.organisation, data.description), check
    )
    if data.meeting_id is None:
        check.fail("meeting_id", "Bitte wählen Sie den Termin, an dem der Impuls stattfindet.")
    message = check.text(
        "message", data.message, label="eine Nachricht", limit=limits.PERSONAL_MESSAGE
    )
    check.raise_if_any()
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = session.exec(
            select(Meeting).where(Meeting.id == data.meeting_id).with_for_update()
        ).first()
        if meeting is None or not open_for_impulses(meeting, now):
            raise ValidationError.single(
                "meeting_id", "Bitte wählen Sie einen kommenden, nicht abgesagten Termin."
            )
        offer = _locked(session, offer_id)
        OfferState(offer.state).check_transition(OfferState.ACCEPTED)
        impulse = append_impulse(session, meeting.id, values, offer_id=offer.id)
        offer.state = OfferState.ACCEPTED
        offer.updated_at = now
        session.add(offer)
        notify.offer_decision(
            session, offer, accepted=True, meeting=meeting, message=message, now=now
        )
        record(
            session,
            actor=actor,
            action="offer.accepted",
            obj=("offer", offer.id),
            details={"meeting_id": meeting.id, "impulse_id": impulse.id},
            now=now,
        )
        impulse_id = impulse.id
    return impulse_id
