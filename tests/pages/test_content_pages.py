"""The team's own content with AppTest: topic fields, page texts, team accounts, the
set-password page, the audit log in German, and the imprint warning."""

from __future__ import annotations

import pytest
from sqlmodel import select

from stammtisch import organizers, topics
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Mail, Organizer, Suggestion, TopicField
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts

NOW = parse_instant(SEED_NOW)


def _rows(url, model):
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(model)).all()
    engine.dispose()
    return rows


def _click(at, label, nth: int = 0):
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r}: {[b.label for b in at.button]}"
    buttons[nth].click().run()
    assert not at.exception, at.exception


def _field(url, name):
    return next(tf for tf in _rows(url, TopicField) if tf.name == name)


# --- Themenfelder verwalten -------------------------------------------------------------


def test_add_a_topic_field_with_preview_and_duplicate_names_are_refused(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_themenfelder.py")
    assert "Zur Auswahl (5)" in texts(at)
    at.session_state["topic.new.open"] = True
    at.run()
    at.text_input(key="topic.new.name").input("Wasser im Revier")
    at.text_area(key="topic.new.description").input("Tagebauseen und **Grundwasser**.")
    at.run()
    # The preview shows the description as the start page will.
    assert any("<strong>Grundwasser</strong>" in m.value for m in at.markdown)
    _click(at, "Themenfeld anlegen")
    assert "Themenfeld „Wasser im Revier“ angelegt" in texts(at)
    assert _field(app_db, "Wasser im Revier").colour_slot == 5
    # Another spelling of an existing name: refused next to the field.
    at.text_input(key="topic.new.name").input("MOBILITÄT UND LOKALE INFRASTRUKTUR")
    _click(at, "Themenfeld anlegen")
    assert (
        "Ein Themenfeld mit diesem Namen gibt es schon („Mobilität und lokale Infrastruktur“)."
        in [e.value for e in at.error]
    )
    assert len(_rows(app_db, TopicField)) == 6


def test_rename_and_archive_a_used_field(make_organizer_app, make_app, app_db):
    klima = _field(app_db, "Klimaschutz & Energiewende")
    at = make_organizer_app("pages/orga_themenfelder.py")
    at.session_state[f"topic.edit.{klima.id}.open"] = True
    at.run()
    at.text_input(key=f"topic.{klima.id}.name").input("Klima & Energie")
    _click(at, "Änderungen speichern")
    assert "„Klima & Energie“ gespeichert." in texts(at)
    renamed = _field(app_db, "Klima & Energie")
    assert (renamed.id, renamed.colour_slot, renamed.slug) == (klima.id, 0, klima.slug)
    # "Engagement" is used by the seed's meetings: archived after a question, never deleted.
    engagement = _field(app_db, "Engagement und Zivilgesellschaft")
    with pytest.raises(StopIteration):
        next(b for b in at.button if b.key == f"topic.delete.{engagement.id}")
    at.button(key=f"topic.archive.{engagement.id}").click().run()
    assert any("archivieren?" in w.value for w in at.warning)
    _click(at, "Ja, archivieren")
    assert "„Engagement und Zivilgesellschaft“ archiviert" in texts(at)
    assert "Archiviert (1)" in texts(at)
    assert _field(app_db, "Engagement und Zivilgesellschaft").archived_at is not None
    # Visitors: the start page and the forms no longer offer it; history keeps it.
    start = make_app()
    shown = [e.label for e in start.expander]
    assert "Klima & Energie" in shown and "Engagement und Zivilgesellschaft" not in shown
    forum = make_app("pages/themensammlung.py")
    [select_field] = [s for s in forum.selectbox if s.label == "Themenfeld"]
    assert "Engagement und Zivilgesellschaft" not in select_field.options
    assert "Klima & Energie" in select_field.options
    dashboard = make_organizer_app("pages/orga_dashboard.py")
    [filter_box] = [s for s in dashboard.selectbox if s.label == "Themenfeld"]
    assert "Engagement und Zivilgesellschaft (archiviert)" in filter_box.options


def test_a_suggestion_becomes_a_topic_field_from_the_moderation_page(make_organizer_app, app_db):
    engine = make_engine(app_db)
    sid = f.suggestion(engine, now=NOW, text="Wasserstoff im Revier. Wer baut mit?")
    engine.dispose()
    at = make_organizer_app("pages/orga_moderation.py")
    at.session_state[f"mod.tools.{sid}.open"] = True
    at.run()
    assert at.text_input(key=f"topic.from.{sid}.name").value == "Wasserstoff im Revier"
    _click(at, "Als neues Themenfeld anlegen")
    assert "Themenfeld „Wasserstoff im Revier“ angelegt" in texts(at)
    [row] = [s for s in _rows(app_db, Suggestion) if s.id == sid]
    assert row.topic_field_id == _field(app_db, "Wasserstoff im Revier").id


# --- Seitentexte -----------------------------------------------------------------------


def test_edit_the_start_text_with_markup_and_preview(make_organizer_app, make_app):
    at = make_organizer_app("pages/orga_texte.py")
    at.text_area(key="texts.start.about").input(
        "Wir treffen uns **online**.\n\nZweiter Absatz mit [Link](https://example.org)."
    )
    at.run()
    preview = [m.value for m in at.markdown if "<strong>online</strong>" in m.value]
    assert preview == ["<p>Wir treffen uns <strong>online</strong>.</p>"]
    _click(at, "Speichern")
    assert any("Gespeichert: „Worum geht's?“" in s.value for s in at.success)
    start = make_app()
    assert "<p>Wir treffen uns <strong>online</strong>.</p>" in [m.value for m in start.markdown]


def test_bad_links_and_addresses_are_refused_next_to_their_field(make_organizer_app, make_app):
    at = make_organizer_app("pages/orga_texte.py")
    at.text_area(key="texts.start.topic_fields_more").input("[Klick](javascript:alert(1))")
    _click(at, "Speichern")
    assert any("http:// oder https://" in e.value for e in at.error)
    at.segmented_control(key="texts.area").set_value("imprint").run()
    at.text_input(key="texts.imprint.contact_email").input("keine adresse")
    at.text_input(key="texts.imprint.website").input("ftp://example.org")
    _click(at, "Speichern")
    errors = [e.value for e in at.error]
    assert any("gültige E-Mail-Adresse" in e for e in errors)
    assert "Die Adresse der Website muss mit https:// beginnen." in errors


def test_the_imprint_can_be_completed_and_emptying_it_is_warned(make_organizer_app, make_app):
    at = make_organizer_app("pages/orga_texte.py")
    at.segmented_control(key="texts.area").set_value("imprint").run()
    for key, value in (
        ("contact_email", "stammtisch@example.org"),
        ("imprint_representatives", "Vorstand: A. Beispiel"),
        ("imprint_register", "Amtsgericht Dresden, VR 1234"),
        ("imprint_responsible", "A. Beispiel, Schützengasse 16-18, 01067 Dresden"),
    ):
        widget = at.text_input if key == "contact_email" else at.text_area
        widget(key=f"texts.imprint.{key}").input(value)
    at.run()
    assert not [w for w in at.warning if "Impressum ist unvollständig" in w.value]
    _click(at, "Speichern")
    assert not [w for w in at.sidebar.warning if "Impressum" in w.value]
    imprint = make_app("pages/impressum.py")
    shown = texts(imprint)
    assert "Amtsgericht Dresden, VR 1234" in shown and "Verantwortlich für den Inhalt" in shown
    # Emptying a required field is allowed, and said.
    at.text_area(key="texts.imprint.imprint_register").input("")
    at.run()
    assert any("Impressum ist unvollständig" in w.value for w in at.warning)
    _click(at, "Speichern")
    assert any("Registereintrag" in w.value for w in at.sidebar.warning)


def test_the_privacy_contact_shows_on_the_privacy_page(make_organizer_app, make_app):
    at = make_organizer_app("pages/orga_texte.py")
    at.segmented_control(key="texts.area").set_value("privacy").run()
    at.text_area(key="texts.privacy.privacy_contact").input(
        "Datenschutz: *datenschutz@example.org*"
    )
    _click(at, "Speichern")
    page = make_app("pages/datenschutz.py")
    assert "<p>Datenschutz: <em>datenschutz@example.org</em></p>" in [
        m.value for m in page.markdown
    ]


def test_the_team_start_page_warns_until_the_imprint_is_complete(make_organizer_app):
    at = make_organizer_app("pages/login.py")
    assert any(w.value.startswith("Im Impressum fehlt noch") for w in at.main.warning)


# --- Team-Konten and the set-password link ---------------------------------------------


def test_an_admin_adds_an_account_and_sees_the_link_once(make_admin_app, make_app, app_db):
    at = make_admin_app("pages/orga_team.py")
    at.session_state["team.add.open"] = True
    at.run()
    at.text_input(key="team.add.name").input("bert")
    at.text_input(key="team.add.display_name").input("Bert Beispiel")
    at.text_input(key="team.add.email").input("bert@example.org")
    _click(at, "Konto anlegen und Link senden")
    [code] = at.code
    assert "/passwort-festlegen?token=" in code.value
    assert any("per Mail an bert@example.org" in s.value for s in at.success)
    [mail] = [m for m in _rows(app_db, Mail) if m.kind == "organizer_invite"]
    assert mail.to_address == "bert@example.org"
    at.run()
    assert not at.code  # shown once
    token = code.value.split("token=")[1]
    page = make_app("pages/passwort.py", token=token)
    assert "Konto bert (Bert Beispiel)" in texts(page)
    page.text_input(key="set-password.password").input("ein-langes-neues-passwort")
    page.text_input(key="set-password.password_repeat").input("ein-langes-neues-passwort")
    page.button[0].click().run()
    assert any("Ihr Passwort ist gespeichert, Bert Beispiel" in s.value for s in page.success)
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        assert (
            organizers.authenticate(
                session=s, name="bert", password="ein-langes-neues-passwort", now=NOW
            ).name
            == "bert"
        )
    engine.dispose()
    again = make_app("pages/passwort.py", token=token)
    assert any("funktioniert nicht (mehr)" in w.value for w in again.warning)


def test_an_admin_deactivates_after_a_question_and_others_only_see_the_list(
    make_admin_app, organizer, app_db
):
    engine = make_engine(app_db)
    bert = f.organizer(engine, now=NOW, name="bert")
    engine.dispose()

    def bert_active() -> bool:
        return next(o for o in _rows(app_db, Organizer) if o.name == "bert").active

    at = make_admin_app("pages/orga_team.py")
    assert "Konten (2)" in texts(at)
    at.button(key=f"team.deactivate.{bert.id}").click().run()
    assert any(w.value.startswith("„bert“ deaktivieren?") for w in at.warning)
    assert bert_active()  # asking changes nothing
    _click(at, "Ja, deaktivieren")
    assert "„bert“ ist deaktiviert." in texts(at)
    assert not bert_active()
    # The admin's own account has no buttons: nobody locks themselves out.
    assert not [b for b in at.button if b.key and b.key.endswith(f".{organizer.id}")]
    _click(at, "Wieder aktivieren")
    assert bert_active()


def test_a_plain_organizer_sees_the_team_but_manages_nothing(make_organizer_app):
    at = make_organizer_app("pages/orga_team.py")
    assert "Konten verwalten die Admins des Teams" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("team.")]
    assert "team.add.open" not in [e.key for e in at.expander if hasattr(e, "key")]


