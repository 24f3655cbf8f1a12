"""One German sentence per chart, computed from the chart's own table (WCAG 1.1.1).

Every chart on the dashboard and the planning page shows this sentence next to it, so
whoever cannot see the chart (a screen reader, a colour vision deficiency, a small
screen) learns what it shows without opening the table. Each function takes the table
the page hands to its chart (German column names, one row per meeting or cell) and
returns an empty string when there is nothing to say.
"""

from __future__ import annotations

import math

import pandas as pd

from stammtisch.formatting import format_count
from stammtisch.models import RegistrationStatus


def _n(value: float) -> str:
    return format_count(round(value))


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


def _people(count: float, one: str = "Person", many: str = "Personen") -> str:
    return f"{_n(count)} {one if round(count) == 1 else many}"


def registrations_per_meeting(status_long: pd.DataFrame) -> str:
    """Columns Treffen, Status, Anmeldungen (long: one row per meeting and status)."""
    confirmed = status_long[status_long["Status"] == RegistrationStatus.CONFIRMED.label]
    if confirmed.empty:
        confirmed = status_long
    per_meeting = confirmed.groupby("Treffen", sort=False)["Anmeldungen"].sum()
    if per_meeting.empty:
        return ""
    top = per_meeting.idxmax()
    return (
        f"{_n(len(per_meeting))} Treffen mit im Schnitt {_n(per_meeting.mean())} bestätigten "
        f"Anmeldungen; die meisten hatte {top} mit {_n(per_meeting.max())}."
    )


def registrations_per_topic_field(by_field: pd.DataFrame) -> str:
    """Columns Themenfeld, Bestätigt (one row per topic field)."""
    if by_field.empty:
        return ""
    ordered = by_field.sort_values("Bestätigt", ascending=False)
    first = ordered.iloc[0]
    text = (
        f"Die meisten bestätigten Anmeldungen hat {first['Themenfeld']} ({_n(first['Bestätigt'])})"
    )
    if len(ordered) > 1:
        last = ordered.iloc[-1]
        text += f", die wenigsten {last['Themenfeld']} ({_n(last['Bestätigt'])})"
    return text + "."


def demand_and_places(demand: pd.DataFrame) -> str:
    """Columns Treffen, Nachfrage, Plätze (meetings with a limit only)."""
    if demand.empty:
        return ""
    over = demand[demand["Nachfrage"] > demand["Plätze"]]
    text = (
        f"Bei {_n(len(over))} von {_n(len(demand))} Treffen mit Platzgrenze war die Nachfrage "
        "größer als die Zahl der Plätze"
    )
    if over.empty:
        return text + "."
    worst = over.loc[(over["Nachfrage"] - over["Plätze"]).idxmax()]
    return (
        text + f"; am deutlichsten bei {worst['Treffen']} ({_people(worst['Nachfrage'])} "
        f"für {_n(worst['Plätze'])} Plätze)."
    )


def attendance_trend(trend: pd.DataFrame) -> str:
    """Columns Treffen, angemeldet, teilgenommen, No-Show-Quote (held meetings, by date)."""
    if trend.empty:
        return ""
    last = trend.iloc[-1]
    registered = _people(last["angemeldet"], "bestätigte Anmeldung", "bestätigte Anmeldungen")
    attended = (
        "keine erfasste Teilnahme"
        if pd.isna(last["teilgenommen"])
        else f"{_n(last['teilgenommen'])} Teilnehmende"
    )
    text = f"Zuletzt ({last['Treffen']}) {registered} und {attended}"
    rates = trend["No-Show-Quote"].dropna()
    if rates.empty:
        return text + "."
    return (
        text + f"; die No-Show-Quote lag im Mittel bei {_percent(rates.mean())} "
        f"(zwischen {_percent(rates.min())} und {_percent(rates.max())})."
    )


def new_and_returning(novelty: pd.DataFrame) -> str:
    """Columns Treffen, neu, wiederkehrend (held meetings)."""
    if novelty.empty:
        return ""
    new, returning = novelty["neu"].sum(), novelty["wiederkehrend"].sum()
    last = novelty.iloc[-1]
    return (
        f"Insgesamt {_n(new)} erstmalige und {_n(returning)} wiederholte Teilnahmen; zuletzt "
        f"({last['Treffen']}) {_n(last['neu'])} neu und {_n(last['wiederkehrend'])} "
        "wiederkehrend."
    )


def reach(reach: pd.DataFrame, states: list[str]) -> str:
    """Columns Treffen and one per federal state (and "keine Angabe"), ``states`` in order."""
    totals = reach[states].sum()
    total = totals.sum()
    if reach.empty or not total:
        return ""
    parts = [f"{_percent(totals[s] / total)} {s}" for s in states if totals[s]]
    return (
        "Von allen bestätigten Anmeldungen der Auswahl: " + ", ".join(parts) + "."
        if len(parts) > 1
        else f"Alle bestätigten Anmeldungen der Auswahl: {states[0]}."
    )


SINGULAR = {"Vorschläge": "Vorschlag", "Impuls-Angebote": "Impuls-Angebot"}


def inflow_per_month(inflow: pd.DataFrame, order: list[str]) -> str:
    """Columns Monat, Art, Anzahl; ``order``: the months in time order."""
    if inflow.empty or not order:
        return ""
    by_kind = inflow.groupby("Art")["Anzahl"].sum()
    by_month = inflow.groupby("Monat")["Anzahl"].sum()
    busiest = by_month.idxmax()
    span = order[0] if len(order) == 1 else f"{order[0]} bis {order[-1]}"
    kinds = " und ".join(
        f"{_n(count)} {SINGULAR.get(kind, kind) if count == 1 else kind}"
        for kind, count in by_kind.items()
    )
    return f"{span}: {kinds}; die meisten im {busiest} ({_n(by_month.max())})."


def coverage(heat: pd.DataFrame) -> str:
    """Columns Themenfeld, Quartal, stattgefunden, geplant (one row per field and quarter)."""
    if heat.empty:
        return ""
    held = heat.groupby("Themenfeld", sort=False)["stattgefunden"].sum()
    planned = heat.groupby("Themenfeld", sort=False)["geplant"].sum()
    quarters = heat["Quartal"].drop_duplicates().tolist()
    span = f"{quarters[0]} bis {quarters[-1]}"
    text = f"Von {span} war {held.idxmax()} am häufigsten dran ({_n(held.max())} Treffen)"
    never = [field for field, count in held.items() if count == 0 and not planned[field]]
    if never:
        text += "; ohne Treffen: " + ", ".join(never)
    coming = [field for field, count in planned.items() if count]
    if coming:
        text += "; geplant: " + ", ".join(coming)
    return text + "."


def ranking(ranked: pd.DataFrame) -> str:
    """Columns Themenfeld, Punkte (the ranking, best first)."""
    if ranked.empty:
        return ""
    first = ranked.iloc[0]
    text = f"Vorn liegt {first['Themenfeld']} mit {_n(first['Punkte'])} von 100 Punkten"
    if len(ranked) > 1:
        second = ranked.iloc[1]
        gap = first["Punkte"] - second["Punkte"]
        text += f", vor {second['Themenfeld']} ({_n(second['Punkte'])})"
        if not math.isclose(gap, 0) and gap < 5:
            text += " – ein knapper Abstand"
    return text + "."
