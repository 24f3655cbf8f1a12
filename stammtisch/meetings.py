"""Meetings: their input rules, the one way a meeting row is written, and the public reads.

Read functions return frozen dataclasses (never live ORM rows), and never the private
online-meeting link: only :mod:`stammtisch.registrations` hands that out. Organizers'
use cases (create, edit, cancel, impulses) are in :mod:`stammtisch.meeting_admin`; the
seed and the demo go through :func:`insert_meeting` like they do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func
from sqlmodel import Session, col, select

from stammtisch import limits, meeting_rules
from stammtisch.db import view_of
from stammtisch.errors import NotFound
from stammtisch.formatting import format_meeting_time
from stammtisch.models import (
    Impulse,
    Meeting,
    MeetingStatus,
    MeetingTopicField,
    Registration,
    RegistrationState,
    RegistrationStatus,
    TopicField,
)
from stammtisch.validation import FieldChecker

MAX_DURATION = timedelta(hours=12)


@dataclass(frozen=True)
class ImpulseView:
    id: int
    title: str
    presenter: str
    organisation: str | None
    description: str
    position: int


@dataclass(frozen=True)
class MeetingView:
    """What the public may know about a meeting (no online-meeting link)."""

    id: int
    theme: str
    description: str
    starts_at: datetime
    ends_at: datetime
    status: str
    registration_state: str
    capacity: int | None
    confirmed_count: int
    waitlist_count: int
    topic_fields: tuple[str, ...]
    primary_topic_field_id: int
    impulses: tuple[ImpulseView, ...] = field(default=())
    documentation_url: str | None = None
    documentation_text: str | None = None
    ics_sequence: int = 0

    @property
    def time_label(self) -> str:
        return format_meeting_time(self.starts_at, self.ends_at)

    @property
    def is_cancelled(self) -> bool:
        return meeting_rules.is_cancelled(self)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed_count >= self.capacity

    @property
    def free_places(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed_count, 0)

    def is_over(self, now: datetime) -> bool:
        return meeting_rules.is_over(self, now)

    def accepts_registrations(self, now: datetime) -> bool:
        return meeting_rules.accepts_registrations(self, now)

    def registration_refusal(self, now: datetime) -> str | None:
        return meeting_rules.registration_refusal(self, now)

    def open_for_impulses(self, now: datetime) -> bool:
        return meeting_rules.open_for_impulses(self, now)


@dataclass(frozen=True)
class MeetingInput:
    """Raw input for a meeting, as a form or the seed file gives it."""

    theme: str
    starts_at: datetime | None
    ends_at: datetime | None
    primary_topic_field_id: int | None
    description: str = ""
    further_topic_field_ids: Sequence[int] = ()
    registration_state: str = RegistrationState.NOT_OPEN
    capacity: int | str | None = None
    online_link: str | None = None
    documentation_url: str | None = None
    documentation_text: str | None = None
    status: str = MeetingStatus.PLANNED


@dataclass(frozen=True)
class MeetingValues:
    """A meeting's fields after validation: what :func:`insert_meeting` writes."""

    theme: str
    description: str
    starts_at: datetime
    ends_at: datetime
    primary_topic_field_id: int
    further_topic_field_ids: tuple[int, ...]
    registration_state: RegistrationState
    capacity: int | None
    online_link: str | None
    documentation_url: str | None
    documentation_text: str | None
    status: MeetingStatus

    def columns(self) -> dict:
        """The values of the meeting row itself (further topic fields are rows of their own)."""
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        del values["further_topic_field_ids"]
        return values


