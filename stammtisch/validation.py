"""Turning raw form input into clean values, or German messages per field.

A :class:`FieldChecker` collects every problem of a form at once, so a person sees all
messages in one go, and raises a single :class:`~stammtisch.errors.ValidationError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from stammtisch.errors import ValidationError
from stammtisch.limits import EMAIL_ADDRESS_MAX, URL_MAX, Limit

E = TypeVar("E", bound=StrEnum)

# Control characters other than line breaks and tabs have no place in form text;
# Unicode "format" characters (bidi overrides, zero-width joiners) are removed too,
# because they can disguise what a text says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\ufeff]")


def normalise_text(value: object, *, multiline: bool = False) -> str:
    """NFC-normalise, strip, drop control characters; single-line text gets one line."""
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BIDI.sub("", text)
    text = _CONTROL.sub("", text)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
    else:
        text = re.sub(r"\s+", " ", text.replace("\t", " "))
    return text.strip()


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


# "Bitte geben Sie <accusative> an." – and for "… ist zu kurz" the same words as subject.
_ARTICLES = {"einen": "Der", "eine": "Die", "ein": "Das", "den": "Der", "Ihren": "Ihr"}
# Weak nouns change their ending with the case ("den Namen" → "der Name").
_WEAK_NOUNS = {"Namen": "Name", "Anmeldenamen": "Anmeldename", "Anzeigenamen": "Anzeigename"}


def nominative(label: str) -> str:
    """'Ihren Namen' → 'Ihr Name', 'einen Titel' → 'Der Titel', 'eine Notiz' → 'Die Notiz'."""
    article, _, rest = label.partition(" ")
    if article not in _ARTICLES or not rest:
        return _capital(label)
    noun, _, tail = rest.partition(" ")
    noun = _WEAK_NOUNS.get(noun, noun)
    return " ".join(part for part in (_ARTICLES[article], noun, tail) if part)


class FieldChecker:
    """Collects German messages per field while cleaning values."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def text(
        self,
        field: str,
        value: object,
        *,
        label: str,
        limit: Limit,
        required: bool | None = None,
        subject: str | None = None,
    ) -> str | None:
        """The cleaned text within ``limit``, or ``None`` with a message for ``field``.

        ``label`` is the accusative ("Bitte geben Sie Ihren Namen an."); the messages about
        length use it as subject ("Ihr Name ist zu kurz"), or ``subject`` where the
        derived form reads badly. ``required`` defaults to whether the limit asks for at
        least one character.
        """
        subject = subject or nominative(label)
        cleaned = normalise_text(value, multiline=limit.multiline)
        if not cleaned:
            if limit.min > 0 if required is None else required:
                self.fail(field, f"Bitte geben Sie {label} an.")
            return None
        if len(cleaned) < limit.min:
            self.fail(
                field,
                f"{subject} ist zu kurz (mindestens {limit.min} Zeichen).",
            )
            return None
        if len(cleaned) > limit.max:
            self.fail(
                field,
                f"{subject} ist zu lang (höchstens {limit.max} Zeichen, jetzt {len(cleaned)}).",
            )
            return None
        return cleaned

    def email(self, field: str, value: object, *, required: bool = True) -> str | None:
        raw = normalise_text(value)
        if not raw:
            if required:
                self.fail(field, "Bitte geben Sie Ihre E-Mail-Adresse an.")
            return None
        if len(raw) > EMAIL_ADDRESS_MAX:
            self.fail(field, "Diese E-Mail-Adresse ist zu lang.")
            return None
        try:
            info = validate_email(raw, check_deliverability=False)
        except EmailNotValidError:
            self.fail(
                field,
                "Bitte geben Sie eine gültige E-Mail-Adresse an (zum Beispiel name@beispiel.de).",
            )
            return None
        return info.normalized

    def choice(
        self,
        field: str,
        value: object,
        enum: type[E],
        *,
        message: str,
        required: bool = True,
    ) -> E | None:
        if value is None or value == "":
            if required:
                self.fail(field, message)
            return None
        try:
            return enum(value)
        except ValueError:
            self.fail(field, message)
            return None

    def url(self, field: str, value: object, *, label: str, required: bool = False) -> str | None:
        raw = normalise_text(value)
        if not raw:
            if required:
                self.fail(field, f"Bitte geben Sie {label} an.")
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in raw:
            self.fail(field, f"{_capital(label)} muss mit https:// beginnen.")
            return None
        if len(raw) > URL_MAX:
            self.fail(field, f"{_capital(label)} ist zu lang.")
            return None
        return raw

    def integer(
        self,
        field: str,
        value: object,
        *,
        label: str,
        minimum: int | None = None,
        maximum: int | None = None,
        required: bool = False,
    ) -> int | None:
        if value is None or value == "":
            if required:
                self.fail(field, f"Bitte geben Sie {label} an.")
            return None
        try:
            number = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            self.fail(field, f"{_capital(label)} muss eine ganze Zahl sein.")
            return None
        if isinstance(value, bool):
            self.fail(field, f"{_capital(label)} muss eine ganze Zahl sein.")
            return None
        if minimum is not None and number < minimum:
            self.fail(field, f"{_capital(label)} muss mindestens {minimum} sein.")
            return None
        if maximum is not None and number > maximum:
            self.fail(field, f"{_capital(label)} darf höchstens {maximum} sein.")
            return None
        return number

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def fold_text(text: str) -> str:
    """Case-insensitive comparison key of a text ("ÖKO@Example.org" → "öko@example.org").

    NFC plus ``str.lower()``, the same mapping PostgreSQL's ``lower()`` applies under a
    UTF-8 locale; SQLite gets this very function (see :func:`stammtisch.db.casefold`), so
    the key is equal in Python and in SQL on both databases. (``str.casefold()`` would
    also turn "ß" into "ss", which no SQL ``lower()`` does.)
    """
    return unicodedata.normalize("NFC", text).lower()


def email_key(email: str) -> str:
    """The one comparison key of an e-mail address: duplicates, erasure, matching, login.

    In SQL the same key is ``db.casefold(session, column)`` over a stored address.
    """
    return fold_text(email.strip())


def first_error(errors: Iterable[str]) -> str | None:
    return next(iter(errors), None)
