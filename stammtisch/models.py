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

from stammtisch import limits
from stammtisch.dbtypes import UTCDateTime
from stammtisch.errors import InvalidTransition


class LabelledEnum(StrEnum):
    """A stored value with its German label: ``MEMBER = "value", "Bezeichnung"``."""

    label: str

    def __new__(cls, value: str, label: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def label_for(cls, value: object, default: str | None = None) -> str:
        """The label of a stored value; ``default`` (or the value) for an unknown one."""
        try:
            return cls(value).label
        except ValueError:
            return str(value) if default is None else default


class Workflow(LabelledEnum):
    """A status whose changes follow one table, declared with :func:`workflow` below.

    Services call :meth:`check_transition` before every change; pages ask
    :meth:`allowed_targets` which buttons to offer instead of re-encoding the rules.
    """

    def allowed_targets(self) -> frozenset[Workflow]:
        return _WORKFLOWS[type(self)][1][self]

    def can_become(self, target: Workflow) -> bool:
        return target in self.allowed_targets()

    def check_transition(self, target: Workflow) -> None:
        """Raise :class:`InvalidTransition`, naming the states ``target`` can be reached from."""
        if self.can_become(target):
            return
        this, table = _WORKFLOWS[type(self)]
        if target == self:
            raise InvalidTransition(f"{this} ist bereits „{self.label}“.")
        sources = [s.label for s, targets in table.items() if target in targets]
        raise InvalidTransition(
            f"{this} ist „{self.label}“ und kann nicht „{target.label}“ werden "
            f"(nur aus: {', '.join(sources) or '–'})."
        )


_WORKFLOWS: dict[type, tuple[str, dict]] = {}


def workflow(enum: type[Workflow], this: str, table: dict) -> None:
    """Declare ``enum``'s allowed transitions (every member must appear as a source);
    ``this`` names the thing in messages ("Dieser Vorschlag")."""
    missing = set(enum) - set(table)
    if missing:
        raise ValueError(f"{enum.__name__}: no transitions for {sorted(missing)}")
    _WORKFLOWS[enum] = (this, {state: frozenset(targets) for state, targets in table.items()})


class MeetingStatus(Workflow):
    # Only the team sees a draft (the series planner and "Entwurf anlegen" make them).
    DRAFT = "draft", "Entwurf"
    PLANNED = "planned", "geplant"
    HELD = "held", "stattgefunden"
    CANCELLED = "cancelled", "abgesagt"


# Published meetings: the ones visitors see and the figures count (besides cancelled).
PUBLIC_MEETING = (MeetingStatus.PLANNED, MeetingStatus.HELD, MeetingStatus.CANCELLED)

workflow(
    MeetingStatus,
    "Dieses Treffen",
    {
        # Publishing makes it public; a draft nobody saw is deleted, never cancelled.
        MeetingStatus.DRAFT: {MeetingStatus.PLANNED},
        MeetingStatus.PLANNED: {MeetingStatus.HELD, MeetingStatus.CANCELLED},
        # Saving a held meeting again updates its documentation.
        MeetingStatus.HELD: {MeetingStatus.HELD},
        MeetingStatus.CANCELLED: {MeetingStatus.PLANNED},
    },
)


class RegistrationState(LabelledEnum):
    """Whether visitors can register for a meeting (organizers switch it freely)."""

    NOT_OPEN = "not_open", "noch nicht geöffnet"
    OPEN = "open", "offen"
    CLOSED = "closed", "geschlossen"


class RegistrationStatus(Workflow):
    # Sent, but not yet confirmed through the link in the mail: holds no place, shows no
    # link, and is deleted when it expires (see registrations.PENDING_LIFETIME).
    PENDING = "pending", "unbestätigt"
    CONFIRMED = "confirmed", "angemeldet"
    WAITLISTED = "waitlisted", "Warteliste"
    CANCELLED = "cancelled", "storniert"


workflow(
    RegistrationStatus,
    "Diese Anmeldung",
    {
        # On confirmation the capacity rule decides: a place, or the waitlist.
        RegistrationStatus.PENDING: {
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.WAITLISTED,
            RegistrationStatus.CANCELLED,
        },
        RegistrationStatus.CONFIRMED: {RegistrationStatus.CANCELLED},
        # Moving up: in arrival order when a place frees, or by an organizer.
        RegistrationStatus.WAITLISTED: {RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED},
        RegistrationStatus.CANCELLED: set(),
    },
)

# Holding a place or a place in the queue (pending ones hold neither).
ACTIVE_REGISTRATION = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class Attendance(LabelledEnum):
    YES = "yes", "ja"
    NO = "no", "nein"
    UNKNOWN = "unknown", "unbekannt"


class FederalState(LabelledEnum):
    SACHSEN = "sachsen", "Sachsen"
    SACHSEN_ANHALT = "sachsen-anhalt", "Sachsen-Anhalt"
    THUERINGEN = "thueringen", "Thüringen"
    OTHER = "other", "anderes Bundesland"


class SuggestionKind(LabelledEnum):
    TOPIC = "topic", "Thema"
    QUESTION = "question", "Frage"
    IDEA = "idea", "Idee"


class ModerationState(Workflow):
    PENDING = "pending", "wartet auf Prüfung"
    APPROVED = "approved", "veröffentlicht"
    REJECTED = "rejected", "abgelehnt"
    MERGED = "merged", "zusammengeführt"


workflow(
    ModerationState,
    "Dieser Vorschlag",
    {
        ModerationState.PENDING: {
            ModerationState.APPROVED,
            ModerationState.REJECTED,
            ModerationState.MERGED,
        },
        ModerationState.APPROVED: {ModerationState.REJECTED, ModerationState.MERGED},
        ModerationState.REJECTED: {ModerationState.APPROVED},
        ModerationState.MERGED: set(),
    },
)


class OfferState(Workflow):
    SUBMITTED = "submitted", "eingegangen"
    IN_DISCUSSION = "in_discussion", "in Abstimmung"
    ACCEPTED = "accepted", "angenommen"
    DECLINED = "declined", "abgelehnt"


workflow(
    OfferState,
    "Dieses Angebot",
    {
        OfferState.SUBMITTED: {OfferState.IN_DISCUSSION, OfferState.ACCEPTED, OfferState.DECLINED},
        OfferState.IN_DISCUSSION: {OfferState.ACCEPTED, OfferState.DECLINED},
        OfferState.ACCEPTED: set(),
        OfferState.DECLINED: {OfferState.IN_DISCUSSION},
    },
)


class MailStatus(LabelledEnum):
    """A mail in the outbox. The sender moves it on; see :mod:`stammtisch.mailer`."""

    QUEUED = "queued", "wartet"
    RETRY = "retry", "neuer Versuch geplant"
    SENDING = "sending", "wird gesendet"
    SENT = "sent", "gesendet"
    FAILED = "failed", "fehlgeschlagen"
    EXPIRED = "expired", "verfallen"


DUE_MAIL = (MailStatus.QUEUED, MailStatus.RETRY)


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
    slug: str = Field(sa_column=Column(String(limits.TOPIC_SLUG_MAX), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(limits.TOPIC_NAME.max), nullable=False, unique=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # The field's own colour on every chart (a slot of the palette in ui/charts.py), given
    # once at creation: renaming or reordering never changes it.
    colour_slot: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    # An archived field keeps its meetings, suggestions and offers (history and charts
    # show it); new forms no longer offer it.
    archived_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())


class Meeting(SQLModel, table=True):
    """One Stammtisch evening: a theme, a time, impulses, registrations."""

    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    theme: str = Field(sa_column=Column(String(limits.THEME.max), nullable=False))
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
    # iCalendar SEQUENCE: raised when time, link or status change, so calendars that got
    # an earlier .ics replace their entry (same UID) instead of keeping the old one.
    ics_sequence: int = Field(
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
    title: str = Field(sa_column=Column(String(limits.OFFER_TITLE.max), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(String(limits.PERSON_NAME.max), nullable=False))
    organisation: str | None = Field(
        default=None, sa_column=Column(String(limits.ORGANISATION.max), nullable=True)
    )
    email: str = Field(sa_column=Column(String(limits.EMAIL.max), nullable=False))
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
    title: str = Field(sa_column=Column(String(limits.IMPULSE_TITLE.max), nullable=False))
    presenter: str = Field(sa_column=Column(String(limits.PRESENTER.max), nullable=False))
    organisation: str | None = Field(
        default=None, sa_column=Column(String(limits.ORGANISATION.max), nullable=True)
    )
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
    name: str | None = Field(
        default=None, sa_column=Column(String(limits.PERSON_NAME.max), nullable=True)
    )
    email: str | None = Field(
        default=None, sa_column=Column(String(limits.EMAIL.max), nullable=True)
    )
    # Lower-cased, normalised address: the key of the duplicate rule.
    email_normalized: str | None = Field(
        default=None, sa_column=Column(String(limits.EMAIL.max), nullable=True)
    )
    organisation: str | None = Field(
        default=None, sa_column=Column(String(limits.ORGANISATION.max), nullable=True)
    )
    federal_state: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    consent_at: datetime = Field(sa_column=_utc())
    status: str = Field(default=RegistrationStatus.CONFIRMED, sa_column=_state())
    # SHA-256 of the secret token of the personal link; the token itself is never stored.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    # The link before the last fresh one (a promotion or a repeated form mails a fresh
    # link; the one the person may have bookmarked keeps working). "Link verloren?" and
    # anonymisation clear it.
    previous_token_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, index=True)
    )
    attendance: str = Field(default=Attendance.UNKNOWN, sa_column=_state())
    # Pseudonymous, stable per e-mail address: survives anonymisation for statistics.
    participant_key: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    # The registration's turn in its meeting's queue, given under the meeting's lock when
    # it takes its place (the confirmation): the waitlist's order, whatever the clocks say.
    place_order: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # When it took its place (confirmation), for the people who should not get a
    # reminder minutes after their confirmation.
    placed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # Until when a pending registration can still be confirmed.
    expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
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
        Index("ix_registration_status_expires", "status", "expires_at"),
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
    author_name: str | None = Field(
        default=None, sa_column=Column(String(limits.AUTHOR_NAME.max), nullable=True)
    )
    state: str = Field(default=ModerationState.PENDING, sa_column=_state())
    merged_into_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("suggestion.id", ondelete="SET NULL"), nullable=True),
    )
    # Count of rows in suggestion_vote, kept in the same transaction for cheap sorting.
    votes: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(sa_column=_utc())
    moderated_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # Who sent it, only to recognise a double send (a keyed hash of the browser's anonymous
    # visitor id or, without one, of the network; :func:`stammtisch.rate_limits.sender_key`).
    # Forgotten once the double-send window has passed.
    sender_key: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))

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


