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
        required: bool = True,
        min_length: int = 0,
        max_length: int = 200,
        multiline: bool = False,
    ) -> str | None:
        cleaned = normalise_text(value, multiline=multiline)
        if not cleaned:
            if required:
                self.fail(field, f"Bitte geben Sie {label} an.")
            return None
        if len(cleaned) < min_length:
            self.fail(
                field,
                f"{label[0].upper()}{label[1:]} ist zu kurz (mindestens {min_length} Zeichen).",
            )
            return None
        if len(cleaned) > max_length:
            self.fail(
                field,
                f"{label[0].upper()}{label[1:]} ist zu lang (höchstens {max_length} Zeichen, "
                f"jetzt {len(cleaned)}).",
            )
            return None
        return cleaned

    def email(self, field: str, value: object, *, required: bool = True) -> str | None:
        raw = normalise_text(value)
        if not raw:
            if required:
                self.fail(field, "Bitte geben Sie Ihre E-Mail-Adresse an.")
            return None
        if len(raw) > 254:
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
            self.fail(field, f"{label[0].upper()}{label[1:]} muss mit https:// beginnen.")
            return None
        if len(raw) > 2000:
            self.fail(field, f"{label[0].upper()}{label[1:]} ist zu lang.")
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
            self.fail(field, f"{label[0].upper()}{label[1:]} muss eine ganze Zahl sein.")
            return None
        if isinstance(value, bool):
            self.fail(field, f"{label[0].upper()}{label[1:]} muss eine ganze Zahl sein.")
            return None
        if minimum is not None and number < minimum:
            self.fail(field, f"{label[0].upper()}{label[1:]} muss mindestens {minimum} sein.")
            return None
        if maximum is not None and number > maximum:
            self.fail(field, f"{label[0].upper()}{label[1:]} darf höchstens {maximum} sein.")
            return None
        return number

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def email_key(normalized_email: str) -> str:
    """The comparison key for the duplicate rule: case-insensitive as people expect."""
    return normalized_email.casefold()


def first_error(errors: Iterable[str]) -> str | None:
    return next(iter(errors), None)
