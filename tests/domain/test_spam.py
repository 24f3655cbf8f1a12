"""The honeypot of the public forms."""

from __future__ import annotations

import pytest

from stammtisch import spam
from stammtisch.errors import FORM, ValidationError


@pytest.mark.parametrize("value", [None, "", "  \n"])
def test_blank_honeypot_passes(value):
    spam.check_honeypot(value)


@pytest.mark.parametrize("value", ["http://spam.example", " x "])
def test_filled_honeypot_is_refused_with_the_whole_reason(value):
    with pytest.raises(ValidationError) as err:
        spam.check_honeypot(value)
    assert err.value.errors == {FORM: spam.HONEYPOT_MESSAGE}
    assert "verstecktes Feld" in spam.HONEYPOT_MESSAGE