class OrganizerRole(LabelledEnum):
    """What an account may do: admins also manage the team's accounts."""

    ADMIN = "admin", "Admin"
    ORGANIZER = "organizer", "Organisator:in"


class Organizer(SQLModel, table=True):
    """An organizer account (two to five people run the series)."""

    __tablename__ = "organizer"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(limits.LOGIN_NAME.max), nullable=False))
    # Case-folded name: logins are case-insensitive and names unique that way.
    login_key: str = Field(
        sa_column=Column(String(limits.LOGIN_NAME.max), nullable=False, unique=True)
    )
    display_name: str = Field(sa_column=Column(String(limits.DISPLAY_NAME.max), nullable=False))
    email: str | None = Field(
        default=None, sa_column=Column(String(limits.EMAIL.max), nullable=True)
    )
    # Empty while the account waits for its first password (set through a link).
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    role: str = Field(
        default=OrganizerRole.ORGANIZER,
        sa_column=Column(String(20), nullable=False, server_default="organizer"),
    )
    # A one-time link to set the password (new account, reset by an admin): only the
    # SHA-256 of its token is kept, and only until it is used or runs out.
    password_link_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True)
    )
    password_link_expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())
    last_login_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))

    __table_args__ = (Index("uq_organizer_password_link", "password_link_hash", unique=True),)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per login name and client address (for names that exist or not, so
    the answers reveal nothing), plus one row per name (``client_key`` ``"*"``) for the
    short name-wide spacing when many addresses fail. All times on the real clock."""

    __tablename__ = "login_throttle"

    login_key: str = Field(
        sa_column=Column(String(limits.THROTTLED_LOGIN_KEY_MAX), primary_key=True)
    )
    client_key: str = Field(sa_column=Column(String(64), primary_key=True))
    failures: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_failure_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    blocked_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))

    __table_args__ = (Index("ix_login_throttle_last_failure", "last_failure_at"),)


class SubscriptionKind(LabelledEnum):
    """What a subscriber wants to hear about."""

    MEETING = "meeting", "Anmeldung öffnet"  # one meeting: "tell me when I can register"
    NEWS = "news", "Neue Termine"  # announcements: new meetings and opened registrations


class SubscriptionStatus(LabelledEnum):
    PENDING = "pending", "wartet auf Bestätigung"
    CONFIRMED = "confirmed", "bestätigt"


class Subscription(SQLModel, table=True):
    """A wish to be told by mail, with double opt-in (see ``stammtisch/subscriptions.py``).

    Nothing is sent but the confirmation mail before ``confirmed_at``; unconfirmed rows go
    after 48 hours; unsubscribing deletes the row. ``consent_version`` names the consent
    text the person agreed to at ``consent_at``. ``key`` is random and part of the signed
    unsubscribe link (a row that is deleted and created again gets a new link).
    """

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    meeting_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=True),
    )
    email: str = Field(sa_column=Column(String(limits.EMAIL.max), nullable=False))
    email_normalized: str = Field(sa_column=Column(String(limits.EMAIL.max), nullable=False))
    name: str | None = Field(
        default=None, sa_column=Column(String(limits.AUTHOR_NAME.max), nullable=True)
    )
    status: str = Field(default=SubscriptionStatus.PENDING, sa_column=_state())
    key: str = Field(sa_column=Column(String(32), nullable=False))
    confirm_token_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, unique=True)
    )
    consent_version: str = Field(sa_column=Column(String(40), nullable=False))
    consent_at: datetime = Field(sa_column=_utc())
    confirmed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())

    __table_args__ = (
        Index("ix_subscription_email", "email_normalized"),
        Index("ix_subscription_meeting", "meeting_id"),
        Index("ix_subscription_status_expires", "status", "expires_at"),
    )


class SubscriptionTopicField(SQLModel, table=True):
    """The topic fields an announcement subscriber chose (none: all)."""

    __tablename__ = "subscription_topic_field"

    subscription_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("subscription.id", ondelete="CASCADE"), primary_key=True
        )
    )
    topic_field_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("topic_field.id", ondelete="CASCADE"), primary_key=True
        )
    )


class RateHit(SQLModel, table=True):
    """One public send, counted for the limits of :mod:`stammtisch.rate_limits`.

    ``key`` is a keyed hash of the network address, the typed e-mail address or the pair
    (address, thing acted on), never the address itself; ``at`` is the real time. Rows go
    once they are older than the longest window.
    """

    __tablename__ = "rate_hit"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(sa_column=Column(String(20), nullable=False))
    key: str = Field(sa_column=Column(String(40), nullable=False))
    at: datetime = Field(sa_column=_utc())

    __table_args__ = (
        Index("ix_rate_hit_action_key_at", "action", "key", "at"),
        Index("ix_rate_hit_at", "at"),
    )


class OrganizerSession(SQLModel, table=True):
    """A logged-in organizer, kept on the server (every process sees the same sessions).

    ``token_hash`` is the SHA-256 of the random id in the browser's signed cookie (set once
    the browser has redeemed the one-time ``handover_hash`` code); the id itself is never
    stored. Idle and absolute limits run on the real clock. Removing the account removes
    its sessions (``ON DELETE CASCADE``).
    """

    __tablename__ = "organizer_session"

    id: int | None = Field(default=None, primary_key=True)
    organizer_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organizer.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, unique=True)
    )
    handover_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, unique=True)
    )
    handover_expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())
    last_active_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())


class AuditEntry(SQLModel, table=True):
    """One organizer change: who, what, when (details as JSON text)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc())
    actor_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    actor_name: str = Field(sa_column=Column(String(limits.LOGIN_NAME.max), nullable=False))
    action: str = Field(sa_column=Column(String(60), nullable=False))
    object_type: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    object_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))

    __table_args__ = (Index("ix_audit_entry_at", "at"),)


