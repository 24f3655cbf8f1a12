"""Themensammlung, impulse offers and the legal pages (AppTest)."""

from __future__ import annotations

from sqlmodel import select

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import ImpulseOffer, Suggestion
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts

THEMEN = "pages/themensammlung.py"
IMPULS = "pages/impuls.py"


def _rows(url, table):
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(table)).all()
    engine.dispose()
    return rows


def _send(at, **values):
    if "suggest.again" in {b.key for b in at.button}:  # the last send's confirmation
        at.button(key="suggest.again").click().run()
    for key, value in values.items():
        widget = at.text_area(key=f"suggest.{key}") if key == "text" else None
        if widget is None:
            widget = at.text_input(key=f"suggest.{key}")
        widget.input(value)
    [button] = [b for b in at.button if b.label == "Vorschlag senden"]
    button.click().run()


def _approved(url, *texts_):
    engine = make_engine(url)
    now = parse_instant(SEED_NOW)
    ids = []
    for t in texts_:
        ids.append(f.suggestion(engine, now=now, text=t, topic_field_id=1, publish=True))
    engine.dispose()
    return ids


def test_suggestion_is_sent_and_waits_for_moderation(make_app, app_db):
    at = make_app(THEMEN)
    at.radio(key="suggest.kind").set_value("question")
    _send(at, text="Wie finanzieren wir Bürgerenergie im Revier?", author_name="Kim")
    assert not at.exception
    assert "erscheint nach kurzer Prüfung" in at.success[0].value
    # The confirmation took the form's place; "Noch einen Vorschlag" brings it back empty.
    assert not [t for t in at.text_area if t.key == "suggest.text"]
    at.button(key="suggest.again").click().run()
    assert at.text_area(key="suggest.text").value in ("", None)
    assert at.text_input(key="suggest.author_name").value in ("", None)
    [row] = _rows(app_db, Suggestion)
    assert (row.state, row.kind, row.author_name) == ("pending", "question", "Kim")
    assert "Wie finanzieren" not in texts(at)  # not public before moderation


def test_too_short_suggestion_shows_message_next_to_field(make_app, app_db):
    at = make_app(THEMEN)
    _send(at, text="kurz", author_name="Kim")
    assert any("zu kurz" in e.value for e in at.error)
    assert at.text_input(key="suggest.author_name").value == "Kim"
    assert _rows(app_db, Suggestion) == []


def test_honeypot_refuses_and_stores_nothing(make_app, app_db):
    at = make_app(THEMEN)
    _send(at, text="Ein ganz normaler Vorschlag für uns", website="http://spam.example")
    assert any("verstecktes Feld" in e.value for e in at.error)
    assert _rows(app_db, Suggestion) == []


def test_approved_suggestions_listed_literally_and_sortable(make_app, app_db):
    make_app()
    first, second = _approved(
        app_db, "**fett** <b>x</b> [link](javascript:alert(1))", "Zweiter Vorschlag"
    )
    at = make_app(THEMEN)
    # Shown as written: every Markdown character escaped, so no bold, HTML or link.
    escaped = r"\*\*fett\*\* \<b\>x\</b\> \[link\]\(javascript\:alert\(1\)\)"
    assert any(escaped in m.value for m in at.markdown)
    assert "**fett** <b>x</b> [link](javascript:alert(1))" in texts(at)
    at.button(key=f"vote-{first}").click().run()
    assert at.button(key=f"vote-{first}").label == "Unterstützt (1)"
    assert at.button(key=f"vote-{first}").disabled
    at.segmented_control(key="suggest.order").set_value("newest").run()
    order = [m.value for m in at.markdown if "Zweiter Vorschlag" in m.value or "fett" in m.value]
    assert "Zweiter Vorschlag" in order[0] and "fett" in order[1]
    assert [r.votes for r in _rows(app_db, Suggestion) if r.id == first] == [1]
    assert second


def test_impulse_offer_success_says_what_happens_next(make_app, app_db):
    at = make_app(IMPULS)
    at.text_input(key="offer.title").input("Dorfladen Plus in Nordsachsen")
    at.text_area(key="offer.description").input("Wie ein Dorfladen zum Treffpunkt für alle wurde.")
    at.text_input(key="offer.name").input("Kim Beispiel")
    at.text_input(key="offer.email").input("kim@example.org")
    at.selectbox(key="offer.preferred_meeting_id").set_value(3)
    [button] = [b for b in at.button if b.label == "Angebot senden"]
    button.click().run()
    assert not at.exception
    assert "Eingangsbestätigung ist per E-Mail unterwegs" in at.success[0].value
    assert not [t for t in at.text_input if t.key == "offer.title"]  # the form made way
    [offer] = _rows(app_db, ImpulseOffer)
    assert (offer.state, offer.preferred_meeting_id) == ("submitted", 3)
    # Offers are never public.
    at.switch_page("pages/termine.py").run()
    assert "Dorfladen Plus in Nordsachsen" not in texts(at)


def test_impulse_offer_errors_next_to_fields(make_app, app_db):
    at = make_app(IMPULS)
    at.text_input(key="offer.title").input("Dorfladen")
    at.text_input(key="offer.email").input("kim-at-example")
    [button] = [b for b in at.button if b.label == "Angebot senden"]
    button.click().run()
    errors = [e.value for e in at.error]
    assert any("Beschreibung" in e for e in errors)
    assert any("Namen" in e for e in errors)
    assert any("gültige E-Mail-Adresse" in e for e in errors)
    assert at.text_input(key="offer.title").value == "Dorfladen"
    assert _rows(app_db, ImpulseOffer) == []


