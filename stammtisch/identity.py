"""Who is acting: the identity a logged-in organizer's session carries.

Its own module so that the audit log (which records the actor) and the organizer
accounts (which issue identities and write to the audit log) do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizerIdentity:
    """Kept in the UI session after login, checked against the database on every service
    call (:func:`stammtisch.organizers.require_organizer`)."""

    id: int
    name: str
    display_name: str
