"""What a person sees through their personal link: one table of every state combination.

The page "Meine Anmeldung" depends on two states: the meeting's (from the person's point
of view: registration not open yet, open, full, closed, cancelled, running, over) and the
registration's (waiting for confirmation, confirmed, moved up from the waitlist, waiting,
cancelled by the person, cancelled by the team, not confirmed in time). :data:`TABLE`
gives every combination exactly one message and exactly the actions that make sense –
the Zoom link, a calendar file, confirming, cancelling, the documentation of a held
meeting – so the page can never say two things that contradict each other. Module load
fails if a combination is missing or written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stammtisch import meeting_rules
from stammtisch.models import RegistrationState, RegistrationStatus


class MeetingPhase(StrEnum):
    """The meeting as it matters to someone registered for it."""

    NOT_OPEN = "not_open"  # planned, registration not (yet) open
    OPEN = "open"  # planned, registration open, places free
    FULL = "full"  # planned, registration open, every place taken
    CLOSED = "closed"  # planned, registration closed
    CANCELLED = "cancelled"
    RUNNING = "running"  # begun, not over
    OVER = "over"  # ended, or marked held


class Standing(StrEnum):
    """The registration as its owner sees it."""

    PENDING = "pending"  # sent, not yet confirmed through the mail
    EXPIRED = "expired"  # not confirmed in time (deleted soon)
    CONFIRMED = "confirmed"
    PROMOTED = "promoted"  # confirmed after waiting on the waitlist
    WAITLISTED = "waitlisted"
    CANCELLED_BY_PERSON = "cancelled_by_person"
    CANCELLED_BY_TEAM = "cancelled_by_team"


@dataclass(frozen=True)
class PersonalView:
    """One row: the message (``tone``: success, info, warning, error) and the actions.

    ``message`` may contain ``{position}`` (the place on the waitlist).
    """

    tone: str
    message: str
    zoom_link: bool = False
    calendar: str | None = None  # "confirmed" or "tentative"
    confirm: bool = False
    cancel: bool = False
    documentation: bool = False
    register_again: bool = False

    def text(self, position: int | None) -> str:
        return self.message.format(position=position or "–")


UPCOMING = (MeetingPhase.NOT_OPEN, MeetingPhase.OPEN, MeetingPhase.FULL, MeetingPhase.CLOSED)
ALL_PHASES = tuple(MeetingPhase)

_PLACE = "Sie sind angemeldet. Wir freuen uns auf Sie!"
_MOVED_UP = "Sie sind von der Warteliste nachgerückt und angemeldet. Wir freuen uns auf Sie!"
_WAITING = (
    "Das Treffen ist ausgebucht. Sie stehen auf der Warteliste auf Position {position}. Wird "
    "ein Platz frei, rücken Sie automatisch nach und bekommen eine Mail mit dem Zugangslink."
)
_CONFIRM = (
    "Ihre Anmeldung ist noch nicht bestätigt. Erst mit der Bestätigung ist Ihr Platz "
    "reserviert (oder Ihr Platz auf der Warteliste, wenn das Treffen voll ist)."
)
_CANCELLED_MEETING = (
    "Dieses Treffen wurde abgesagt. Ihre Anmeldung bleibt gespeichert; findet es doch statt, "
    "schreiben wir Ihnen."
)
_NOT_CONFIRMED = (
    "Diese Anmeldung wurde nicht rechtzeitig bestätigt und ist verfallen; sie hält keinen Platz."
)


def _rows(standing: Standing, phases, view: PersonalView) -> list:
    return [((phase, standing), view) for phase in phases]


_ENTRIES = [
    # -- waiting for the confirmation ---------------------------------------------------------
    *_rows(Standing.PENDING, (MeetingPhase.OPEN,), PersonalView("info", _CONFIRM, confirm=True)),
    *_rows(
        Standing.PENDING,
        (MeetingPhase.FULL,),
        PersonalView(
            "info",
            "Ihre Anmeldung ist noch nicht bestätigt. Das Treffen ist inzwischen ausgebucht: "
            "Mit der Bestätigung kommen Sie auf die Warteliste.",
            confirm=True,
        ),
    ),
    *_rows(
        Standing.PENDING,
        (MeetingPhase.NOT_OPEN, MeetingPhase.CLOSED),
        PersonalView(
            "warning",
            "Die Anmeldung für dieses Treffen ist gerade geschlossen; Ihre unbestätigte "
            "Anmeldung lässt sich deshalb nicht bestätigen.",
        ),
    ),
    *_rows(
        Standing.PENDING,
        (MeetingPhase.CANCELLED,),
        PersonalView("error", "Dieses Treffen wurde abgesagt; die Anmeldung ist hinfällig."),
    ),
    # A pending registration expires at the start at the latest: these two show as expired.
    *_rows(
        Standing.PENDING,
        (MeetingPhase.RUNNING, MeetingPhase.OVER),
        PersonalView("info", _NOT_CONFIRMED),
    ),
    *_rows(
        Standing.EXPIRED,
        (*UPCOMING,),
        PersonalView(
            "info",
            _NOT_CONFIRMED + " Wenn die Anmeldung offen ist, können Sie sich neu anmelden.",
            register_again=True,
        ),
    ),
    *_rows(
        Standing.EXPIRED,
        (MeetingPhase.CANCELLED, MeetingPhase.RUNNING, MeetingPhase.OVER),
        PersonalView("info", _NOT_CONFIRMED),
    ),
    # -- a place --------------------------------------------------------------------------------
    *_rows(
        Standing.CONFIRMED,
        UPCOMING,
        PersonalView("success", _PLACE, zoom_link=True, calendar="confirmed", cancel=True),
    ),
    *_rows(
        Standing.PROMOTED,
        UPCOMING,
        PersonalView("success", _MOVED_UP, zoom_link=True, calendar="confirmed", cancel=True),
    ),
    *(
        row
        for standing in (Standing.CONFIRMED, Standing.PROMOTED)
        for row in [
            *_rows(
                standing,
                (MeetingPhase.RUNNING,),
                PersonalView(
                    "success", "Das Treffen läuft gerade – kommen Sie dazu!", zoom_link=True
                ),
            ),
            *_rows(
                standing,
                (MeetingPhase.OVER,),
                PersonalView("info", "Das Treffen ist vorbei.", documentation=True),
            ),
            *_rows(standing, (MeetingPhase.CANCELLED,), PersonalView("error", _CANCELLED_MEETING)),
        ]
    ),
    # -- the waitlist ---------------------------------------------------------------------------
    *_rows(
        Standing.WAITLISTED,
        UPCOMING,
        PersonalView("warning", _WAITING, calendar="tentative", cancel=True),
    ),
    *_rows(
        Standing.WAITLISTED,
        (MeetingPhase.RUNNING,),
        PersonalView(
            "info", "Das Treffen hat begonnen; für Sie ist leider kein Platz frei geworden."
        ),
    ),
    *_rows(
        Standing.WAITLISTED,
        (MeetingPhase.OVER,),
        PersonalView(
            "info",
            "Das Treffen ist vorbei; für Sie ist leider kein Platz frei geworden. Vielleicht "
            "beim nächsten Mal!",
            documentation=True,
        ),
    ),
    *_rows(
        Standing.WAITLISTED,
        (MeetingPhase.CANCELLED,),
        PersonalView("error", _CANCELLED_MEETING),
    ),
    # -- cancelled registrations -------------------------------------------------------------
    *_rows(
        Standing.CANCELLED_BY_PERSON,
        (MeetingPhase.OPEN, MeetingPhase.FULL),
        PersonalView(
            "info",
            "Sie haben sich abgemeldet. Sie können sich auf der Startseite wieder anmelden, "
            "solange die Anmeldung offen ist.",
            register_again=True,
        ),
    ),
    *_rows(
        Standing.CANCELLED_BY_PERSON,
        (MeetingPhase.NOT_OPEN, MeetingPhase.CLOSED, MeetingPhase.RUNNING, MeetingPhase.OVER),
        PersonalView("info", "Sie haben sich von diesem Treffen abgemeldet."),
    ),
    *_rows(
        Standing.CANCELLED_BY_PERSON,
        (MeetingPhase.CANCELLED,),
        PersonalView("info", "Sie hatten sich abgemeldet; das Treffen wurde inzwischen abgesagt."),
    ),
    *_rows(
        Standing.CANCELLED_BY_TEAM,
        ALL_PHASES,
        PersonalView(
            "info",
            "Das Team des Stammtischs hat diese Anmeldung storniert. Bei Fragen antworten Sie "
            "einfach auf eine unserer Mails.",
        ),
    ),
]

TABLE: dict[tuple[MeetingPhase, Standing], PersonalView] = dict(_ENTRIES)
if len(TABLE) != len(_ENTRIES) or len(TABLE) != len(MeetingPhase) * len(Standing):
    raise RuntimeError("personal_page.TABLE must name every combination exactly once")


def meeting_phase(meeting, now: datetime) -> MeetingPhase:
    """The phase of a meeting (a :class:`~stammtisch.meetings.MeetingView`) at ``now``."""
    if meeting_rules.is_cancelled(meeting):
        return MeetingPhase.CANCELLED
    if meeting_rules.is_over(meeting, now):
        return MeetingPhase.OVER
    if meeting_rules.has_begun(meeting, now):
        return MeetingPhase.RUNNING
    if meeting.registration_state == RegistrationState.NOT_OPEN:
        return MeetingPhase.NOT_OPEN
    if meeting.registration_state == RegistrationState.CLOSED:
        return MeetingPhase.CLOSED
    return MeetingPhase.FULL if meeting.is_full else MeetingPhase.OPEN


def standing(details, now: datetime) -> Standing:
    """The standing of a registration (a :class:`~stammtisch.registrations.RegistrationDetails`)."""
    status = RegistrationStatus(details.status)
    if status == RegistrationStatus.PENDING:
        expired = details.expires_at is not None and details.expires_at <= now
        return Standing.EXPIRED if expired else Standing.PENDING
    if status == RegistrationStatus.CANCELLED:
        return (
            Standing.CANCELLED_BY_TEAM
            if details.cancelled_by_team
            else Standing.CANCELLED_BY_PERSON
        )
    if status == RegistrationStatus.WAITLISTED:
        return Standing.WAITLISTED
    return Standing.PROMOTED if details.promoted else Standing.CONFIRMED


def personal_view(meeting, details, now: datetime) -> PersonalView:
    return TABLE[(meeting_phase(meeting, now), standing(details, now))]


def status_label(meeting, details, now: datetime) -> str:
    """The registration's status under "Ihre Angaben". Beside a cancelled meeting a
    registration still on record says so: a bare "angemeldet" under "Dieses Treffen wurde
    abgesagt" would read as a place at a meeting that takes place."""
    label = RegistrationStatus.label_for(details.status)
    cancelled = RegistrationStatus(details.status) == RegistrationStatus.CANCELLED
    if meeting_phase(meeting, now) == MeetingPhase.CANCELLED and not cancelled:
        return f"{label} – das Treffen ist abgesagt"
    return label