def test_a_bad_or_used_link_shows_one_message(make_app):
    at = make_app("pages/passwort.py", token="gibt-es-nicht")
    assert any("funktioniert nicht (mehr)" in w.value for w in at.warning)
    assert not at.text_input


# --- the log ---------------------------------------------------------------------------


def test_the_log_says_in_german_what_changed(make_organizer_app, app_db):
    engine = make_engine(app_db)
    actor = f.team(engine, now=NOW)
    klima = _field(app_db, "Klimaschutz & Energiewende")
    with session_scope(engine) as s:
        topics.update_topic_field(
            session=s,
            actor=actor,
            topic_field_id=klima.id,
            name="Klima & Energie",
            description=klima.description,
            now=NOW,
        )
    engine.dispose()
    at = make_organizer_app("pages/orga_protokoll.py")
    table = at.dataframe[0].value
    row = table[table["Code"] == "topic_field.update"].iloc[0]
    assert row["Aktion"] == "Themenfeld geändert"
    assert row["Objekt"] == f"Themenfeld Nr. {klima.id}"
    assert row["Änderung"] == "Name: „Klimaschutz & Energiewende“ → „Klima & Energie“"


# --- bad input and two people at once ---------------------------------------------------


def test_two_people_edit_the_same_text_and_neither_change_is_lost(make_organizer_app, app_db):
    anna = make_organizer_app("pages/orga_texte.py")
    bert = make_organizer_app("pages/orga_texte.py")  # loaded before Anna saves
    anna.text_input(key="texts.start.title").input("Annas Titel")
    _click(anna, "Speichern")
    bert.text_input(key="texts.start.title").input("Berts Titel")
    _click(bert, "Speichern")
    assert any("inzwischen jemand anderes geändert" in e.value for e in bert.error)
    assert make_organizer_app("pages/orga_texte.py").text_input(key="texts.start.title").value == (
        "Annas Titel"
    )
    # Discarding loads what Anna saved; Bert's change then goes through.
    _click(bert, "Änderungen verwerfen")
    assert bert.text_input(key="texts.start.title").value == "Annas Titel"
    bert.text_input(key="texts.start.title").input("Berts Titel")
    _click(bert, "Speichern")
    assert not bert.error
    assert any("Gespeichert: Titel der Reihe." in s.value for s in bert.success)


