"""Each text field's limit is declared once, in ``stammtisch.limits``: the sized columns
take their length from there, so a form never accepts what the database refuses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stammtisch import limits, models

# (table model, column, name in stammtisch.limits): every sized column with a limit.
PAIRS = [
    ("TopicField", "slug", "TOPIC_SLUG_MAX"),
    ("TopicField", "name", "TOPIC_NAME"),
    ("Meeting", "theme", "THEME"),
    ("ImpulseOffer", "title", "OFFER_TITLE"),
    ("ImpulseOffer", "name", "PERSON_NAME"),
    ("ImpulseOffer", "organisation", "ORGANISATION"),
    ("ImpulseOffer", "email", "EMAIL"),
    ("Impulse", "title", "IMPULSE_TITLE"),
    ("Impulse", "presenter", "PRESENTER"),
    ("Impulse", "organisation", "ORGANISATION"),
    ("Registration", "name", "PERSON_NAME"),
    ("Registration", "email", "EMAIL"),
    ("Registration", "email_normalized", "EMAIL"),
    ("Registration", "organisation", "ORGANISATION"),
    ("Suggestion", "author_name", "AUTHOR_NAME"),
    ("Organizer", "name", "LOGIN_NAME"),
    ("Organizer", "login_key", "LOGIN_NAME"),
    ("Organizer", "display_name", "DISPLAY_NAME"),
    ("Organizer", "email", "EMAIL"),
    ("LoginThrottle", "login_key", "THROTTLED_LOGIN_KEY_MAX"),
    ("Subscription", "email", "EMAIL"),
    ("Subscription", "email_normalized", "EMAIL"),
    ("Subscription", "name", "AUTHOR_NAME"),
    ("AuditEntry", "actor_name", "LOGIN_NAME"),
    ("Mail", "to_address", "EMAIL"),
    ("Mail", "to_name", "PERSON_NAME"),
    ("Mail", "subject", "MAIL_SUBJECT_MAX"),
]


def _maximum(value: limits.Limit | int) -> int:
    return value.max if isinstance(value, limits.Limit) else value


def _column_length(model: str, column: str) -> int:
    return getattr(models, model).__table__.c[column].type.length


@pytest.mark.parametrize(("model", "column", "limit"), PAIRS)
def test_every_sized_column_is_as_long_as_its_limit(model, column, limit):
    assert _column_length(model, column) == _maximum(getattr(limits, limit))


# Run in a fresh interpreter: every limit grows by 7 before the models are imported.
_SHIFTED = """
import json, sys
from stammtisch import limits
assert "stammtisch.models" not in sys.modules, "limits must not import the models"
for name, value in list(vars(limits).items()):
    if isinstance(value, limits.Limit):
        setattr(limits, name, value._replace(max=value.max + 7))
    elif isinstance(value, int) and name.isupper():
        setattr(limits, name, value + 7)
from stammtisch import models
pairs = json.loads(sys.argv[1])
print(json.dumps([
    [m, c, getattr(models, m).__table__.c[c].type.length,
     getattr(limits, n).max if isinstance(getattr(limits, n), tuple) else getattr(limits, n)]
    for m, c, n in pairs
]))
"""


def test_a_limit_changed_in_limits_py_changes_its_column():
    out = subprocess.run(
        [sys.executable, "-c", _SHIFTED, json.dumps(PAIRS)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    rows = json.loads(out)
    assert [(m, c) for m, c, length, limit in rows if length != limit] == []
    assert all(
        limit == _maximum(getattr(limits, n)) + 7
        for (_, _, n), (*_, limit) in zip(PAIRS, rows, strict=True)
    )


def test_sized_text_columns_not_listed_hold_machine_made_values():
    """A new ``String`` column for typed text needs its pair above (and its limit)."""
    listed = {(m, c) for m, c, _ in PAIRS}
    machine_made = {  # hashes, random keys, codes, states: never typed by a person
        ("SiteSetting", "key"),
        ("Registration", "token_hash"),
        ("Registration", "previous_token_hash"),
        ("Registration", "participant_key"),
        ("SuggestionVote", "voter_key"),
        ("LoginThrottle", "client_key"),
        ("Subscription", "key"),
        ("Subscription", "confirm_token_hash"),
        ("Subscription", "consent_version"),
        ("RateHit", "key"),
        ("Organizer", "password_link_hash"),
        ("Suggestion", "sender_key"),
        ("OrganizerSession", "token_hash"),
        ("OrganizerSession", "handover_hash"),
        ("AuditEntry", "action"),
        ("AuditEntry", "object_type"),
        ("Mail", "kind"),
        ("Mail", "secret"),
        ("Mail", "message_id"),
        ("Mail", "dedupe_key"),
        ("Mail", "list_unsubscribe"),
        ("Mail", "claim_token"),
    }
    sized = set()
    for name, model in vars(models).items():
        table = getattr(model, "__table__", None)
        if table is None or getattr(model, "__module__", "") != models.__name__:
            continue
        for column in table.c:
            length = getattr(column.type, "length", None)
            # Columns 20 wide hold states and codes (see models._state).
            if length is not None and length > 20:
                sized.add((name, column.name))
    assert sized - listed - machine_made == set()


def test_forms_take_their_lengths_from_the_limits():
    """An input that ends up in a column says ``max_chars=limits.X.max``, never a number
    of its own: a limit changed in ``limits.py`` moves the form with the column. (The
    outbox's search box stores nothing.)"""
    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r"max_chars=\d")
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("pages", "ui")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if literal.search(line) and "Empfänger suchen" not in line
    ]
    assert found == []