class Mail(SQLModel, table=True):
    """One mail in the outbox, queued in the same transaction as the change it reports.

    ``secret`` holds a personal link's token in clear only until the mail is sent (the
    body carries a placeholder, filled in at delivery); the registration itself keeps
    only the token's hash. ``dedupe_key`` makes mails that must go out once (a reminder
    per registration) unique in the database.
    """

    __tablename__ = "mail"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    status: str = Field(default=MailStatus.QUEUED, sa_column=_state())
    to_address: str = Field(sa_column=Column(String(limits.EMAIL.max), nullable=False))
    to_name: str | None = Field(
        default=None, sa_column=Column(String(limits.PERSON_NAME.max), nullable=True)
    )
    subject: str = Field(sa_column=Column(String(limits.MAIL_SUBJECT_MAX), nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    ics: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    secret: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    message_id: str = Field(sa_column=Column(String(250), nullable=False, unique=True))
    dedupe_key: str | None = Field(
        default=None, sa_column=Column(String(120), nullable=True, unique=True)
    )
    registration_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("registration.id", ondelete="SET NULL"), nullable=True
        ),
    )
    meeting_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="SET NULL"), nullable=True),
    )
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("impulse_offer.id", ondelete="SET NULL"), nullable=True
        ),
    )
    subscription_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("subscription.id", ondelete="SET NULL"), nullable=True
        ),
    )
    # The one-click unsubscribe address (RFC 8058) of mails sent for a subscription.
    list_unsubscribe: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # Wall-clock times (the sender's), so a pinned demo clock cannot stall delivery.
    next_attempt_at: datetime = Field(sa_column=_utc())
    lease_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # Random per claim: only the sender holding the claim may record the outcome.
    claim_token: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # App times: when the change happened, and after when the mail is pointless.
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))

    __table_args__ = (
        Index("ix_mail_status_next", "status", "next_attempt_at"),
        Index("ix_mail_registration", "registration_id"),
        Index("ix_mail_created", "created_at"),
    )
