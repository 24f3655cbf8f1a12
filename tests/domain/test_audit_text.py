"""The audit log in German words: action and object names, and "vorher → nachher"."""

from __future__ import annotations

from stammtisch import audit


def test_known_actions_and_objects_read_in_german():
    assert audit.action_label("topic_field.archive") == "Themenfeld archiviert"
    assert audit.action_label("gibt.es.nicht") == "gibt.es.nicht"
    assert audit.object_label("organizer", 3) == "Konto Nr. 3"
    assert audit.object_label(None, None) == ""


def test_before_and_after_as_dicts_name_each_changed_field():
    text = audit.describe(
        {"before": {"name": "Klima", "description": ""}, "after": {"name": "Klima & Energie"}}
    )
    assert text == "Name: „Klima“ → „Klima & Energie“"


def test_a_text_change_names_its_label_and_shortens_long_texts():
    text = audit.describe({"label": "Impressum", "before": "", "after": "x" * 500})
    assert text.startswith("Impressum: – → „xxx")
    assert text.endswith("…“") and len(text) < 200


def test_a_new_thing_shows_only_after_and_other_keys_follow():
    text = audit.describe({"name": "bert", "after": {"active": False}, "via": "Link"})
    assert text == "bert – active: nein · über: „Link“"


def test_nothing_is_a_dash_never_a_quoted_dash():
    text = audit.describe({"name": "bert", "after": {"E-Mail": "–", "Rolle": "Admin"}})
    assert text == "bert – E-Mail: –, Rolle: „Admin“"
