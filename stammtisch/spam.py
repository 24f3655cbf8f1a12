"""The honeypot of the public forms.

Every public form has a field people never see (hidden by the page's style, out of the
tab order and of what screen readers read) that scripts filling in every field fill
too. A send with it filled is refused, with a German reason in case a person did it.
The limits per network and address are :mod:`stammtisch.rate_limits`; the services'
own length limits do the rest.
"""

from __future__ import annotations

from stammtisch.errors import FORM, ValidationError

HONEYPOT_MESSAGE = (
    "Ihre Nachricht wurde nicht gesendet, weil ein verstecktes Feld ausgefüllt war, das nur "
    "Programme sehen. Falls Sie ein Mensch sind: Bitte laden Sie die Seite neu."
)


def check_honeypot(value: str | None) -> None:
    """Refuse a send whose hidden field is filled in (blank space counts as empty)."""
    if value and value.strip():
        raise ValidationError.single(FORM, HONEYPOT_MESSAGE)
