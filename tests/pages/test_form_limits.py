"""Every public form holds its limits across fresh sessions (a reload, a new browser):
the counts live in the database, not in the Streamlit session (AppTest)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import ImpulseOffer, Mail, RateHit, Registration, Subscription, Suggestion
from tests import factories as f
from tests.pages.conftest import SEED_NOW
from tests.pages.test_registration_pages import OPEN_MEETING, _fill, _submit

NETWORK_NOTE = "(Alle Geräte eines Netzwerks, etwa in einem Büro, zählen zusammen.)"


def _count(url, model) -> int:
    engine = make_engine(url)
    with session_scope(engine) as s:
        n = s.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _suggest(make_app, n):
    at = make_app("pages/themensammlung.py")  # a fresh session each time
    at.text_area(key="suggest.text").input(f"Vorschlag Nummer {n} mit genug Text")
    [button] = [b for b in at.button if b.label == "Vorschlag senden"]
    button.click().run()
    return at


def test_suggestions_from_fresh_sessions_stop_after_three(make_app, app_db):
    for n in range(3):
        assert "erscheint nach kurzer Prüfung" in _suggest(make_app, n).success[0].value
    at = _suggest(make_app, 3)
    [message] = _errors(at)
    assert message.startswith("Aus Ihrem Netzwerk kamen in den letzten 10 Minuten schon 3")
    assert "geht es in 10 Minuten wieder" in message and NETWORK_NOTE in message
    assert at.text_area(key="suggest.text").value == "Vorschlag Nummer 3 mit genug Text"
    assert _count(app_db, Suggestion) == 3


def _offer(make_app, n, email):
    at = make_app("pages/impuls.py")
    at.text_input(key="offer.title").input(f"Projekt Nummer {n}")
    at.text_area(key="offer.description").input("Wie ein Dorfladen zum Treffpunkt für alle wurde.")
    at.text_input(key="offer.name").input("Kim Beispiel")
    at.text_input(key="offer.email").input(email)
    [button] = [b for b in at.button if b.label == "Angebot senden"]
    button.click().run()
    return at


def test_offers_from_fresh_sessions_stop_after_three_per_hour(make_app, app_db):
    for n in range(3):
        assert "Eingangsbestätigung" in _offer(make_app, n, f"kim{n}@example.org").success[0].value
    at = _offer(make_app, 3, "kim3@example.org")
    [message] = _errors(at)
    assert "in der letzten Stunde schon 3 Impuls-Angebote" in message
    assert _count(app_db, ImpulseOffer) == 3


def test_offers_per_address_hold_from_any_network(make_app, app_db, monkeypatch):
    monkeypatch.setenv("STAMMTISCH_LIMITS", "offer.client=aus offer.email=2/1d")
    for n in range(2):
        _offer(make_app, n, "Kim@Example.org")
    [message] = _errors(_offer(make_app, 2, "kim@example.org"))
    assert message.startswith("Für diese E-Mail-Adresse gab es in den letzten 24 Stunden")
    assert _count(app_db, ImpulseOffer) == 2


def test_registrations_from_fresh_sessions_stop_at_the_limit(make_app, app_db, monkeypatch):
    monkeypatch.setenv("STAMMTISCH_LIMITS", "registration.client=2/1h")
    for n in range(2):
        at = make_app()
        _fill(at, email=f"person{n}@example.org")
        _submit(at)
        assert "Bitte bestätigen Sie Ihre Anmeldung" in at.success[0].value
    at = make_app()
    _fill(at, email="person9@example.org")
    _submit(at)
    assert any("schon 2 Anmeldungen" in e for e in _errors(at))
    assert at.text_input(key=f"reg{OPEN_MEETING}.email").value == "person9@example.org"
    assert _count(app_db, Registration) == 2


NOT_OPEN_MEETING = 3  # "Lebendige Orte" in the seed: registration opens later


def _fill_offer(at):
    at.text_input(key="offer.title").input("Projekt")
    at.text_area(key="offer.description").input("Eine Beschreibung mit genug Worten darin.")
    at.text_input(key="offer.name").input("Kim")
    at.text_input(key="offer.email").input("kim@example.org")


def _fill_suggestion(at):
    at.text_area(key="suggest.text").input("Ein ganz normaler Vorschlag für uns")


def _open(at, expander_key):
    at.session_state[expander_key] = True
    at.run()


def _fill_notify(at):
    _open(at, f"sub{NOT_OPEN_MEETING}.open")
    at.text_input(key=f"sub{NOT_OPEN_MEETING}.email").input("kim@example.org")
    at.checkbox(key=f"sub{NOT_OPEN_MEETING}.consent").check()


def _fill_news(at):
    at.text_input(key="news.email").input("kim@example.org")
    at.checkbox(key="news.consent").check()


def _fill_lost_link(at):
    _open(at, "lost.open")
    at.text_input(key="lost.email").input("kim@example.org")


# Every public form: (page and its query, how to fill it in, the honeypot, the button).
PUBLIC_FORMS = {
    "suggestion": (
        ("pages/themensammlung.py", {}),
        _fill_suggestion,
        "suggest",
        "Vorschlag senden",
    ),
    "offer": (("pages/impuls.py", {}), _fill_offer, "offer", "Angebot senden"),
    "registration": ((None, {}), _fill, f"reg{OPEN_MEETING}", "Verbindlich anmelden"),
    "notify when open": ((None, {}), _fill_notify, f"sub{NOT_OPEN_MEETING}", "Benachrichtigen"),
    "announcements": (("pages/benachrichtigung.py", {}), _fill_news, "news", "Benachrichtigen"),
    "lost link, start page": ((None, {}), _fill_lost_link, "lost", "Neuen Link schicken"),
    "lost link, personal page": (
        ("pages/meine_anmeldung.py", {"token": "kaputt"}),
        _fill_lost_link,
        "lost",
        "Neuen Link schicken",
    ),
}


@pytest.mark.parametrize("form", list(PUBLIC_FORMS))
def test_every_public_form_has_a_honeypot(make_app, app_db, form):
    (page, query), fill, key, label = PUBLIC_FORMS[form]
    at = make_app(page, **query)
    fill(at)
    at.text_input(key=f"{key}.website").input("http://spam.example")
    [button] = [b for b in at.button if b.label == label]
    button.click().run()
    assert not at.exception
    assert any("verstecktes Feld" in e for e in _errors(at))
    assert not at.success  # no confirmation, not even the one answer for every address
    for model in (Suggestion, ImpulseOffer, Registration, Subscription, Mail, RateHit):
        assert _count(app_db, model) == 0, model.__name__


def test_the_honeypot_list_names_every_public_form():
    """A new public form with a honeypot must join PUBLIC_FORMS above."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [*root.glob("pages/*.py"), *root.glob("ui/*.py")]
    callers = sum(len(re.findall(r"\.honeypot\(\)", p.read_text())) for p in sources)
    # Each call site is covered: themensammlung, impuls, termine (registration),
    # staying_informed (notify when open, announcements, lost link).
    assert callers == 6
    assert {v[2].rstrip("0123456789") for v in PUBLIC_FORMS.values()} >= {
        "suggest",
        "offer",
        "reg",
        "sub",
        "news",
        "lost",
    }


def test_votes_from_fresh_sessions_stop_at_five_per_network_and_suggestion(make_app, app_db):
    make_app()
    engine = make_engine(app_db)
    sid = f.suggestion(engine, now=parse_instant(SEED_NOW), topic_field_id=1, publish=True)
    engine.dispose()
    for n in range(5):
        at = make_app("pages/themensammlung.py")
        at.button(key=f"vote-{sid}").click().run()
        assert at.button(key=f"vote-{sid}").label == f"Unterstützt ({n + 1})"
    at = make_app("pages/themensammlung.py")
    at.button(key=f"vote-{sid}").click().run()
    assert not at.exception
    assert any("für diesen Vorschlag in den letzten 24 Stunden schon 5" in i.value for i in at.info)
    assert at.button(key=f"vote-{sid}").label == "+1 (5)"  # not counted, still offered
    assert any("höchstens 5-mal je Netzwerk, Vorschlag und Tag" in c.value for c in at.caption)
