"""Date proposals for series and drafts: the usual rhythm, no public holidays."""

from __future__ import annotations

from datetime import date

from stammtisch.date_proposals import propose_series


def test_weltkindertag_moves_a_date_because_of_thuringia():
    drafts = propose_series(first_day=date(2027, 9, 6), every_weeks=2, count=2)
    assert drafts[1].day == date(2027, 9, 27) and "Thüringen" in drafts[1].note
