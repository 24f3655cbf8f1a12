"""Honeypot and rate limit for the public forms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stammtisch import spam
from stammtisch.errors import FORM, ValidationError


def test_clean_send_passes(now):
    spam.check_submission(honeypot="", recent=[], now=now)
    spam.check_submission(honeypot=None, recent=[now - timedelta(minutes=1)] * 2, now=now)


def test_filled_honeypot_is_refused_with_reason(now):
    with pytest.raises(ValidationError) as err:
        spam.check_submission(honeypot="http://spam.example", recent=[], now=now)
    assert "verstecktes Feld" in err.value.errors[FORM]


def test_rate_limit_per_session_explains_the_wait(now):
    recent = [now - timedelta(minutes=m) for m in (9, 5, 1)]
    with pytest.raises(ValidationError) as err:
        spam.check_submission(honeypot="", recent=recent, now=now)
    message = err.value.errors[FORM]
    assert "3 Beiträge" in message and "in einer Minute wieder" in message
    assert "(n)" not in message
    recent = [now - timedelta(minutes=m) for m in (2, 1, 0)]
    with pytest.raises(ValidationError) as err:
        spam.check_submission(honeypot="", recent=recent, now=now)
    assert "in 8 Minuten wieder" in err.value.errors[FORM]


def test_old_sends_are_forgotten(now):
    recent = [now - timedelta(minutes=m) for m in (30, 20, 11)]
    spam.check_submission(honeypot="", recent=recent, now=now)
    assert spam.remember(recent, now) == [now]
