"""Tables of the Stammtisch domain, their states, and the input schemas.

States are stored as short English strings (``String`` columns, not database enums) so
that adding a state later is a data change, not a type migration on PostgreSQL.
Instants are stored in UTC (see :class:`UTCDateTime`) and shown in Europe/Berlin.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from stammtisch.dbtypes import UTCDateTime


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class RegistrationState(StrEnum):
    """Whether visitors can register for a meeting."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


ACTIVE_REGISTRATION = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class Attendance(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class FederalState(StrEnum):
    SACHSEN = "sachsen"
    SACHSEN_ANHALT = "sachsen-anhalt"
    THUERINGEN = "thueringen"
    OTHER = "other"


FEDERAL_STATE_LABELS: dict[FederalState, str] = {
    FederalState.SACHSEN: "Sachsen",
    FederalState.SACHSEN_ANHALT: "Sachsen-Anhalt",
    FederalState.THUERINGEN: "Thüringen",
    FederalState.OTHER: "anderes Bundesland",
}


class SuggestionKind(StrEnum):
    TOPIC = "topic"
    QUESTION = "question"
    IDEA = "idea"


SUGGESTION_KIND_LABELS: dict[SuggestionKind, str] = {
    SuggestionKind.TOPIC: "Thema",
    SuggestionKind.QUESTION: "Frage",
    SuggestionKind.IDEA: "Idee",
}


class ModerationState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    MERGED = "merged"


class OfferState(StrEnum):
    SUBMITTED = "submitted"
    IN_DISCUSSION = "in_discussion"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def _state(length: int = 20) -> Column:
    return Column(String(length), nullable=False)


def _utc(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class SiteSetting(SQLModel, table=True):
    """Small key/value store: page texts (about, address, funding) and installation secrets."""

    __tablename__ = "site_setting"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class TopicField(SQLModel, table=True):
    """A Themenfeld: a broad area the series returns to."""

    __tablename__ = "topic_field"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=_utc())


class Meeting(SQLModel, table=True):
    """One Stammtisch evening: a theme, a time, impulses, registrations."""

    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    theme: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    starts_at: datetime = Field(sa_column=_utc())
    ends_at: datetime = Field(sa_column=_utc())
    primary_topic_field_id: int = Field(
        sa_column=Column(Integer, ForeignKey("topic_field.id"), nullable=False)
    )
    registration_state: str = Field(default=RegistrationState.NOT_OPEN, sa_column=_state())
    capacity: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # Private: only people who registered ever see it.
    online_link: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    documentation_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    documentation_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default=MeetingStatus.PLANNED, sa_column=_state())
    # People in the Zoom report who matched no registration (counted, never named).
    unregistered_attendees: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())

    __table_args__ = (Index("ix_meeting_starts_at", "starts_at"),)


class MeetingTopicField(SQLModel, table=True):
    """Further topic fields of a meeting, besides its primary one."""

    __tablename__ = "meeting_topic_field"

    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    topic_field_id: int = Field(
        sa_column=Column(Integer, ForeignKey("topic_field.id"), primary_key=True)
    )


class ImpulseOffer(SQLModel, table=True):
    """A visitor's offer to give an impulse; never public until accepted."""

    __tablename__ = "impulse_offer"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    organisation: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    email: str = Field(sa_column=Column(String(320), nullable=False))
    topic_field_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("topic_field.id"), nullable=True)
    )
    preferred_meeting_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="SET NULL"), nullable=True),
    )
    state: str = Field(default=OfferState.SUBMITTED, sa_column=_state())
    internal_note: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())

    __table_args__ = (Index("ix_impulse_offer_state", "state"),)


class Impulse(SQLModel, table=True):
    """One of the 2–3 short talks of a meeting."""

    __tablename__ = "impulse"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    presenter: str = Field(sa_column=Column(String(120), nullable=False))
    organisation: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("impulse_offer.id", ondelete="SET NULL"), nullable=True
        ),
    )

    __table_args__ = (Index("ix_impulse_meeting", "meeting_id", "position"),)


class Registration(SQLModel, table=True):
    """A person's registration for a meeting."""

    __tablename__ = "registration"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    )
    name: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    email: str | None = Field(default=None, sa_column=Column(String(320), nullable=True))
    # Lower-cased, normalised address: the key of the duplicate rule.
    email_normalized: str | None = Field(default=None, sa_column=Column(String(320), nullable=True))
    organisation: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    federal_state: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    consent_at: datetime = Field(sa_column=_utc())
    status: str = Field(default=RegistrationStatus.CONFIRMED, sa_column=_state())
    # SHA-256 of the secret cancellation token; the token itself is never stored.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    attendance: str = Field(default=Attendance.UNKNOWN, sa_column=_state())
    # Pseudonymous, stable per e-mail address: survives anonymisation for statistics.
    participant_key: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    cancelled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    anonymised_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))

    __table_args__ = (
        # At most one active registration per e-mail and meeting, enforced by the database.
        Index(
            "uq_registration_active_email",
            "meeting_id",
            "email_normalized",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_registration_meeting_status", "meeting_id", "status", "id"),
        Index("ix_registration_participant", "participant_key"),
    )


class Suggestion(SQLModel, table=True):
    """An entry of the Themensammlung (topic, question or idea)."""

    __tablename__ = "suggestion"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(default=SuggestionKind.TOPIC, sa_column=_state())
    topic_field_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("topic_field.id"), nullable=True)
    )
    author_name: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    state: str = Field(default=ModerationState.PENDING, sa_column=_state())
    merged_into_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("suggestion.id", ondelete="SET NULL"), nullable=True),
    )
    # Count of rows in suggestion_vote, kept in the same transaction for cheap sorting.
    votes: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(sa_column=_utc())
    moderated_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))

    __table_args__ = (Index("ix_suggestion_state_votes", "state", "votes"),)


class SuggestionVote(SQLModel, table=True):
    """One "+1" of one visitor for one suggestion."""

    __tablename__ = "suggestion_vote"

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(
        sa_column=Column(Integer, ForeignKey("suggestion.id", ondelete="CASCADE"), nullable=False)
    )
    voter_key: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=_utc())

    __table_args__ = (UniqueConstraint("suggestion_id", "voter_key", name="uq_vote_once"),)


class Organizer(SQLModel, table=True):
    """An organizer account (two to five people run the series)."""

    __tablename__ = "organizer"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(60), nullable=False))
    # Case-folded name: logins are case-insensitive and names unique that way.
    login_key: str = Field(sa_column=Column(String(60), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(120), nullable=False))
    email: str | None = Field(default=None, sa_column=Column(String(320), nullable=True))
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    last_login_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class LoginThrottle(SQLModel, table=True):
    """Failed logins per login name (existing or not), for the growing delay."""

    __tablename__ = "login_throttle"

    login_key: str = Field(sa_column=Column(String(120), primary_key=True))
    failures: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_failure_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    blocked_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class AuditEntry(SQLModel, table=True):
    """One organizer change: who, what, when (details as JSON text)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc())
    actor_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    actor_name: str = Field(sa_column=Column(String(60), nullable=False))
    action: str = Field(sa_column=Column(String(60), nullable=False))
    object_type: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    object_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))

    __table_args__ = (Index("ix_audit_entry_at", "at"),)