def test_privacy_and_imprint_pages(make_app):
    at = make_app("pages/datenschutz.py")
    shown = texts(at)
    assert not at.exception
    assert "Schützengasse 16-18" in shown and "180 Tage" in shown and "Art. 15" in shown
    at = make_app("pages/impressum.py")
    assert not at.exception
    assert "01067 Dresden" in texts(at) and "Sächsische Staatsministerium" in texts(at)


def test_accessibility_statement(make_app, app_db):
    from stammtisch import site

    at = make_app("pages/barrierefreiheit.py")
    assert not at.exception
    shown = texts(at)
    headers = [h.value for h in at.header]
    assert at.title[0].value == "Erklärung zur Barrierefreiheit"
    assert headers[:4] == [
        "Stand der Vereinbarkeit",
        "Was barrierefrei ist",
        "Was noch nicht barrierefrei ist",
        "Barriere melden",
    ]
    assert "Skip to main content" in shown and "Leon Huff" in shown  # the contact
    assert "Schlichtung" not in headers  # nothing invented
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        site.set_text(
            session=s,
            key="accessibility_enforcement",
            value="Schlichtungsstelle, Musterstraße 1, 01067 Dresden",
            now=parse_instant(SEED_NOW),
        )
    engine.dispose()
    import streamlit as st

    st.cache_data.clear()
    at = make_app("pages/barrierefreiheit.py")
    assert "Schlichtung" in [h.value for h in at.header]
    assert "Schlichtungsstelle, Musterstraße 1" in texts(at)


def test_long_topic_lists_show_five_then_more_on_request(make_app, app_db):
    make_app()
    ids = _approved(app_db, *[f"Vorschlag Nummer {n:02d}" for n in range(8)])
    at = make_app(THEMEN)
    shown = [b for b in at.button if b.key and b.key.startswith("vote-")]
    assert len(shown) == 5
    assert any(h.value.endswith("(8)") for h in at.subheader)
    more = at.button(key="more-1")
    assert more.label == "Weitere anzeigen (3 mehr)"
    more.click().run()
    shown = [b for b in at.button if b.key and b.key.startswith("vote-")]
    assert len(shown) == 8 and not [b for b in at.button if b.key == "more-1"]
    assert len(ids) == 8


def _offer(at, title="Dorfladen Plus in Nordsachsen"):
    at.text_input(key="offer.title").input(title)
    at.text_area(key="offer.description").input("Wie ein Dorfladen zum Treffpunkt für alle wurde.")
    at.text_input(key="offer.name").input("Kim Beispiel")
    at.text_input(key="offer.email").input("kim@example.org")
    [button] = [b for b in at.button if b.label == "Angebot senden"]
    button.click().run()


def test_the_same_offer_sent_twice_is_stored_once_and_the_page_says_so(make_app, app_db):
    at = make_app(IMPULS)
    _offer(at)
    at.button(key="offer.again").click().run()
    assert at.text_input(key="offer.title").value in ("", None)  # an empty form again
    _offer(at)  # the same offer once more (a reload, a second click)
    assert not at.exception
    assert "heute schon bei uns eingegangen" in at.info[0].value
    assert len(_rows(app_db, ImpulseOffer)) == 1
    at.button(key="offer.again").click().run()
    _offer(at, title="Ein ganz anderes Projekt")
    assert "Eingangsbestätigung" in at.success[0].value
    assert len(_rows(app_db, ImpulseOffer)) == 2


def test_the_same_suggestion_sent_twice_is_stored_once(make_app, app_db):
    at = make_app(THEMEN)
    _send(at, text="Wie finanzieren wir Bürgerenergie im Revier?")
    _send(at, text="  wie finanzieren wir Bürgerenergie im Revier?  ")
    assert "heute schon gesendet" in at.info[0].value
    assert len(_rows(app_db, Suggestion)) == 1


def test_the_imprint_shows_what_is_known_and_the_team_sees_what_is_missing(
    make_app, make_organizer_app, app_db
):
    from stammtisch import site

    at = make_app("pages/impressum.py")
    shown = texts(at)
    assert "Landesverband" in shown and "Vertreten durch" not in shown  # nothing invented
    team = make_organizer_app("pages/orga_protokoll.py")
    [warning] = [w.value for w in team.sidebar.warning if "Impressum" in w.value]
    assert "Registereintrag" in warning and "vertretungsberechtigte" in warning
    engine = make_engine(app_db)
    now = parse_instant(SEED_NOW)
    for key, value in (
        ("contact_email", "stammtisch@example.org"),
        ("imprint_representatives", "Vorstand: A. Beispiel"),
        ("imprint_register", "Amtsgericht Dresden, VR 0000"),
        ("imprint_responsible", "A. Beispiel (Anschrift wie oben)"),
    ):
        with session_scope(engine) as s:
            site.set_text(session=s, key=key, value=value, now=now)
    engine.dispose()
    import streamlit as st

    st.cache_data.clear()
    at = make_app("pages/impressum.py")
    shown = texts(at)
    assert "Vorstand: A. Beispiel" in shown and "Amtsgericht Dresden, VR 0000" in shown
    assert "Verantwortlich für den Inhalt" in shown
    assert "stammtisch@example.org" in shown  # and in every page's footer
    team = make_organizer_app("pages/orga_protokoll.py")
    assert not [w for w in team.sidebar.warning if "Impressum" in w.value]
