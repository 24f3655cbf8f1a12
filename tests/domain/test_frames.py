"""Frames from query rows keep their column types for empty, NULL-only and mixed rows."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from stammtisch.frames import ANY, COUNT, ID, NUMBER, from_rows

COLUMNS = {"id": ID, "n": COUNT, "avg": NUMBER, "name": ANY}


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [(None, 1, None, "x")],
        [(None, 1, Decimal("1.5"), "x"), (2, 3, 2.0, None)],
        [(1, 2, 3, "y")],
    ],
)
def test_the_types_do_not_depend_on_the_rows(rows):
    frame = from_rows(rows, COLUMNS)
    assert list(frame.columns) == list(COLUMNS)
    assert (frame["id"].dtype, frame["n"].dtype, frame["avg"].dtype) == (
        "Int64",
        "int64",
        "float64",
    )
    # And such an id merges with real integer ids, as the planning does.
    ids = pd.DataFrame({"id": [1, 2]})
    assert len(ids.merge(frame, on="id", how="left")) >= 2
