"""Organizer services for meetings: create, edit, cancel, hold, series, impulses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from stammtisch import notify, subscriptions
from stammtisch.audit import record
from stammtisch.date_proposals import DateProposal
from stammtisch.db import view_of, write_transaction
from stammtisch.errors import InvalidTransition, NeedsConfirmation, NotFound, ValidationError
from stammtisch.formatting import format_meeting_time
from stammtisch.meeting_rules import has_begun, is_draft
from stammtisch.meetings import (
    ImpulseInput,
    MeetingInput,
    append_impulse,
    check_documentation,
    current_topic_field_ids,
    insert_meeting,
    set_further_topic_fields,
    validate_impulse,
    validate_meeting,
)
from stammtisch.models import (
    Impulse,
    Meeting,
    MeetingStatus,
    MeetingTopicField,
    Registration,
    RegistrationState,
    RegistrationStatus,
)
from stammtisch.organizers import OrganizerIdentity, require_organizer
from stammtisch.registrations import count_with_status, fill_free_places, lock_meeting
from stammtisch.validation import FieldChecker


@dataclass(frozen=True)
class AdminMeeting:
    """A meeting as organizers see it, including the private online-meeting link."""

    id: int
    theme: str
    description: str
    starts_at: datetime
    ends_at: datetime
    status: str
    registration_state: str
    capacity: int | None
    online_link: str | None
    documentation_url: str | None
    documentation_text: str | None
    primary_topic_field_id: int
    further_topic_field_ids: tuple[int, ...]
    confirmed: int
    waitlisted: int
    unregistered_attendees: int

    @property
    def time_label(self) -> str:
        return format_meeting_time(self.starts_at, self.ends_at)

    def as_input(self) -> MeetingInput:
        return MeetingInput(
            theme=self.theme,
            description=self.description,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            primary_topic_field_id=self.primary_topic_field_id,
            further_topic_field_ids=self.further_topic_field_ids,
            registration_state=self.registration_state,
            capacity=self.capacity,
            online_link=self.online_link,
            documentation_url=self.documentation_url,
            documentation_text=self.documentation_text,
            status=self.status,
        )


def list_meetings(*, session: Session, actor: OrganizerIdentity | None) -> list[AdminMeeting]:
    """All meetings, newest first, with registration counts aggregated in SQL."""
    require_organizer(session, actor)
    confirmed = func.coalesce(
        func.sum(case((Registration.status == RegistrationStatus.CONFIRMED, 1), else_=0)), 0
    )
    waitlisted = func.coalesce(
        func.sum(case((Registration.status == RegistrationStatus.WAITLISTED, 1), else_=0)), 0
    )
    rows = session.exec(
        select(Meeting, confirmed, waitlisted)
        .join(Registration, Registration.meeting_id == Meeting.id, isouter=True)
        .group_by(Meeting.id)
        .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
    ).all()
    further: dict[int, list[int]] = {}
    for meeting_id, topic_id in session.exec(
        select(MeetingTopicField.meeting_id, MeetingTopicField.topic_field_id)
    ).all():
        further.setdefault(meeting_id, []).append(topic_id)
    return [
        view_of(
            AdminMeeting,
            m,
            further_topic_field_ids=tuple(sorted(further.get(m.id, []))),
            confirmed=int(c),
            waitlisted=int(w),
        )
        for m, c, w in rows
    ]


def create_meeting(
    *, session: Session, actor: OrganizerIdentity | None, data: MeetingInput, now: datetime
) -> int:
    """Create a meeting; returns its id."""
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = insert_meeting(session, validate_meeting(session, data), now)
        meeting_id = meeting.id
        announced = (
            0 if is_draft(meeting) else subscriptions.meeting_published(session, meeting, now)
        )
        record(
            session,
            actor=actor,
            action="meeting.create",
            obj=("meeting", meeting_id),
            details={"theme": data.theme, "announced": announced},
            now=now,
        )
    return meeting_id


def update_meeting(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    data: MeetingInput,
    now: datetime,
    notify_count: int | None = None,
) -> list[int]:
    """Change a meeting's fields (its status changes only through :func:`set_status`).

    A larger capacity lets waiting people move up (in queue order, in the same
    transaction, each told); a capacity below the number of confirmed places is refused.
    A new time or Zoom link is mailed to the people it concerns (a new time: everyone
    confirmed or waiting; a new link: the confirmed): that asks the organizer first
    (:class:`NeedsConfirmation` with the number; call again with ``notify_count``).
    Returns the ids of promoted registrations.
    """
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = lock_meeting(session, meeting_id)
        values = validate_meeting(
            session, data, keep_topic_field_ids=current_topic_field_ids(session, meeting)
        )
        confirmed = count_with_status(session, meeting_id, RegistrationStatus.CONFIRMED)
        if values.capacity is not None and values.capacity < confirmed:
            raise ValidationError.single(
                "capacity",
                f"Es sind schon {confirmed} Personen bestätigt. Weniger Plätze gehen nur, wenn "
                "vorher Anmeldungen storniert werden.",
            )
        columns = values.columns()
        columns.pop("status")
        old_start, old_end, old_link = meeting.starts_at, meeting.ends_at, meeting.online_link
        opens = (
            meeting.registration_state != RegistrationState.OPEN
            and values.registration_state == RegistrationState.OPEN
            and meeting.status == MeetingStatus.PLANNED
        )
        time_changed = (old_start, old_end) != (values.starts_at, values.ends_at)
        link_changed = (old_link or None) != (values.online_link or None)
        audience = notify.change_audience(
            session, meeting_id, time_changed=time_changed, link_changed=link_changed
        )
        what = " und ".join(
            part
            for part, changed in (
                ("die neue Zeit", time_changed),
                ("den neuen Zoom-Link", link_changed),
            )
            if changed
        )
        _confirm_notice(audience, notify_count, what)
        changed = {k for k, v in columns.items() if getattr(meeting, k) != v}
        for key, value in columns.items():
            setattr(meeting, key, value)
        if time_changed or link_changed:
            meeting.ics_sequence += 1
        meeting.updated_at = now
        session.add(meeting)
        set_further_topic_fields(session, meeting_id, values.further_topic_field_ids)
        told = notify.meeting_changed(
            session,
            meeting,
            old_starts_at=old_start,
            old_ends_at=old_end,
            link_changed=link_changed,
            now=now,
        )
        promoted = fill_free_places(session, meeting, now)
        # Those who asked to hear when registration opens are told now, in this transaction.
        details = {"fields": sorted(changed), "promoted": promoted, "notified": told}
        if opens:
            details["subscribers"] = subscriptions.registration_opened(session, meeting, now)
        record(
            session,
            actor=actor,
            action="meeting.update",
            obj=("meeting", meeting_id),
            details=details,
            now=now,
        )
    return promoted


def _confirm_notice(audience: int, confirmed: int | None, what: str) -> None:
    """Refuse until the organizer has confirmed writing to exactly ``audience`` people."""
    if audience and confirmed != audience:
        people = "eine Person" if audience == 1 else f"{audience} Personen"
        raise NeedsConfirmation(
            f"Wir schreiben {people} eine Mail über {what}. Bitte bestätigen Sie das.",
            audience,
        )


def set_status(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    status: MeetingStatus,
    now: datetime,
    documentation_url: str | None = None,
    documentation_text: str | None = None,
    notify_count: int | None = None,
) -> None:
    """Cancel a meeting, mark it as held (with its documentation), or plan it again.

    Cancelling (and planning again) is mailed to everyone confirmed or waiting; that asks
    the organizer first (:class:`NeedsConfirmation`, then ``notify_count``)."""
    check = FieldChecker()
    url, text = check_documentation(check, documentation_url, documentation_text)
    check.raise_if_any()
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = lock_meeting(session, meeting_id)
        try:
            MeetingStatus(meeting.status).check_transition(status)
        except InvalidTransition as exc:
            raise ValidationError.single("status", exc.message) from exc
        if status == MeetingStatus.HELD and not has_begun(meeting, now):
            raise ValidationError.single(
                "status",
                "Als stattgefunden lässt sich ein Treffen erst ab seinem Beginn markieren.",
            )
        # Cancelling, and planning a cancelled meeting again, are news for the registered;
        # publishing a draft (nobody could register yet) is not.
        tells = status == MeetingStatus.CANCELLED or (
            status == MeetingStatus.PLANNED and meeting.status == MeetingStatus.CANCELLED
        )
        audience = notify.status_change_audience(session, meeting_id) if tells else 0
        _confirm_notice(
            audience,
            notify_count,
            "die Absage" if status == MeetingStatus.CANCELLED else "das Stattfinden",
        )
        was_draft = meeting.status == MeetingStatus.DRAFT
        meeting.status = status
        if tells:
            meeting.ics_sequence += 1
        if status == MeetingStatus.HELD:
            meeting.documentation_url = url
            meeting.documentation_text = text
        meeting.updated_at = now
        session.add(meeting)
        session.flush()
        told = notify.meeting_status_changed(session, meeting, status, now) if tells else 0
        published = was_draft and status == MeetingStatus.PLANNED
        announced = subscriptions.meeting_published(session, meeting, now) if published else 0
        details = {"notified": told} if tells else {}
        if published:
            details["announced"] = announced
        record(
            session,
            actor=actor,
            action=f"meeting.{status.value}",
            obj=("meeting", meeting_id),
            details=details,
            now=now,
        )


def create_series(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    proposals: Sequence[DateProposal],
    template: MeetingInput,
    now: datetime,
) -> list[int]:
    """Create one draft per confirmed date proposal, all or nothing (the team publishes each
    when its theme is settled)."""
    if not proposals:
        raise ValidationError.single("proposals", "Bitte wählen Sie mindestens einen Termin.")
    with write_transaction(session):
        require_organizer(session, actor)
        ids = []
        for proposal in proposals:
            data = replace(
                template,
                starts_at=proposal.starts_at,
                ends_at=proposal.ends_at,
                status=MeetingStatus.DRAFT,
            )
            ids.append(insert_meeting(session, validate_meeting(session, data), now).id)
        record(
            session,
            actor=actor,
            action="meeting.series",
            obj=None,
            details={"meetings": ids},
            now=now,
        )
    return ids


def delete_draft(
    *, session: Session, actor: OrganizerIdentity | None, meeting_id: int, now: datetime
) -> None:
    """Delete a draft (nobody but the team ever saw it); published meetings are cancelled."""
    with write_transaction(session):
        require_organizer(session, actor)
        meeting = lock_meeting(session, meeting_id)
        if meeting.status != MeetingStatus.DRAFT:
            raise ValidationError.single(
                "status",
                "Löschen lässt sich nur ein Entwurf; ein veröffentlichtes Treffen sagen Sie ab.",
            )
        record(
            session,
            actor=actor,
            action="meeting.delete_draft",
            obj=("meeting", meeting_id),
            details={"theme": meeting.theme},
            now=now,
        )
        session.delete(meeting)


# --- impulses of a meeting -----------------------------------------------------------------


def add_impulse(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    meeting_id: int,
    data: ImpulseInput,
    now: datetime,
) -> int:
    """Put an impulse on a meeting, after the ones it has."""
    values = validate_impulse(data)
    with write_transaction(session):
        require_organizer(session, actor)
        lock_meeting(session, meeting_id)
        impulse = append_impulse(session, meeting_id, values)
        record(
            session,
            actor=actor,
            action="impulse.add",
            obj=("impulse", impulse.id),
            details={"meeting_id": meeting_id},
            now=now,
        )
        impulse_id = impulse.id
    return impulse_id


def _impulse(session: Session, impulse_id: int) -> Impulse:
    impulse = session.get(Impulse, impulse_id)
    if impulse is None:
        raise NotFound("Diesen Impuls gibt es nicht.")
    return impulse


def remove_impulse(
    *, session: Session, actor: OrganizerIdentity | None, impulse_id: int, now: datetime
) -> None:
    """Take an impulse off its meeting (an accepted offer stays accepted)."""
    with write_transaction(session):
        require_organizer(session, actor)
        impulse = _impulse(session, impulse_id)
        record(
            session,
            actor=actor,
            action="impulse.remove",
            obj=("impulse", impulse_id),
            details={"meeting_id": impulse.meeting_id, "title": impulse.title},
            now=now,
        )
        session.delete(impulse)


def move_impulse(
    *, session: Session, actor: OrganizerIdentity | None, impulse_id: int, step: int, now: datetime
) -> None:
    """Move an impulse up (step -1) or down (+1) in its meeting's order."""
    with write_transaction(session):
        require_organizer(session, actor)
        impulse = session.get(Impulse, impulse_id)
        if impulse is None:
            raise NotFound("Diesen Impuls gibt es nicht.")
        lock_meeting(session, impulse.meeting_id)
        order = session.exec(
            select(Impulse)
            .where(Impulse.meeting_id == impulse.meeting_id)
            .order_by(Impulse.position, Impulse.id)
        ).all()
        index = next(i for i, item in enumerate(order) if item.id == impulse_id)
        target = max(0, min(len(order) - 1, index + step))
        order.insert(target, order.pop(index))
        for position, item in enumerate(order, start=1):
            item.position = position
            session.add(item)
        record(
            session,
            actor=actor,
            action="impulse.move",
            obj=("impulse", impulse_id),
            details={"position": target + 1},
            now=now,
        )
