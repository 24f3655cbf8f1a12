"""Impulse offers: visitors who want to present their project at a meeting.

Offers are private until an organizer accepts one; accepting puts it on a meeting as an
impulse (:mod:`stammtisch.offer_review`; impulses themselves live with their meeting in
:mod:`stammtisch.meetings`). The allowed moves are :class:`~stammtisch.models.OfferState`'s
table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from stammtisch import limits, notify, rate_limits, topics
from stammtisch.db import casefold, write_transaction
from stammtisch.errors import AlreadySubmitted, ValidationError
from stammtisch.meeting_rules import open_for_impulses
from stammtisch.models import ImpulseOffer, Meeting, OfferState
from stammtisch.rate_limits import Action, Requester
from stammtisch.validation import FieldChecker, email_key, fold_text


@dataclass(frozen=True)
class ImpulseOfferInput:
    title: str
    description: str
    name: str
    email: str
    organisation: str | None = None
    topic_field_id: int | None = None
    preferred_meeting_id: int | None = None


DOUBLE_SEND_WINDOW = timedelta(days=1)


def submit_impulse_offer(
    *,
    session: Session,
    data: ImpulseOfferInput,
    now: datetime,
    requester: Requester | None = None,
) -> int:
    """Store an offer in the state "submitted" and mail a receipt; organizers review it.

    The same title from the same address within a day is stored (and mailed) once:
    :class:`AlreadySubmitted` names the offer kept. A visitor's send (``requester``)
    counts against the limits of :mod:`stammtisch.rate_limits`, per network and address."""
    check = FieldChecker()
    title = check.text("title", data.title, label="einen Titel", limit=limits.OFFER_TITLE)
    description = check.text(
        "description",
        data.description,
        label="eine kurze Beschreibung",
        subject="Die Beschreibung",
        limit=limits.OFFER_DESCRIPTION,
    )
    name = check.text("name", data.name, label="Ihren Namen", limit=limits.PERSON_NAME)
    organisation = check.text(
        "organisation", data.organisation, label="eine Organisation", limit=limits.ORGANISATION
    )
    email = check.email("email", data.email)
    check.raise_if_any()
    with write_transaction(session):
        problems = {}
        if data.topic_field_id is not None and (
            problem := topics.choice_problem(session, data.topic_field_id)
        ):
            problems["topic_field_id"] = problem
        if data.preferred_meeting_id is not None:
            meeting = session.get(Meeting, data.preferred_meeting_id)
            if meeting is None or not open_for_impulses(meeting, now):
                problems["preferred_meeting_id"] = "Bitte wählen Sie einen kommenden Termin."
        if problems:
            raise ValidationError(problems)
        same = session.exec(
            select(ImpulseOffer.id)
            .where(
                ImpulseOffer.created_at > now - DOUBLE_SEND_WINDOW,
                casefold(session, ImpulseOffer.email) == email_key(email),
                casefold(session, ImpulseOffer.title) == fold_text(title),
            )
            .limit(1)
        ).first()
        if same is not None:
            raise AlreadySubmitted(
                "Dieses Angebot ist heute schon bei uns eingegangen; wir haben es nur einmal "
                "gespeichert. Wir melden uns per E-Mail.",
                same,
            )
        rate_limits.enforce(session, Action.OFFER, requester, email_key=email_key(email))
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
        notify.offer_received(session, offer, now)
        offer_id = offer.id
    return offer_id