def test_an_empty_or_taken_account_name_is_refused_next_to_the_field(make_admin_app, organizer):
    at = make_admin_app("pages/orga_team.py")
    at.session_state["team.add.open"] = True
    at.run()
    _click(at, "Konto anlegen und Link senden")
    assert at.error, "an empty form is refused"
    at.text_input(key="team.add.name").input(organizer.name.upper())
    at.text_input(key="team.add.display_name").input("Noch jemand")
    at.text_input(key="team.add.email").input("noch-jemand@example.org")
    _click(at, "Konto anlegen und Link senden")
    assert "Diesen Anmeldenamen gibt es schon." in [e.value for e in at.error]
    assert not at.code  # no link for a refused account


def test_set_password_repeated_differently_is_said_and_the_link_still_works(
    make_admin_app, make_app
):
    at = make_admin_app("pages/orga_team.py")
    at.session_state["team.add.open"] = True
    at.run()
    at.text_input(key="team.add.name").input("carla")
    at.text_input(key="team.add.display_name").input("Carla")
    at.text_input(key="team.add.email").input("carla@example.org")
    _click(at, "Konto anlegen und Link senden")
    token = at.code[0].value.split("token=")[1]
    page = make_app("pages/passwort.py", token=token)
    page.text_input(key="set-password.password").input("ein-langes-neues-passwort")
    page.text_input(key="set-password.password_repeat").input("ein-anderes-passwort!!")
    page.button[0].click().run()
    assert "Die beiden Passwörter stimmen nicht überein." in [e.value for e in page.error]
    assert page.text_input(key="set-password.password").value == ""  # nothing kept
    page.text_input(key="set-password.password").input("ein-langes-neues-passwort")
    page.text_input(key="set-password.password_repeat").input("ein-langes-neues-passwort")
    page.button[0].click().run()
    assert any("Ihr Passwort ist gespeichert" in s.value for s in page.success)


