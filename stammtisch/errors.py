"""The few exception types the domain raises.

Every message is German because pages show it to visitors and organizers as is.
"""

from __future__ import annotations

FORM = "_form"
"""Key for a message that concerns the whole form rather than one field."""


class DomainError(Exception):
    """Base class for every error the services raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input was rejected; ``errors`` maps a field name to its German message."""

    def __init__(self, errors: dict[str, str]) -> None:
        if not errors:
            raise ValueError("ValidationError needs at least one message")
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class NotFound(DomainError):
    """The thing asked for does not exist (or must not be revealed)."""


class AlreadyRegistered(DomainError):
    """An active registration for this e-mail and meeting exists already."""


class AlreadyVoted(DomainError):
    """This visitor has already supported the suggestion."""


class InvalidTransition(DomainError):
    """A state change that the workflow does not allow from the current state."""


class PermissionDenied(DomainError):
    """The caller is not allowed to do this."""


class NeedsConfirmation(DomainError):
    """The change would write to ``count`` people; the organizer confirms it first.

    The page calls the service again with ``notify_count=count``; if the number changed
    meanwhile (someone registered), it asks again with the new number.
    """

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


class AlreadySubmitted(DomainError):
    """The same contribution arrived a moment ago (a second click, a reload): it is stored
    once; ``existing_id`` is the one kept."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id
