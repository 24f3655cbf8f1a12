"""Organizer pages with AppTest: meetings, moderation, offers, registrations, privacy."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from stammtisch import topics
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import (
    Impulse,
    ImpulseOffer,
    Meeting,
    ModerationState,
    Registration,
    Suggestion,
)
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts

NOW = parse_instant(SEED_NOW)


def _engine(url):
    return make_engine(url)


def _rows(url, model):
    engine = _engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(model)).all()
    engine.dispose()
    return rows


def _click(at, label):
    [button] = [b for b in at.button if b.label == label]
    button.click().run()


def test_create_meeting_via_form(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_termine.py")
    at.text_input(key="meeting.theme").input("Wasser im Revier")
    at.text_area(key="meeting.description").input("Tagebauseen und Grundwasser.")
    at.date_input(key="meeting.day").set_value(date(2022, 6, 13))
    at.number_input(key="meeting.capacity").set_value(40)
    at.text_input(key="meeting.online_link").input("https://zoom.us/j/987")
    _click(at, "Termin anlegen")
    assert not at.exception
    assert "Gespeichert." in [s.value for s in at.success]
    meeting = next(m for m in _rows(app_db, Meeting) if m.theme == "Wasser im Revier")
    assert meeting.capacity == 40 and meeting.starts_at.hour == 15  # 17:00 CEST


def test_meeting_form_shows_errors_next_to_fields(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_termine.py")
    at.text_input(key="meeting.theme").input("")
    at.text_input(key="meeting.online_link").input("zoom.us/ohne-https")
    _click(at, "Termin anlegen")
    errors = [e.value for e in at.error]
    assert "Bitte geben Sie ein Thema an." in errors
    assert any("https://" in e for e in errors)
    assert len(_rows(app_db, Meeting)) == 5


def test_series_draft_and_create(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_termine.py")
    at.date_input(key="series.first").set_value(date(2022, 3, 7))
    at.number_input(key="series.count").set_value(2)
    _click(at, "Entwurf berechnen")
    table = at.dataframe
    assert any("Ostermontag" in str(t.value) for t in table) or "Ostermontag" in str(
        at.session_state["series.drafts"]
    )
    _click(at, "Ausgewählte Termine anlegen")
    assert any("2 Entwürfe angelegt" in s.value for s in at.success)
    rows = _rows(app_db, Meeting)
    assert len(rows) == 7 and [m.status for m in rows[-2:]] == ["draft", "draft"]


def test_a_draft_is_published_or_deleted_from_the_editor(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_termine.py")
    at.text_input(key="meeting.theme").input("Leerstand als Chance")
    at.checkbox(key="meeting.draft").check()
    _click(at, "Termin anlegen")
    draft = next(m for m in _rows(app_db, Meeting) if m.theme == "Leerstand als Chance")
    assert draft.status == "draft"
    # The new draft is selected: it offers what a draft can do, nothing a meeting can.
    assert "**Status:** Entwurf" in [m.value for m in at.markdown]
    labels = [b.label for b in at.button]
    assert "Veröffentlichen" in labels and "Entwurf löschen" in labels
    assert "Absagen" not in labels and "Wieder planen" not in labels
    _click(at, "Veröffentlichen")
    assert not at.exception
    [published] = [m for m in _rows(app_db, Meeting) if m.id == draft.id]
    assert published.status == "planned"
    assert "Veröffentlichen" not in [b.label for b in at.button]
    assert "Absagen" in [b.label for b in at.button]

    at.selectbox(key="termine.selected").set_value("__new__").run()
    at.text_input(key="meeting.theme").input("Noch ein Entwurf")
    at.checkbox(key="meeting.draft").check()
    _click(at, "Termin anlegen")
    second = next(m for m in _rows(app_db, Meeting) if m.theme == "Noch ein Entwurf")
    _click(at, "Entwurf löschen")
    assert "Diesen Entwurf endgültig löschen?" in [w.value for w in at.warning]
    assert second.id in [m.id for m in _rows(app_db, Meeting)]  # asked, not yet done
    _click(at, "Ja, Entwurf löschen")
    assert not at.exception
    assert second.id not in [m.id for m in _rows(app_db, Meeting)]


def test_moderation_queue_literal_and_approve(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    sid = f.suggestion(engine, now=NOW, text="**fett** <b>x</b> Seen im Revier")
    engine.dispose()
    at = make_organizer_app("pages/orga_moderation.py")
    assert any(r"\*\*fett\*\* \<b\>x\</b\> Seen im Revier" in m.value for m in at.markdown)
    at.button(key=f"mod.approve.{sid}").click().run()
    assert not at.exception
    assert [s.state for s in _rows(app_db, Suggestion)] == [ModerationState.APPROVED]
    assert "Alles geprüft" in texts(at)


def test_accept_offer_on_page(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    oid = f.offer(engine, now=NOW, title="Dorfladen Plus", preferred_meeting_id=3)
    engine.dispose()
    at = make_organizer_app("pages/orga_impulse.py")
    # The accept form is sent only once its expander is opened.
    assert not at.text_input
    at.session_state[f"accept.{oid}.open"] = True
    at.run()
    at.text_input(key=f"accept.{oid}.title").set_value("x")
    at.button(key=f"accept.{oid}.go").click().run()
    assert not at.exception
    # The error stays next to the title, the form stays open with what was typed.
    assert any("Titel" in e.value for e in at.error)
    assert at.text_input(key=f"accept.{oid}.title").value == "x"
    assert not _rows(app_db, Impulse)
    at.text_input(key=f"accept.{oid}.title").set_value("Dorfladen Plus")
    at.button(key=f"accept.{oid}.go").click().run()
    assert not at.exception
    assert any("Angenommen" in s.value for s in at.success)
    [impulse] = _rows(app_db, Impulse)
    assert (impulse.meeting_id, impulse.title, impulse.offer_id) == (3, "Dorfladen Plus", oid)
    # Among the accepted offers, each says where in the programme it stands.
    at.segmented_control(key="offers.state").set_value("accepted").run()
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Im Programm: Mo, 24.01.2022 – Lebendige Orte" in shown


def test_offer_note_is_saved_and_shown(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    oid = f.offer(engine, now=NOW, title="Dorfladen Plus")
    engine.dispose()
    at = make_organizer_app("pages/orga_impulse.py")
    at.session_state[f"note.{oid}.open"] = True
    at.run()
    at.text_area(key=f"note.{oid}").input("Passt gut zum Termin im Frühjahr")
    at.button(key=f"note.save.{oid}").click().run()
    assert not at.exception
    assert "Interne Notiz: Passt gut zum Termin im Frühjahr" in texts(at)
    [offer] = _rows(app_db, ImpulseOffer)
    assert offer.internal_note == "Passt gut zum Termin im Frühjahr"


def test_registrations_page_counts_promote_and_exports(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, 2)
        meeting.capacity = 1
        s.add(meeting)
        s.commit()
    f.register(engine, 2, "a", now=NOW)
    waiting = f.register(engine, 2, "b", now=NOW + timedelta(minutes=1))
    engine.dispose()
    at = make_organizer_app("pages/orga_anmeldungen.py")
    at.selectbox(key="reg.meeting").set_value(2).run()
    assert [m.value for m in at.metric][:2] == ["1", "1"]
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["CSV herunterladen", "Excel herunterladen"]
    at.button(key="reg.promote.go").click().run()
    assert any("Plätze sind vergeben" in e.value for e in at.error)
    at.checkbox(key="reg.over").check().run()
    at.button(key="reg.promote.go").click().run()
    statuses = {r.id: r.status for r in _rows(app_db, Registration)}
    assert statuses[waiting.registration_id] == "confirmed"


def test_privacy_page_export_and_retention(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    f.register(engine, 2, "eva", now=NOW, email="eva@example.org", name="Eva")
    engine.dispose()
    at = make_organizer_app("pages/orga_datenschutz.py")
    at.text_input(key="person.email").input("eva@example.org")
    at.button(key="person.export").click().run()
    assert any("1 Anmeldungen" in s.value for s in at.success)
    at.text_input(key="person.email").input("keine-adresse")
    at.button(key="person.export").click().run()
    assert any("gültige E-Mail-Adresse" in e.value for e in at.error)
    assert "Keine Anmeldung ist über der Frist." in texts(at)


def test_privacy_page_retention_lists_due_meetings_and_anonymises(
    make_organizer_app, app_db, monkeypatch
):
    make_organizer_app()
    engine = _engine(app_db)
    f.register(engine, 2, "alt", now=NOW, name="Alt Anmeldung")
    engine.dispose()
    # 06.12.2021 + 180 days lies before 01.07.2022: the registration is due.
    monkeypatch.setenv("STAMMTISCH_NOW", "2022-07-01T12:00:00+02:00")
    at = make_organizer_app("pages/orga_datenschutz.py")
    assert any("1 Anmeldung aus 1 Treffen" in w.value for w in at.warning)
    [table] = at.dataframe
    assert table.value["Anmeldungen"].tolist() == [1]
    at.button(key="retention.go").click().run()
    assert any("1 Anmeldung aus 1 Treffen anonymisiert" in s.value for s in at.success)
    assert "Keine Anmeldung ist über der Frist." in texts(at)
    [reg] = _rows(app_db, Registration)
    assert reg.name is None and reg.email is None and reg.anonymised_at is not None


def test_privacy_page_erasure_shows_what_it_erases_and_can_be_cancelled(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    f.register(engine, 2, "eva", now=NOW, email="eva@example.org", name="Eva")
    engine.dispose()
    at = make_organizer_app("pages/orga_datenschutz.py")
    at.text_input(key="person.email").input("Eva@Example.org")
    at.button(key="person.erase").click().run()
    assert any("1 Anmeldungen (davon 1 für kommende Treffen" in w.value for w in at.warning)
    at.button(key="person.erase.no").click().run()
    assert not at.main.warning
    assert _rows(app_db, Registration)[0].name == "Eva"
    at.button(key="person.erase").click().run()
    at.button(key="person.erase.yes").click().run()
    assert any("Gelöscht: 1 Anmeldungen (davon 1 storniert" in s.value for s in at.success)
    [reg] = _rows(app_db, Registration)
    assert reg.status == "cancelled" and reg.name is None


def test_privacy_page_erasure_refuses_an_invalid_address(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_datenschutz.py")
    at.text_input(key="person.email").input("nicht-gültig")
    at.button(key="person.erase").click().run()
    assert any("gültige E-Mail-Adresse" in e.value for e in at.error)
    assert not any(b.key == "person.erase.yes" for b in at.button)


def test_moderation_queue_pages_through_long_lists(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    for n in range(12):
        f.suggestion(engine, now=NOW, text=f"Wartender Vorschlag Nummer {n:02d}")
    engine.dispose()
    at = make_organizer_app("pages/orga_moderation.py")
    assert "Wartet auf Prüfung (12)" in [h.value for h in at.header]
    approve = [b for b in at.button if b.key and b.key.startswith("mod.approve.")]
    assert len(approve) == 10
    assert any("Seite 1 von 2 · 1–10 von 12" in c.value for c in at.caption)
    assert at.button(key="mod.pending.prev").disabled
    at.button(key="mod.pending.next").click().run()
    approve = [b for b in at.button if b.key and b.key.startswith("mod.approve.")]
    assert len(approve) == 2
    assert "Wartender Vorschlag Nummer 11" in texts(at)
    assert at.button(key="mod.pending.next").disabled


def test_moderation_sets_topic_field_and_merges_from_the_opened_tools(make_organizer_app, app_db):
    make_organizer_app()
    engine = _engine(app_db)
    first = f.suggestion(engine, now=NOW, text="Radwege im Revier")
    second = f.suggestion(engine, now=NOW, text="Radwege im Revier!")
    engine.dispose()
    at = make_organizer_app("pages/orga_moderation.py")
    # The tools (two select boxes per suggestion) are built only once opened.
    assert not at.selectbox
    at.session_state[f"mod.tools.{first}.open"] = True
    at.run()
    with session_scope(_engine(app_db)) as s:
        topic_id = topics.list_topic_fields(session=s)[1].id
    at.selectbox(key=f"mod.field.{first}").set_value(topic_id).run()
    at.button(key=f"mod.setfield.{first}").click().run()
    assert not at.exception
    engine = _engine(app_db)
    with session_scope(engine) as s:
        assert s.get(Suggestion, first).topic_field_id == topic_id
    engine.dispose()
    at.session_state[f"mod.tools.{second}.open"] = True
    at.run()
    at.selectbox(key=f"mod.merge.{second}").set_value(first).run()
    at.button(key=f"mod.domerge.{second}").click().run()
    assert not at.exception
    rows = {r.id: r for r in _rows(app_db, Suggestion)}
    assert rows[second].merged_into_id == first


def _holiday_warnings(at) -> list[str]:
    return [w.value for w in at.warning if "Feiertag" in w.value]


def test_a_new_meeting_defaults_to_the_series_next_regular_date(make_organizer_app, app_db):
    from stammtisch.clock import BERLIN

    latest = max(m.starts_at for m in _rows(app_db, Meeting)).astimezone(BERLIN)
    at = make_organizer_app("pages/orga_termine.py")
    day = at.date_input(key="meeting.day").value
    assert day.weekday() == latest.weekday()  # the series' weekday (Monday)
    assert day >= latest.date() + timedelta(weeks=6)
    assert (day - latest.date()).days % 7 == 0
    assert at.time_input(key="meeting.start").value.strftime("%H:%M") == latest.strftime("%H:%M")
    assert not _holiday_warnings(at)  # the proposal itself avoids holidays


def test_a_holiday_is_pointed_out_for_a_single_meeting(make_organizer_app, app_db):
    at = make_organizer_app("pages/orga_termine.py")
    at.text_input(key="meeting.theme").input("Feiertagstreffen")
    at.date_input(key="meeting.day").set_value(date(2022, 10, 3))
    _click(at, "Termin anlegen")
    assert "Gespeichert." in [s.value for s in at.success]  # said, not refused
    [warning] = _holiday_warnings(at)
    assert warning.startswith("Der 03.10.2022 ist ein Feiertag (Tag der Deutschen Einheit in ")
    at.date_input(key="meeting.day").set_value(date(2022, 11, 16))  # Buß- und Bettag
    _click(at, "Änderungen speichern")
    [warning] = _holiday_warnings(at)
    assert "Buß- und Bettag in Sachsen" in warning and "Thüringen" not in warning