def test_switching_areas_keeps_what_was_typed_and_shows_others_changes(
    make_organizer_app, app_db, now
):
    at = make_organizer_app("pages/orga_texte.py")
    at.text_input(key="texts.start.title").input("Noch nicht gespeichert")
    at.run()
    at.segmented_control(key="texts.area").set_value("imprint").run()
    assert any("Noch nicht gespeichert: Startseite" in i.value for i in at.info)
    at.segmented_control(key="texts.area").set_value("start").run()
    assert at.text_input(key="texts.start.title").value == "Noch nicht gespeichert"
    # Someone else changes an untouched text: it shows here, and saving the title
    # neither refuses nor overwrites it.
    from stammtisch import site

    engine = make_engine(app_db)
    with session_scope(engine) as s:
        site.set_text(session=s, key="topic_fields_intro", value="Von Anna.", now=now)
    engine.dispose()
    at.run()
    assert at.text_area(key="texts.start.topic_fields_intro").value == "Von Anna."
    _click(at, "Speichern")
    assert not at.error
    assert any("Gespeichert: Titel der Reihe." in s.value for s in at.success)


def test_a_changed_description_does_not_undo_a_rename_made_meanwhile(
    make_organizer_app, app_db, now
):
    klima = _field(app_db, "Klimaschutz & Energiewende")
    at = make_organizer_app("pages/orga_themenfelder.py")
    at.session_state[f"topic.edit.{klima.id}.open"] = True
    at.run()
    engine = make_engine(app_db)
    actor = f.team(engine, now=NOW)
    with session_scope(engine) as s:
        topics.update_topic_field(
            session=s,
            actor=actor,
            topic_field_id=klima.id,
            name="Klima & Energie",
            description=klima.description,
            now=NOW,
        )
    engine.dispose()
    at.text_area(key=f"topic.{klima.id}.description").input("Neu beschrieben.")
    _click(at, "Änderungen speichern")
    row = _field(app_db, "Klima & Energie")
    assert (row.id, row.description) == (klima.id, "Neu beschrieben.")


def test_choosing_the_chosen_area_again_keeps_it(make_organizer_app):
    at = make_organizer_app("pages/orga_texte.py")
    at.segmented_control(key="texts.area").set_value("imprint").run()
    at.segmented_control(key="texts.area").set_value(None).run()
    assert at.segmented_control(key="texts.area").value == "imprint"
    assert at.text_input(key="texts.imprint.contact_email")
