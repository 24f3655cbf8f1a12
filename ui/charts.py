"""Chart helpers: one colour per topic field everywhere, numbers and CSV under each chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from stammtisch import exports
from stammtisch.models import RegistrationStatus
from stammtisch.topics import COLOUR_SLOTS, TopicFieldView
from ui.render import escape_md, lazy_expander

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
assert len(PALETTE) == COLOUR_SLOTS  # one colour per slot stammtisch.topics hands out
STATUS_COLOURS = {
    RegistrationStatus.CONFIRMED.label: "#0072B2",
    RegistrationStatus.WAITLISTED.label: "#E69F00",
    RegistrationStatus.CANCELLED.label: "#999999",
}


# German month and day names and number format on the axes ("Juli 2022", "1.000").
GERMAN_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " €"]},
    "time": {
        "dateTime": "%A, der %e. %B %Y, %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "months": [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        "shortMonths": [
            "Jan",
            "Feb",
            "Mär",
            "Apr",
            "Mai",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Okt",
            "Nov",
            "Dez",
        ],
    },
}


def topic_colour(field: TopicFieldView) -> str:
    """A topic field's own colour: given once when the field was created, so neither a
    new name nor a new place in the order changes it."""
    return PALETTE[field.colour_slot % len(PALETTE)]


def topic_scale(fields: Sequence[TopicFieldView]) -> alt.Scale:
    """Each topic field's colour, the same in every chart (legends show the current name)."""
    return alt.Scale(domain=[tf.name for tf in fields], range=[topic_colour(tf) for tf in fields])


def fixed_scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


# Line and border patterns: a second cue besides the colour (WCAG 1.4.1), solid first.
DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 4])
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross")
# The border that carries the pattern on bars.
BAR_OUTLINE = {"stroke": "#222222", "strokeWidth": 1.5}


def series(field: str, colours: dict[str, str], *, points: bool = False) -> dict:
    """Encodings for a series told apart by colour *and* by a pattern (the bars' border or
    the line, and the points' shape for ``points``), in one legend that shows both."""
    name = field.split(":", 1)[0]
    domain = list(colours)
    encodings = {
        "color": alt.Color(field, scale=fixed_scale(colours), title=name),
        "strokeDash": alt.StrokeDash(
            field, scale=alt.Scale(domain=domain, range=list(DASHES[: len(domain)])), title=name
        ),
    }
    if points:
        encodings["shape"] = alt.Shape(
            field, scale=alt.Scale(domain=domain, range=list(SHAPES[: len(domain)])), title=name
        )
    return encodings


@st.cache_data(ttl=3600, max_entries=300, show_spinner=False)
def _spec(key: str, version: str, _build: Callable[[], alt.TopLevelMixin]):
    """The finished Vega-Lite spec of a chart, data inlined.

    Building an Altair chart validates every channel against the schema, which costs far
    more than the query behind it; the spec only changes when the data does. ``version``
    must name everything the chart depends on: the data version and the page's filters.
    """
    spec = _build().to_dict()
    spec.setdefault("config", {})["locale"] = GERMAN_LOCALE
    # Streamlit turns inline datasets into Arrow on every run unless they already are;
    # converting once here keeps a warm dashboard run cheap.
    spec["datasets"] = {
        name: values if isinstance(values, bytes) else convert_anything_to_arrow_bytes(values)
        for name, values in spec.get("datasets", {}).items()
    }
    return spec


def chart(
    key: str, build: Callable[[], alt.TopLevelMixin], version: str, *, summary: str = ""
) -> None:
    """Render the chart ``build`` makes, cached as a spec per ``key`` and ``version``.

    ``summary`` (one sentence from ``stammtisch.chart_texts``) stands right above the chart
    as its text alternative and is also the chart's accessible name (Vega-Lite's
    ``description`` becomes the ``aria-label`` of the drawing).
    """
    spec = _spec(key, version, build)
    if summary:
        st.markdown(f"**In Worten:** {escape_md(summary)}")
        spec = {**spec, "description": summary}
    st.vega_lite_chart(spec=spec, width="stretch")


def block(
    title: str,
    build: Callable[[], alt.TopLevelMixin] | None,
    table: pd.DataFrame,
    *,
    key: str,
    version: str,
    caption: str | None = None,
    min_rows: int = 1,
    summary: str = "",
    level: int = 3,
) -> None:
    """A chart with its numbers as a table and a CSV download; a note when data is thin.

    ``summary``: the chart in one sentence (see :func:`chart`); ``level``: 2 or 3, the
    heading level that fits the page's outline (no level skipped).
    """
    (st.header if level == 2 else st.subheader)(title, anchor=False)
    if caption:
        st.caption(caption)
    if table.empty or len(table) < min_rows:
        st.info(
            "Dafür gibt es in dieser Auswahl noch zu wenige Daten.", icon=":material/bar_chart:"
        )
        return
    if build is not None:
        chart(key, build, version, summary=summary)
    numbers = lazy_expander("Zahlen als Tabelle", f"table.{key}.open")
    if numbers is None:
        return  # table and CSV are built only for someone who opens them
    with numbers:
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button(
            "CSV herunterladen",
            # The same formula-safe CSV as every export (themes are text people typed).
            data=exports.to_csv(table),
            file_name=f"{key}.csv",
            mime=exports.CSV_MIME,
            key=f"csv.{key}",
            on_click="ignore",
            icon=":material/download:",
        )


# Distinct, colour-blind-safe steps from "none" to "many" (a continuous scale made every
# cell with one meeting look the same as the scale's single value), and orange for a
# quarter with meetings only planned so far.
HEAT_STEPS = {"0": "#f2f2f2", "1": "#9ecae1", "2": "#4292c6", "3+": "#08306b", "geplant": "#E69F00"}


def _step(held: int, planned: int) -> str:
    if held == 0 and planned:
        return "geplant"
    return "3+" if held >= 3 else str(held)


def heat_chart(heat: pd.DataFrame, fields: Sequence[str]) -> alt.LayerChart:
    """Topic field × quarter: a cell per pair, shaded by meetings held, orange where the
    quarter only has planned meetings; each cell also says it in text ("1", "1+g", "g"),
    so nothing depends on colour alone."""
    shade = heat.assign(
        Stufe=[_step(h, p) for h, p in zip(heat["held"], heat["planned"], strict=True)],
        Text=[
            (str(h) if h else "") + ("+g" if h and p else "g" if p else "")
            for h, p in zip(heat["held"], heat["planned"], strict=True)
        ],
    )
    base = alt.Chart(shade).encode(
        x=alt.X("quarter:O", title=None, sort=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("topic_field:N", sort=list(fields), title=None, axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "Stufe:N",
            scale=alt.Scale(domain=list(HEAT_STEPS), range=list(HEAT_STEPS.values())),
            title="Treffen",
        ),
        tooltip=[
            alt.Tooltip("topic_field:N", title="Themenfeld"),
            alt.Tooltip("quarter:O", title="Quartal"),
            alt.Tooltip("held:Q", title="stattgefunden"),
            alt.Tooltip("planned:Q", title="geplant"),
        ],
    )
    labels = base.mark_text(fontSize=10).encode(
        text="Text:N",
        color=alt.condition(
            alt.FieldOneOfPredicate(field="Stufe", oneOf=["2", "3+"]),
            alt.value("white"),
            alt.value("#222"),
        ),
    )
    return alt.layer(cells, labels)