def validate_meeting(
    session: Session, data: MeetingInput, *, keep_topic_field_ids: Collection[int] = ()
) -> MeetingValues:
    """Check a meeting's input; raises :class:`ValidationError` with a message per field.

    Only topic fields on offer can be chosen; ``keep_topic_field_ids`` are the (possibly
    archived) fields the meeting has already, which it may keep.
    """
    check = FieldChecker()
    theme = check.text("theme", data.theme, label="ein Thema", limit=limits.THEME)
    description = check.text(
        "description", data.description, label="eine Beschreibung", limit=limits.MEETING_DESCRIPTION
    )
    if data.starts_at is None or data.starts_at.tzinfo is None:
        check.fail("starts_at", "Bitte geben Sie Datum und Beginn an.")
    if data.ends_at is None or data.ends_at.tzinfo is None:
        check.fail("ends_at", "Bitte geben Sie das Ende an.")
    elif data.starts_at is not None and data.starts_at.tzinfo is not None:
        if data.ends_at <= data.starts_at:
            check.fail("ends_at", "Das Ende muss nach dem Beginn liegen.")
        elif data.ends_at - data.starts_at > MAX_DURATION:
            check.fail("ends_at", "Ein Treffen dauert höchstens 12 Stunden.")
    registration_state = check.choice(
        "registration_state",
        data.registration_state,
        RegistrationState,
        message="Bitte wählen Sie einen Anmeldestatus.",
    )
    status = check.choice(
        "status", data.status, MeetingStatus, message="Bitte wählen Sie einen Status."
    )
    capacity = check.integer(
        "capacity", data.capacity, label="die Zahl der Plätze", minimum=1, maximum=10_000
    )
    online_link = check.url("online_link", data.online_link, label="der Zoom-Link")
    documentation_url, documentation_text = check_documentation(
        check, data.documentation_url, data.documentation_text
    )
    # Fields on offer, plus archived ones this meeting already had (it keeps its history).
    known = dict(session.exec(select(TopicField.id, TopicField.archived_at)).all())
    offered = {
        topic_id
        for topic_id, archived_at in known.items()
        if archived_at is None or topic_id in keep_topic_field_ids
    }
    if data.primary_topic_field_id in known and data.primary_topic_field_id not in offered:
        check.fail(
            "primary_topic_field_id",
            "Dieses Themenfeld ist archiviert. Bitte wählen Sie ein anderes.",
        )
    elif data.primary_topic_field_id not in offered:
        check.fail("primary_topic_field_id", "Bitte wählen Sie ein Themenfeld.")
    further: list[int] = []
    for topic_id in data.further_topic_field_ids:
        if topic_id not in offered:
            check.fail(
                "further_topic_field_ids",
                "Unbekanntes oder archiviertes Themenfeld ausgewählt.",
            )
        elif topic_id != data.primary_topic_field_id and topic_id not in further:
            further.append(topic_id)
    check.raise_if_any()
    return MeetingValues(
        theme=theme,
        description=description or "",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        primary_topic_field_id=data.primary_topic_field_id,
        further_topic_field_ids=tuple(further),
        registration_state=registration_state,
        capacity=capacity,
        online_link=online_link,
        documentation_url=documentation_url,
        documentation_text=documentation_text,
        status=status,
    )


def check_documentation(
    check: FieldChecker, url: object, text: object
) -> tuple[str | None, str | None]:
    """A meeting's documentation link and text, checked (in the meeting form and when the
    team marks a meeting as held)."""
    return (
        check.url("documentation_url", url, label="der Link zur Dokumentation"),
        check.text(
            "documentation_text",
            text,
            label="einen Dokumentationstext",
            limit=limits.DOCUMENTATION_TEXT,
        ),
    )


def insert_meeting(session: Session, values: MeetingValues, now: datetime) -> Meeting:
    """Write a new meeting and its further topic fields (inside the caller's transaction).

    The one place a meeting row is created: by organizers, the seed and the series planner.
    """
    meeting = Meeting(**values.columns(), created_at=now, updated_at=now)
    session.add(meeting)
    session.flush()
    set_further_topic_fields(session, meeting.id, values.further_topic_field_ids)
    return meeting


def current_topic_field_ids(session: Session, meeting: Meeting) -> set[int]:
    """The topic fields a meeting has now (primary and further), archived ones included."""
    further = session.exec(
        select(MeetingTopicField.topic_field_id).where(MeetingTopicField.meeting_id == meeting.id)
    ).all()
    return {meeting.primary_topic_field_id, *further}


def set_further_topic_fields(session: Session, meeting_id: int, topic_ids: Sequence[int]) -> None:
    """Replace a meeting's further topic fields (inside the caller's transaction)."""
    session.exec(delete(MeetingTopicField).where(MeetingTopicField.meeting_id == meeting_id))
    for topic_id in topic_ids:
        session.add(MeetingTopicField(meeting_id=meeting_id, topic_field_id=topic_id))
    session.flush()


@dataclass(frozen=True)
class ImpulseInput:
    title: str
    presenter: str
    organisation: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ImpulseValues:
    """An impulse's fields after validation."""

    title: str
    presenter: str
    organisation: str | None
    description: str


def validate_impulse(data: ImpulseInput, check: FieldChecker | None = None) -> ImpulseValues:
    """Clean an impulse's fields; raises unless a caller-supplied checker collects more."""
    own = check is None
    check = check or FieldChecker()
    values = ImpulseValues(
        title=check.text("title", data.title, label="einen Titel", limit=limits.IMPULSE_TITLE),
        presenter=check.text(
            "presenter",
            data.presenter,
            label="den Namen der vortragenden Person",
            limit=limits.PRESENTER,
        ),
        organisation=check.text(
            "organisation", data.organisation, label="eine Organisation", limit=limits.ORGANISATION
        ),
        description=check.text(
            "description",
            data.description,
            label="eine Beschreibung",
            limit=limits.IMPULSE_DESCRIPTION,
        )
        or "",
    )
    if own:
        check.raise_if_any()
    return values


