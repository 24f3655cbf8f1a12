"""Auswertung: how the series is doing – registrations, attendance, reach, demand."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from stammtisch import analytics
from stammtisch.clock import BERLIN
from stammtisch.formatting import format_day, month_label
from stammtisch.models import RegistrationStatus
from ui import auth, core, layout
from ui.charts import topic_scale
from ui.dashboard_tabs import STATE_COLOURS, TABS
from ui.render import escape_md

SPANS = {"year": "Letzte 12 Monate", "all": "Alle Treffen", "custom": "Eigener Zeitraum"}

actor = auth.require_organizer()
version = core.cache_key()


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _stats(version: str, start: str | None, end: str | None, field: int | None) -> pd.DataFrame:
    filters = analytics.Filters(
        start=datetime.fromisoformat(start) if start else None,
        end=datetime.fromisoformat(end) if end else None,
        topic_field_id=field,
    )
    return core.read(analytics.meeting_stats, filters=filters)


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _inflow(version: str, start: str | None, end: str | None) -> pd.DataFrame:
    return core.read(
        analytics.inflow_per_month,
        start=datetime.fromisoformat(start) if start else None,
        end=datetime.fromisoformat(end) if end else None,
    )


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _held(version: str, start: str | None, end: str | None, field: int | None, minute: str) -> int:
    """How many of the selected meetings have started: what "now" changes on this page."""
    stats = _stats(version, start, end, field)
    return int((stats["starts_at"] <= pd.Timestamp(minute)).sum()) if not stats.empty else 0


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _frames(
    version: str, start: str | None, end: str | None, field: int | None, held: int, _now: str
) -> dict[str, object]:
    """Every table the page shows, shaped once per data version, filter and number of
    meetings held (``_now`` is not part of the key: within one ``held`` it changes nothing).
    """
    stats = _stats(version, start, end, field)
    frames: dict[str, object] = {"stats": stats}
    if stats.empty:
        return frames
    stats = stats.assign(
        Treffen=[
            f"{format_day(t)} {th}"
            for t, th in zip(stats["starts_at"], stats["theme"], strict=True)
        ],
        Termin=stats["starts_at"].dt.strftime("%d.%m.%y"),
        Datum=stats["starts_at"].dt.tz_localize(None),
    )
    now = datetime.fromisoformat(_now)
    frames["stats"] = stats
    frames["key_figures"] = analytics.key_figures(stats, now=now)
    frames["status_long"] = stats.melt(
        id_vars=["Treffen", "Termin", "Datum"],
        value_vars=["confirmed", "waitlisted", "cancelled"],
        var_name="Status",
        value_name="Anmeldungen",
    ).replace({"Status": {s.value: s.label for s in RegistrationStatus}})
    frames["by_field"] = analytics.registrations_by_topic_field(stats).rename(
        columns={
            "topic_field": "Themenfeld",
            "meetings": "Treffen",
            "confirmed": "Bestätigt",
            "waitlisted": "Warteliste",
            "attended_total": "Teilgenommen",
        }
    )
    past = stats[stats["starts_at"] <= pd.Timestamp(now)]
    trend = past[["Treffen", "Datum", "confirmed", "attended_total", "no_show_rate"]].rename(
        columns={
            "confirmed": "angemeldet",
            "attended_total": "teilgenommen",
            "no_show_rate": "No-Show-Quote",
        }
    )
    frames["trend"] = trend
    frames["trend_long"] = trend.melt(
        id_vars=["Treffen", "Datum"],
        value_vars=["angemeldet", "teilgenommen"],
        var_name="Reihe",
        value_name="Personen",
    )
    # People are counted where they could be: at meetings that have taken place.
    novelty = past[["Treffen", "Termin", "new", "returning"]].rename(
        columns={"new": "neu", "returning": "wiederkehrend"}
    )
    frames["novelty"] = novelty
    frames["novelty_long"] = novelty.melt(
        id_vars=["Treffen", "Termin"], var_name="Art", value_name="Personen"
    )
    reach = stats[["Treffen", "Termin", *STATE_COLOURS]]
    frames["reach"] = reach
    frames["reach_long"] = reach.melt(
        id_vars=["Treffen", "Termin"], var_name="Bundesland", value_name="Personen"
    )
    frames["demand"] = stats[stats["capacity"].notna()][
        ["Treffen", "Termin", "demand", "capacity", "waitlisted"]
    ].rename(columns={"demand": "Nachfrage", "capacity": "Plätze", "waitlisted": "Warteliste"})
    inflow = _inflow(version, start, end)
    frames["inflow"] = inflow.assign(month=[month_label(m) for m in inflow["month"]]).rename(
        columns={"month": "Monat", "kind": "Art", "count": "Anzahl"}
    )
    frames["inflow_order"] = [month_label(m) for m in sorted(set(inflow["month"]))]
    return frames


fields = core.topic_fields()  # archived ones too: old meetings keep their field and colour
colour = topic_scale(fields)
labels = core.topic_field_choices(keep=[tf.id for tf in fields])

st.title("Auswertung", anchor=False)
layout.imprint_warning()  # the team's first page: until the imprint is complete
# A year by default: enough for trends, and charts of a large network stay readable
# (one bar per meeting). A series without a meeting in the last year sees everything.
today = core.now().astimezone(BERLIN).date()
year_ago = datetime.combine(today - timedelta(days=365), time.min, BERLIN).isoformat()
# Held meetings count, not planned ones: a series back after a long pause keeps its history.
until_today = datetime.combine(today, time.max, BERLIN).isoformat()
minute = core.now_key()
recent = _held(version, year_ago, until_today, None, minute) > 0
c1, c2 = st.columns([2, 1])
span = c1.selectbox(
    "Zeitraum",
    options=list(SPANS),
    index=0 if recent else 1,
    format_func=SPANS.get,
    key="dash.span",
)
field = c2.selectbox(
    "Themenfeld",
    options=[None, *[tf.id for tf in fields]],
    format_func=lambda i: "alle" if i is None else labels[i],
    key="dash.field",
)
start = end = None
if span == "year":
    # The meetings held in the twelve months before now; planned ones come in "Alle Treffen".
    start, end = year_ago, until_today
    st.caption(
        f"Treffen vom {today - timedelta(days=365):%d.%m.%Y} bis heute; geplante zeigt "
        "„Alle Treffen“."
    )
elif span == "custom":
    period = st.date_input(
        "Von – bis",
        value=(),
        format="DD.MM.YYYY",
        key="dash.period",
    )
    if isinstance(period, tuple) and len(period) == 2:
        start = datetime.combine(period[0], time.min, BERLIN).isoformat()
        end = datetime.combine(period[1], time.max, BERLIN).isoformat()
    else:
        st.caption("Bitte Anfang und Ende des Zeitraums wählen – bis dahin zählen alle Treffen.")

held = _held(version, start, end, field, minute)
frames = _frames(version, start, end, field, held, minute)
stats = frames["stats"]
# Cached chart specs depend on the data, the filters and which meetings have taken place.
charts_version = f"{version}|{start}|{end}|{field}|{held}"
if stats.empty:
    st.info(
        "Für diese Auswahl gibt es noch keine Treffen. Sobald Treffen stattgefunden haben, "
        "erscheinen hier Anmeldungen, Teilnahme und Reichweite.",
        icon=":material/insights:",
    )
    st.stop()

latest, figures = frames["key_figures"]
if latest is None:
    st.info("Noch hat keines der ausgewählten Treffen stattgefunden.", icon=":material/schedule:")
else:
    st.header(
        f"Letztes Treffen: {format_day(latest['starts_at'])} – {escape_md(latest['theme'])}",
        anchor=False,
    )
    columns = [*st.columns(3), *st.columns(3)[:2]]
    for col, fig in zip(columns, figures, strict=True):
        if fig.kind == "share":
            value = "–" if fig.value is None else f"{fig.value:.0%}"
            delta = None if fig.delta is None else f"{fig.delta * 100:+.0f} %-Punkte"
        else:
            value = "–" if fig.value is None else f"{fig.value:.0f}"
            delta = None if fig.delta is None else f"{fig.delta:+.0f}"
        col.metric(
            fig.label,
            value,
            delta=delta,
            delta_color="inverse" if fig.label == "No-Show-Quote" else "normal",
            help="Veränderung gegenüber dem Treffen davor",
        )


for tab, draw in zip(
    st.tabs(list(TABS), key="dash.tab", on_change="rerun"), TABS.values(), strict=True
):
    if tab.open:
        with tab:
            draw(frames, charts_version, colour)
