"""Simple, explainable defences against spam in the public forms.

A honeypot field (invisible to people, filled by bots), a per-session rate limit and
the services' own length limits. Each refusal explains itself in German.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from stammtisch.errors import FORM, ValidationError

RATE_LIMIT = 3
RATE_WINDOW = timedelta(minutes=10)


def check_submission(
    *,
    honeypot: str | None,
    recent: Sequence[datetime],
    now: datetime,
    limit: int = RATE_LIMIT,
    window: timedelta = RATE_WINDOW,
) -> None:
    """Refuse a send that looks automated or comes too often from one session."""
    if honeypot and honeypot.strip():
        raise ValidationError.single(
            FORM,
            "Ihre Nachricht wurde nicht gesendet, weil ein verstecktes Feld ausgefüllt war, "
            "das nur Programme sehen. Falls Sie ein Mensch sind: Bitte laden Sie die Seite neu.",
        )
    within = [t for t in recent if now - t < window]
    if len(within) >= limit:
        wait = window - (now - min(within))
        minutes = max(1, int(wait.total_seconds() // 60 + (1 if wait.total_seconds() % 60 else 0)))
        raise ValidationError.single(
            FORM,
            f"Sie haben gerade schon {len(within)} Beiträge gesendet. Damit die Themensammlung "
            f"nicht mit Werbung überflutet wird, geht der nächste in {minutes_text(minutes)} "
            "wieder.",
        )


def minutes_text(minutes: int) -> str:
    """'einer Minute', '10 Minuten' (dative, as in "in … wieder")."""
    return "einer Minute" if minutes == 1 else f"{minutes} Minuten"


def remember(recent: Sequence[datetime], now: datetime, window: timedelta = RATE_WINDOW) -> list:
    """The session's send times after a successful send, old ones forgotten."""
    return [t for t in recent if now - t < window] + [now]
