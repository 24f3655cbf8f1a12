"""Each chart's one-sentence text alternative says what the chart shows, from its table."""

from __future__ import annotations

import pandas as pd

from stammtisch import chart_texts


def test_registrations_per_meeting_names_the_busiest_and_the_mean():
    table = pd.DataFrame(
        {
            "Treffen": ["A", "A", "B", "B"],
            "Status": ["angemeldet", "Warteliste", "angemeldet", "Warteliste"],
            "Anmeldungen": [10, 5, 30, 0],
        }
    )
    text = chart_texts.registrations_per_meeting(table)
    assert text == (
        "2 Treffen mit im Schnitt 20 bestätigten Anmeldungen; die meisten hatte B mit 30."
    )


def test_topic_fields_most_and_least():
    table = pd.DataFrame({"Themenfeld": ["Energie", "Mobilität"], "Bestätigt": [3, 12]})
    assert chart_texts.registrations_per_topic_field(table) == (
        "Die meisten bestätigten Anmeldungen hat Mobilität (12), die wenigsten Energie (3)."
    )


def test_demand_over_capacity():
    table = pd.DataFrame(
        {"Treffen": ["A", "B", "C"], "Nachfrage": [10, 45, 20], "Plätze": [20, 40, 20]}
    )
    assert chart_texts.demand_and_places(table) == (
        "Bei 1 von 3 Treffen mit Platzgrenze war die Nachfrage größer als die Zahl der Plätze; "
        "am deutlichsten bei B (45 Personen für 40 Plätze)."
    )
    assert chart_texts.demand_and_places(table.iloc[[0]]).startswith("Bei 0 von 1 Treffen")


def test_attendance_trend_with_and_without_no_show_rate():
    table = pd.DataFrame(
        {
            "Treffen": ["A", "B"],
            "angemeldet": [20, 1],
            "teilgenommen": [15, 1],
            "No-Show-Quote": [0.25, None],
        }
    )
    assert chart_texts.attendance_trend(table) == (
        "Zuletzt (B) 1 bestätigte Anmeldung und 1 Teilnehmende; die No-Show-Quote lag im "
        "Mittel bei 25 % (zwischen 25 % und 25 %)."
    )
    assert chart_texts.attendance_trend(table.assign(**{"No-Show-Quote": None})).endswith(
        "Teilnehmende."
    )


def test_attendance_trend_when_the_last_meeting_has_no_recorded_attendance():
    table = pd.DataFrame(
        {
            "Treffen": ["A", "B"],
            "angemeldet": [20, 3],
            "teilgenommen": [15, None],
            "No-Show-Quote": [0.25, None],
        }
    )
    assert chart_texts.attendance_trend(table) == (
        "Zuletzt (B) 3 bestätigte Anmeldungen und keine erfasste Teilnahme; die No-Show-Quote "
        "lag im Mittel bei 25 % (zwischen 25 % und 25 %)."
    )


def test_new_and_returning_reach_inflow_coverage_ranking():
    novelty = pd.DataFrame({"Treffen": ["A", "B"], "neu": [5, 2], "wiederkehrend": [0, 4]})
    assert chart_texts.new_and_returning(novelty) == (
        "Insgesamt 7 erstmalige und 4 wiederholte Teilnahmen; zuletzt (B) 2 neu und 4 "
        "wiederkehrend."
    )
    states = ["Sachsen", "Thüringen", "keine Angabe"]
    reach = pd.DataFrame({"Treffen": ["A"], "Sachsen": [3], "Thüringen": [1], "keine Angabe": [0]})
    assert chart_texts.reach(reach, states) == (
        "Von allen bestätigten Anmeldungen der Auswahl: 75 % Sachsen, 25 % Thüringen."
    )
    inflow = pd.DataFrame(
        {
            "Monat": ["Jan. 2026", "Jan. 2026", "Feb. 2026"],
            "Art": ["Vorschläge", "Impuls-Angebote", "Vorschläge"],
            "Anzahl": [4, 1, 2],
        }
    )
    assert chart_texts.inflow_per_month(inflow, ["Jan. 2026", "Feb. 2026"]) == (
        "Jan. 2026 bis Feb. 2026: 1 Impuls-Angebot und 6 Vorschläge; die meisten im Jan. 2026 (5)."
    )
    heat = pd.DataFrame(
        {
            "Themenfeld": ["Energie", "Energie", "Wasser", "Wasser", "Luft", "Luft"],
            "Quartal": ["2026 Q1", "2026 Q2"] * 3,
            "stattgefunden": [1, 2, 0, 0, 0, 0],
            "geplant": [0, 0, 0, 1, 0, 0],
        }
    )
    assert chart_texts.coverage(heat) == (
        "Von 2026 Q1 bis 2026 Q2 war Energie am häufigsten dran (3 Treffen); ohne Treffen: "
        "Luft; geplant: Wasser."
    )
    ranked = pd.DataFrame({"Themenfeld": ["Energie", "Wasser"], "Punkte": [80.4, 78.0]})
    assert chart_texts.ranking(ranked) == (
        "Vorn liegt Energie mit 80 von 100 Punkten, vor Wasser (78) – ein knapper Abstand."
    )


def test_nothing_to_say_for_empty_tables():
    empty = pd.DataFrame(
        columns=["Treffen", "Status", "Anmeldungen", "Themenfeld", "Bestätigt", "Punkte"]
    )
    assert chart_texts.registrations_per_meeting(empty) == ""
    assert chart_texts.registrations_per_topic_field(empty) == ""
    assert chart_texts.ranking(empty) == ""
