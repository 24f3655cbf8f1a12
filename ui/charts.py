"""Chart helpers: one colour per topic field everywhere, numbers and CSV under each chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STATUS_COLOURS = {"bestätigt": "#0072B2", "Warteliste": "#E69F00", "storniert": "#999999"}


def topic_scale(names: Sequence[str]) -> alt.Scale:
    """The fixed colour of each topic field (by its order), the same in every chart."""
    return alt.Scale(
        domain=list(names), range=[PALETTE[i % len(PALETTE)] for i in range(len(names))]
    )


def fixed_scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


@st.cache_data(ttl=3600, max_entries=300, show_spinner=False)
def _spec(key: str, version: str, _build: Callable[[], alt.TopLevelMixin]):
    """The finished Vega-Lite spec of a chart, data inlined.

    Building an Altair chart validates every channel against the schema, which costs far
    more than the query behind it; the spec only changes when the data does. ``version``
    must name everything the chart depends on: the data version and the page's filters.
    """
    return _build().to_dict()


def chart(key: str, build: Callable[[], alt.TopLevelMixin], version: str) -> None:
    """Render the chart ``build`` makes, cached as a spec per ``key`` and ``version``."""
    st.vega_lite_chart(spec=_spec(key, version, build), width="stretch")


def block(
    title: str,
    build: Callable[[], alt.TopLevelMixin] | None,
    table: pd.DataFrame,
    *,
    key: str,
    version: str,
    caption: str | None = None,
    min_rows: int = 1,
) -> None:
    """A chart with its numbers as a table and a CSV download; a note when data is thin."""
    st.subheader(title, anchor=False)
    if caption:
        st.caption(caption)
    if table.empty or len(table) < min_rows:
        st.info(
            "Dafür gibt es in dieser Auswahl noch zu wenige Daten.", icon=":material/bar_chart:"
        )
        return
    if build is not None:
        chart(key, build, version)
    with st.expander("Zahlen als Tabelle"):
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button(
            "CSV herunterladen",
            data=table.to_csv(index=False, sep=";").encode("utf-8-sig"),
            file_name=f"{key}.csv",
            mime="text/csv",
            key=f"csv.{key}",
            on_click="ignore",
            icon=":material/download:",
        )
