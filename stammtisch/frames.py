"""DataFrames from query rows with fixed column types, whatever the rows hold.

``pd.DataFrame(rows)`` infers each column's type from the values: integer ids become
``int64``, but the same column is ``object`` when the result is empty or holds only
NULLs (a visitor's offer with the topic field "weiß nicht"), and ``float64`` when it
mixes ids and NULLs. Merging such a column with real ids then fails or changes types.
Every aggregate the dashboard and the planning merge is built here instead, with the
type its column must have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

ID = "Int64"  # an id that may be NULL (pandas' nullable integer)
COUNT = "int64"  # a count: never NULL (SQL coalesces it)
NUMBER = "float64"  # an average or share; NULL becomes NaN (PostgreSQL sends Decimal)
ANY = None  # left as the driver returns it (text, timestamps)


def from_rows(rows: Iterable, columns: Mapping[str, str | None]) -> pd.DataFrame:
    """A frame of ``rows`` with ``columns`` (name → one of the types above), typed the same
    for no rows, only NULLs or a mix."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    return frame.astype({name: kind for name, kind in columns.items() if kind is not None})


__all__ = ["ANY", "COUNT", "ID", "NUMBER", "from_rows"]
