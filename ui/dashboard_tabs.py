"""The dashboard's four tabs of charts (``pages/orga_dashboard.py`` picks the open one).

Each tab gets the page's cached frames, the version its chart specs are cached under and
the topic fields' colour scale; every chart comes with its table and CSV (``ui.charts``).
"""

from __future__ import annotations

import altair as alt

from stammtisch import chart_texts
from stammtisch.analytics import STATE_COLUMNS, UNKNOWN_STATE
from ui.charts import BAR_OUTLINE, STATUS_COLOURS, block, series

# Okabe-Ito colours per federal state, in the order of FederalState, then "keine Angabe".
STATE_COLOURS = dict(
    zip(
        [*STATE_COLUMNS.values(), UNKNOWN_STATE],
        ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#BBBBBB"],
        strict=True,
    )
)


def registrations_tab(frames: dict, charts_version: str, colour: alt.Scale) -> None:
    """Registrations per meeting and topic field, demand against places."""
    status_long = frames["status_long"]
    block(
        "Anmeldungen je Treffen",
        lambda: (
            alt.Chart(status_long)
            .mark_bar(**BAR_OUTLINE)
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y=alt.Y("Anmeldungen:Q"),
                **series("Status:N", STATUS_COLOURS),
                tooltip=["Treffen", "Status", "Anmeldungen"],
            )
        ),
        status_long,
        key="anmeldungen-je-treffen",
        version=charts_version,
        summary=chart_texts.registrations_per_meeting(status_long),
        level=2,
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
        summary=chart_texts.registrations_per_topic_field(by_field),
        level=2,
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
        summary=chart_texts.demand_and_places(demand),
        level=2,
        caption=(
            "Balken: bestätigt + Warteliste; Strich: Zahl der Plätze. Nur Treffen mit Platzgrenze."
        ),
    )


def attendance_tab(frames: dict, charts_version: str, colour: alt.Scale) -> None:
    """Who came: attendance and no-shows over time, new and returning people."""
    trend, trend_long = frames["trend"], frames["trend_long"]
    no_show = trend.dropna(subset=["No-Show-Quote"])

    def attendance_and_no_shows():
        # One time axis for both: the no-show rate sits right under its meetings.
        x = alt.X("Datum:T", title=None, axis=alt.Axis(format="%b %Y"))
        people = (
            alt.Chart(trend_long, title="Angemeldet und teilgenommen")
            .mark_line(point=True)
            .encode(
                x=x,
                y=alt.Y("Personen:Q"),
                **series(
                    "Reihe:N", {"angemeldet": "#0072B2", "teilgenommen": "#009E73"}, points=True
                ),
                tooltip=["Treffen", "Reihe", "Personen"],
            )
            .properties(width="container", height=220)
        )
        if no_show.empty:
            return people
        rate = (
            alt.Chart(no_show, title="No-Show-Quote")
            .mark_line(point=alt.OverlayMarkDef(color="#D55E00"), color="#D55E00")
            .encode(
                x=x,
                y=alt.Y("No-Show-Quote:Q", axis=alt.Axis(format="%"), title="Anteil"),
                tooltip=["Treffen", alt.Tooltip("No-Show-Quote:Q", format=".0%")],
            )
            .properties(width="container", height=140)
        )
        return alt.vconcat(people, rate).resolve_scale(x="shared")

    block(
        "Teilnahme im Verlauf",
        attendance_and_no_shows,
        trend,
        key="teilnahme-verlauf",
        version=charts_version,
        summary=chart_texts.attendance_trend(trend),
        level=2,
        caption="Oben: bestätigte Anmeldungen und Teilnahme je Treffen. Unten: No-Show-Quote – "
        "bestätigt, aber nicht dabei (wo die Teilnahme erfasst ist).",
        min_rows=2,
    )

    novelty, novelty_long = frames["novelty"], frames["novelty_long"]
    block(
        "Neue und wiederkehrende Teilnehmende",
        lambda: (
            alt.Chart(novelty_long)
            .mark_bar(**BAR_OUTLINE)
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y="Personen:Q",
                **series("Art:N", {"neu": "#E69F00", "wiederkehrend": "#0072B2"}),
                tooltip=["Treffen", "Art", "Personen"],
            )
        ),
        novelty,
        key="neu-wiederkehrend",
        version=charts_version,
        summary=chart_texts.new_and_returning(novelty),
        level=2,
        caption="Gezählt über eine pseudonyme Kennung – stimmt auch nach der Anonymisierung.",
    )


def reach_tab(frames: dict, charts_version: str, colour: alt.Scale) -> None:
    """Where people come from."""
    reach, reach_long = frames["reach"], frames["reach_long"]
    block(
        "Reichweite in den drei Ländern",
        lambda: (
            alt.Chart(reach_long)
            .mark_bar(**BAR_OUTLINE)
            .encode(
                x=alt.X("Termin:N", sort=None, title=None),
                y=alt.Y("Personen:Q", stack="normalize", axis=alt.Axis(format="%"), title="Anteil"),
                **series("Bundesland:N", STATE_COLOURS),
                tooltip=["Treffen", "Bundesland", "Personen"],
            )
        ),
        reach,
        key="reichweite",
        version=charts_version,
        summary=chart_texts.reach(reach, list(STATE_COLOURS)),
        level=2,
        caption="Bestätigte Anmeldungen nach Bundesland (freiwillige Angabe).",
    )


def inflow_tab(frames: dict, charts_version: str, colour: alt.Scale) -> None:
    """Suggestions and impulse offers per month."""
    inflow = frames["inflow"]
    block(
        "Eingänge je Monat",
        lambda: (
            alt.Chart(inflow)
            .mark_bar(**BAR_OUTLINE)
            .encode(
                x=alt.X("Monat:O", title=None, sort=frames["inflow_order"]),
                y="Anzahl:Q",
                **series("Art:N", {"Vorschläge": "#009E73", "Impuls-Angebote": "#CC79A7"}),
                xOffset="Art:N",
                tooltip=["Monat", "Art", "Anzahl"],
            )
        ),
        inflow,
        key="eingaenge",
        version=charts_version,
        summary=chart_texts.inflow_per_month(inflow, frames["inflow_order"]),
        level=2,
    )


# Charts draw in the browser, so only the chosen tab's charts are built and sent.
TABS = {
    "Anmeldungen": registrations_tab,
    "Teilnahme": attendance_tab,
    "Reichweite": reach_tab,
    "Eingänge": inflow_tab,
}
