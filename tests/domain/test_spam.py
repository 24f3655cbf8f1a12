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


HONEYPOT_MESSAGE = (
    "Ihre Nachricht wurde nicht gesendet, weil ein verstecktes Feld ausgefüllt war, das nur "
    "Programme sehen. Falls Sie ein Mensch sind: Bitte laden Sie die Seite neu."
)


def test_honeypot_message_in_full_and_blank_honeypot_passes(now):
    with pytest.raises(ValidationError) as err:
        spam.check_submission(honeypot=" x ", recent=[], now=now)
    assert err.value.errors == {FORM: HONEYPOT_MESSAGE}
    spam.check_submission(honeypot="  \n", recent=[], now=now)


@pytest.mark.parametrize(
    ("oldest", "counted"),
    [
        (timedelta(minutes=10), False),  # exactly the window ago: forgotten
        (timedelta(minutes=10) - timedelta(seconds=1), True),
    ],
)
def test_the_window_ends_exactly_after_ten_minutes(now, oldest, counted):
    recent = [now - oldest, now - timedelta(minutes=5), now - timedelta(minutes=1)]
    if counted:
        with pytest.raises(ValidationError):
            spam.check_submission(honeypot="", recent=recent, now=now)
    else:
        spam.check_submission(honeypot="", recent=recent, now=now)
    assert spam.remember(recent, now) == [*recent[int(not counted) :], now]


@pytest.mark.parametrize(
    ("oldest", "minutes"),
    [
        (timedelta(seconds=0), 10),  # all three just now: the full window
        (timedelta(minutes=1), 9),  # exactly nine minutes to wait
        (timedelta(minutes=7, seconds=30), 3),  # two and a half: rounded up
        (timedelta(minutes=8), 2),
        (timedelta(minutes=9, seconds=59), 1),  # one second left: still "einer Minute"
    ],
)
def test_the_wait_is_given_in_whole_minutes_rounded_up(now, oldest, minutes):
    recent = [now - oldest, now, now]
    with pytest.raises(ValidationError) as err:
        spam.check_submission(honeypot=None, recent=recent, now=now)
    assert err.value.errors == {
        FORM: "Sie haben gerade schon 3 Beiträge gesendet. Damit die Themensammlung nicht mit "
        "Werbung überflutet wird, geht der nächste in "
        + ("einer Minute" if minutes == 1 else f"{minutes} Minuten")
        + " wieder."
    }
