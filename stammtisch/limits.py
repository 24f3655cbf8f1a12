"""How long each text field may be: declared once, used by the column and the checker.

``models`` sizes its ``String`` columns from these and every validator passes the same
:class:`Limit` to :meth:`~stammtisch.validation.FieldChecker.text`, so a form can never
accept what the database would refuse (or the other way round). Long free texts are
``Text`` columns; their limit lives only here. ``tests/domain/test_limits.py`` pairs
every sized column with its limit here. This module imports nothing of the domain (the
models import it, not the other way round).
"""

from __future__ import annotations

from typing import NamedTuple


class Limit(NamedTuple):
    min: int
    max: int
    multiline: bool = False


# People
PERSON_NAME = Limit(2, 120)
PRESENTER = Limit(1, PERSON_NAME.max)
AUTHOR_NAME = Limit(0, PERSON_NAME.max)
ORGANISATION = Limit(0, 200)
EMAIL = Limit(0, 320)  # the column; an address itself is at most 254 characters (RFC 5321)
EMAIL_ADDRESS_MAX = 254

# Meetings and impulses
THEME = Limit(3, 200)
MEETING_DESCRIPTION = Limit(0, 5000, multiline=True)
DOCUMENTATION_TEXT = Limit(0, 20_000, multiline=True)
URL_MAX = 2000
IMPULSE_TITLE = Limit(3, 200)
IMPULSE_DESCRIPTION = Limit(0, 2000, multiline=True)

# Visitors' contributions
OFFER_TITLE = Limit(5, IMPULSE_TITLE.max)
OFFER_DESCRIPTION = Limit(20, IMPULSE_DESCRIPTION.max, multiline=True)
INTERNAL_NOTE = Limit(0, 5000, multiline=True)
PERSONAL_MESSAGE = Limit(0, 3000, multiline=True)  # from the team to a person, by mail
MESSAGE_SUBJECT = Limit(3, 150)  # the team writes to a meeting's registrants
MESSAGE_TEXT = Limit(10, 5000, multiline=True)
SUGGESTION_TEXT = Limit(10, 1000, multiline=True)

# Topic fields and accounts
TOPIC_NAME = Limit(3, 120)
TOPIC_SLUG_MAX = 80
TOPIC_DESCRIPTION = Limit(0, 2000, multiline=True)
LOGIN_NAME = Limit(2, 60)  # also the column of its case-folded key (checked at creation)
DISPLAY_NAME = Limit(0, 120)

# Values the code cuts to size rather than refuses (no form field of their own)
THROTTLED_LOGIN_KEY_MAX = 120  # whatever name a login attempt types, as the throttle counts it
MAIL_SUBJECT_MAX = 300  # the outbox's subject: prefix plus a theme or a team message subject
