"""Impulse offers: visitors who want to present their project at a meeting.

Offers are private until an organizer accepts one; accepting puts it on a meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from stammtisch.db import write_transaction
from stammtisch.errors import ValidationError
from stammtisch.models import ImpulseOffer, Meeting, MeetingStatus, OfferState, TopicField
from stammtisch.validation import FieldChecker

ALLOWED_OFFER_TRANSITIONS: dict[OfferState, frozenset[OfferState]] = {
    OfferState.SUBMITTED: frozenset(
        {OfferState.IN_DISCUSSION, OfferState.ACCEPTED, OfferState.DECLINED}
    ),
    OfferState.IN_DISCUSSION: frozenset({OfferState.ACCEPTED, OfferState.DECLINED}),
    OfferState.ACCEPTED: frozenset(),
    OfferState.DECLINED: frozenset({OfferState.IN_DISCUSSION}),
}


@dataclass(frozen=True)
class ImpulseOfferInput:
    title: str
    description: str
    name: str
    email: str
    organisation: str | None = None
    topic_field_id: int | None = None
    preferred_meeting_id: int | None = None


def submit_impulse_offer(*, session: Session, data: ImpulseOfferInput, now: datetime) -> int:
    """Store an offer in the state "submitted"; organizers review it."""
    check = FieldChecker()
    title = check.text("title", data.title, label="einen Titel", min_length=5, max_length=200)
    description = check.text(
        "description",
        data.description,
        label="eine kurze Beschreibung",
        min_length=20,
        max_length=2000,
        multiline=True,
    )
    name = check.text("name", data.name, label="Ihren Namen", min_length=2, max_length=120)
    organisation = check.text(
        "organisation",
        data.organisation,
        label="eine Organisation",
        required=False,
        max_length=200,
    )
    email = check.email("email", data.email)
    check.raise_if_any()
    with write_transaction(session):
        problems = {}
        if data.topic_field_id is not None and session.get(TopicField, data.topic_field_id) is None:
            problems["topic_field_id"] = "Bitte wählen Sie ein Themenfeld aus der Liste."
        if data.preferred_meeting_id is not None:
            meeting = session.get(Meeting, data.preferred_meeting_id)
            if meeting is None or meeting.status != MeetingStatus.PLANNED or meeting.ends_at <= now:
                problems["preferred_meeting_id"] = "Bitte wählen Sie einen kommenden Termin."
        if problems:
            raise ValidationError(problems)
        offer = ImpulseOffer(
            title=title,
            description=description,
            name=name,
            organisation=organisation,
            email=email,
            topic_field_id=data.topic_field_id,
            preferred_meeting_id=data.preferred_meeting_id,
            state=OfferState.SUBMITTED,
            internal_note="",
            created_at=now,
            updated_at=now,
        )
        session.add(offer)
        session.flush()
        offer_id = offer.id
    return offer_id