def append_impulse(
    session: Session, meeting_id: int, values: ImpulseValues, *, offer_id: int | None = None
) -> Impulse:
    """Insert an impulse after the meeting's others (inside the caller's transaction)."""
    last = session.exec(
        select(func.max(Impulse.position)).where(Impulse.meeting_id == meeting_id)
    ).one()
    impulse = Impulse(
        meeting_id=meeting_id,
        position=(last or 0) + 1,
        offer_id=offer_id,
        title=values.title,
        presenter=values.presenter,
        organisation=values.organisation,
        description=values.description,
    )
    session.add(impulse)
    session.flush()
    return impulse


# --- reading -----------------------------------------------------------------------------


def _views(session: Session, meetings: Sequence[Meeting]) -> list[MeetingView]:
    """Build views for many meetings with one query per related table (no N+1)."""
    if not meetings:
        return []
    ids = [m.id for m in meetings]
    confirmed = func.sum(case((Registration.status == RegistrationStatus.CONFIRMED, 1), else_=0))
    waitlisted = func.sum(case((Registration.status == RegistrationStatus.WAITLISTED, 1), else_=0))
    counts = {
        row[0]: (int(row[1] or 0), int(row[2] or 0))
        for row in session.exec(
            select(Registration.meeting_id, confirmed, waitlisted)
            .where(col(Registration.meeting_id).in_(ids))
            .group_by(Registration.meeting_id)
        ).all()
    }
    names = dict(session.exec(select(TopicField.id, TopicField.name)).all())
    further: dict[int, list[str]] = defaultdict(list)
    for meeting_id, topic_id in session.exec(
        select(MeetingTopicField.meeting_id, MeetingTopicField.topic_field_id)
        .join(TopicField, TopicField.id == MeetingTopicField.topic_field_id)
        .where(col(MeetingTopicField.meeting_id).in_(ids))
        .order_by(TopicField.position)
    ).all():
        further[meeting_id].append(names[topic_id])
    impulses: dict[int, list[ImpulseView]] = defaultdict(list)
    for imp in session.exec(
        select(Impulse)
        .where(col(Impulse.meeting_id).in_(ids))
        .order_by(Impulse.position, Impulse.id)
    ).all():
        impulses[imp.meeting_id].append(view_of(ImpulseView, imp))
    return [
        view_of(
            MeetingView,
            m,
            confirmed_count=counts.get(m.id, (0, 0))[0],
            waitlist_count=counts.get(m.id, (0, 0))[1],
            topic_fields=(names[m.primary_topic_field_id], *further.get(m.id, [])),
            impulses=tuple(impulses.get(m.id, [])),
        )
        for m in meetings
    ]


def list_upcoming(*, session: Session, now: datetime) -> list[MeetingView]:
    """Published meetings that are not over yet (cancelled ones included), soonest first."""
    rows = session.exec(
        select(Meeting)
        .where(meeting_rules.sql_is_upcoming(now), meeting_rules.sql_is_public())
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return _views(session, rows)


def _is_past(now: datetime):
    return (meeting_rules.sql_is_over(now), meeting_rules.sql_is_counted())


def list_past(
    *, session: Session, now: datetime, limit: int | None = None, offset: int = 0
) -> list[MeetingView]:
    """Meetings that are over (or marked held), newest first; cancelled ones left out."""
    query = (
        select(Meeting)
        .where(*_is_past(now))
        .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
    )
    if limit is not None:
        query = query.offset(max(offset, 0)).limit(limit)
    return _views(session, session.exec(query).all())


def count_past(*, session: Session, now: datetime) -> int:
    """How many meetings :func:`list_past` would list."""
    return int(session.exec(select(func.count()).select_from(Meeting).where(*_is_past(now))).one())


def view_of_meeting(session: Session, meeting: Meeting) -> MeetingView:
    """The public view of a meeting row the caller already holds (e.g. locked)."""
    return _views(session, [meeting])[0]


def get_meeting(*, session: Session, meeting_id: int, include_drafts: bool = False) -> MeetingView:
    """One meeting's public view; :class:`NotFound` if there is none (or it is a draft and
    ``include_drafts`` – the team's editor – is not set)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or (meeting_rules.is_draft(meeting) and not include_drafts):
        raise NotFound("Diesen Termin gibt es nicht.")
    return _views(session, [meeting])[0]
