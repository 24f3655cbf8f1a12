"""Form input rules: German messages in correct grammar, limits from one place."""

from __future__ import annotations

import pytest

from stammtisch import limits
from stammtisch.validation import FieldChecker, email_key, fold_text, nominative


@pytest.mark.parametrize(
    ("label", "subject"),
    [
        ("Ihren Vorschlag", "Ihr Vorschlag"),
        ("Ihren Namen", "Ihr Name"),
        ("einen Titel", "Der Titel"),
        ("eine Beschreibung", "Die Beschreibung"),
        ("ein Thema", "Das Thema"),
        ("den Namen der vortragenden Person", "Der Name der vortragenden Person"),
        ("einen Anmeldenamen", "Der Anmeldename"),
        ("der Zoom-Link", "Der Zoom-Link"),
    ],
)
def test_length_messages_use_the_label_as_subject(label, subject):
    assert nominative(label) == subject
    check = FieldChecker()
    check.text("f", "ab", label=label, limit=limits.Limit(5, 10))
    assert check.errors["f"] == f"{subject} ist zu kurz (mindestens 5 Zeichen)."


def test_the_suggestion_form_speaks_correct_german():
    check = FieldChecker()
    check.text("text", "kurz", label="Ihren Vorschlag", limit=limits.SUGGESTION_TEXT)
    check.text("empty", "  ", label="Ihren Vorschlag", limit=limits.SUGGESTION_TEXT)
    assert check.errors == {
        "text": "Ihr Vorschlag ist zu kurz (mindestens 10 Zeichen).",
        "empty": "Bitte geben Sie Ihren Vorschlag an.",
    }
    check = FieldChecker()
    check.text("t", "x" * 1001, label="Ihren Vorschlag", limit=limits.SUGGESTION_TEXT)
    assert check.errors["t"] == ("Ihr Vorschlag ist zu lang (höchstens 1000 Zeichen, jetzt 1001).")


def test_one_email_key_for_python_and_sql():
    assert email_key(" ÖKO@Example.org ") == "öko@example.org"
    assert fold_text("STRAẞE") == "straße"  # lower(), as SQL does; casefold() would give "ss"
