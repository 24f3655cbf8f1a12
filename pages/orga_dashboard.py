"""Auswertung: how the series is doing – registrations, attendance, reach, demand."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from stammtisch import analytics
from stammtisch.clock import BERLIN
from stammtisch.formatting import format_day
from ui import auth, core
from ui.charts import STATUS_COLOURS, block, chart, fixed_scale, topic_scale

STATE_COLOURS = {
    "Sachsen": "#0072B2",
    "Sachsen-Anhalt": "#E69F00",
    "Thüringen": "#009E73",
    "anderes Bundesland": "#CC79A7",
    "keine Angabe": "#BBBBBB",
}

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
    ).replace(
        {"Status": {"confirmed": "bestätigt", "waitlisted": "Warteliste", "cancelled": "storniert"}}
    )
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
    novelty = stats[["Treffen", "Termin", "new", "returning"]].rename(
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
    frames["inflow"] = _inflow(version, start, end).rename(
        columns={"month": "Monat", "kind": "Art", "count": "Anzahl"}
    )
    return frames


fields = core.topic_fields()
field_names = [tf.name for tf in fields]
colour = topic_scale(field_names)

st.title("Auswertung")
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
    format_func=lambda i: "alle" if i is None else next(tf.name for tf in fields if tf.id == i),
    key="dash.field",
)
start = end = None
if span == "year":
    start = year_ago
    st.caption(f"Treffen ab {today - timedelta(days=365):%d.%m.%Y}, geplante eingeschlossen.")
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
    st.subheader(
        f"Letztes Treffen: {format_day(latest['starts_at'])} – {latest['theme']}", anchor=False
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


def _registrations_tab() -> None:
    """Registrations per meeting and topic field, demand against places."""
    status_long = frames["status_long"]
    block(
        "Anmeldungen je Treffen",
        lambda: (
            alt.Chart(status_long)
            .mark_bar()
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y=alt.Y("Anmeldungen:Q"),
                color=alt.Color("Status:N", scale=fixed_scale(STATUS_COLOURS)),
                tooltip=["Treffen", "Status", "Anmeldungen"],
            )
        ),
        status_long,
        key="anmeldungen-je-treffen",
        version=charts_version,
    )

    by_field = frames["by_field"]
    block(
        "Anmeldungen je Themenfeld",
        lambda: (
            alt.Chart(by_field)
            .mark_bar()
            .encode(
                y=alt.Y("Themenfeld:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
                x=alt.X("Bestätigt:Q", title="bestätigte Anmeldungen"),
                color=alt.Color("Themenfeld:N", scale=colour, legend=None),
                tooltip=list(by_field.columns),
            )
        ),
        by_field,
        key="anmeldungen-je-themenfeld",
        version=charts_version,
    )

    demand = frames["demand"]
    block(
        "Nachfrage und Plätze",
        lambda: alt.layer(
            alt.Chart(demand)
            .mark_bar(color="#56B4E9")
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y=alt.Y("Nachfrage:Q", title="Personen"),
                tooltip=["Treffen", "Nachfrage", "Plätze", "Warteliste"],
            ),
            alt.Chart(demand)
            .mark_tick(color="#D55E00", thickness=3, size=30)
            .encode(x=alt.X("Termin:N", sort=None), y="Plätze:Q"),
        ),
        demand,
        key="nachfrage-plaetze",
        version=charts_version,
        caption=(
            "Balken: bestätigt + Warteliste; Strich: Zahl der Plätze. Nur Treffen mit Platzgrenze."
        ),
    )


def _attendance_tab() -> None:
    """Who came: attendance and no-shows over time, new and returning people."""
    trend, trend_long = frames["trend"], frames["trend_long"]
    block(
        "Teilnahme im Verlauf",
        lambda: alt.layer(
            alt.Chart(trend_long)
            .mark_line(point=True)
            .encode(
                x=alt.X("Datum:T", title=None),
                y=alt.Y("Personen:Q"),
                color=alt.Color(
                    "Reihe:N",
                    scale=fixed_scale({"angemeldet": "#0072B2", "teilgenommen": "#009E73"}),
                ),
                tooltip=["Treffen", "Reihe", "Personen"],
            ),
        ),
        trend,
        key="teilnahme-verlauf",
        version=charts_version,
        caption="No-Show-Quote: bestätigt, aber nicht dabei (wo die Teilnahme erfasst ist).",
        min_rows=2,
    )
    if len(trend) >= 2 and trend["No-Show-Quote"].notna().any():
        no_show = trend.dropna(subset=["No-Show-Quote"])
        chart(
            "no-show",
            lambda: (
                alt.Chart(no_show)
                .mark_line(point=alt.OverlayMarkDef(color="#D55E00"), color="#D55E00")
                .encode(
                    x=alt.X("Datum:T", title=None),
                    y=alt.Y("No-Show-Quote:Q", axis=alt.Axis(format="%"), title="No-Show-Quote"),
                    tooltip=["Treffen", alt.Tooltip("No-Show-Quote:Q", format=".0%")],
                )
                .properties(height=160)
            ),
            charts_version,
        )

    novelty, novelty_long = frames["novelty"], frames["novelty_long"]
    block(
        "Neue und wiederkehrende Teilnehmende",
        lambda: (
            alt.Chart(novelty_long)
            .mark_bar()
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y="Personen:Q",
                color=alt.Color(
                    "Art:N", scale=fixed_scale({"neu": "#E69F00", "wiederkehrend": "#0072B2"})
                ),
                tooltip=["Treffen", "Art", "Personen"],
            )
        ),
        novelty,
        key="neu-wiederkehrend",
        version=charts_version,
        caption="Gezählt über eine pseudonyme Kennung – stimmt auch nach der Anonymisierung.",
    )


def _reach_tab() -> None:
    """Where people come from."""
    reach, reach_long = frames["reach"], frames["reach_long"]
    block(
        "Reichweite in den drei Ländern",
        lambda: (
            alt.Chart(reach_long)
            .mark_bar()
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y=alt.Y("Personen:Q", stack="normalize", axis=alt.Axis(format="%"), title="Anteil"),
                color=alt.Color("Bundesland:N", scale=fixed_scale(STATE_COLOURS)),
                tooltip=["Treffen", "Bundesland", "Personen"],
            )
        ),
        reach,
        key="reichweite",
        version=charts_version,
        caption="Bestätigte Anmeldungen nach Bundesland (freiwillige Angabe).",
    )


def _inflow_tab() -> None:
    """Suggestions and impulse offers per month."""
    inflow = frames["inflow"]
    block(
        "Eingänge je Monat",
        lambda: (
            alt.Chart(inflow)
            .mark_bar()
            .encode(
                x=alt.X("Monat:O", title=None),
                y="Anzahl:Q",
                color=alt.Color(
                    "Art:N",
                    scale=fixed_scale({"Vorschläge": "#009E73", "Impuls-Angebote": "#CC79A7"}),
                ),
                xOffset="Art:N",
                tooltip=["Monat", "Art", "Anzahl"],
            )
        ),
        inflow,
        key="eingaenge",
        version=charts_version,
    )


# Charts draw in the browser, so only the chosen tab's charts are built and sent.
TABS = {
    "Anmeldungen": _registrations_tab,
    "Teilnahme": _attendance_tab,
    "Reichweite": _reach_tab,
    "Eingänge": _inflow_tab,
}
for tab, draw in zip(
    st.tabs(list(TABS), key="dash.tab", on_change="rerun"), TABS.values(), strict=True
):
    if tab.open:
        with tab:
            draw()
