"""Limits on the public forms per network and address, stored in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stammtisch import offers, rate_limits, registrations, suggestions
from stammtisch.db import session_scope
from stammtisch.errors import FORM, AlreadyVoted
from stammtisch.models import RateHit, Registration, Suggestion
from stammtisch.rate_limits import Action, RateLimited, Requester, Rule, Scope
from tests import factories as f


def visitor(now, address="203.0.113.7", *, seconds=0, rules=None, browser=None):
    return Requester(
        address=address,
        at=now + timedelta(seconds=seconds),
        browser=browser,
        rules=rules or rate_limits.DEFAULT_RULES,
    )


def send_suggestion(engine, now, requester, n):
    data = suggestions.SuggestionInput(text=f"Vorschlag Nummer {n} für die Sammlung")
    with session_scope(engine) as s:
        return suggestions.submit_suggestion(session=s, data=data, now=now, requester=requester)


def count(engine, model):
    with session_scope(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_three_suggestions_per_ten_minutes_from_one_network_then_a_german_wait(engine, now):
    for n in range(3):
        send_suggestion(engine, now, visitor(now, seconds=n * 60), n)
    with pytest.raises(RateLimited) as err:
        send_suggestion(engine, now, visitor(now, seconds=200), 3)
    assert err.value.errors == {
        FORM: "Aus Ihrem Netzwerk kamen in den letzten 10 Minuten schon 3 Vorschläge. "
        "Damit die Themensammlung nicht mit Werbung überflutet wird, geht es in 7 Minuten "
        "wieder. (Alle Geräte eines Netzwerks, etwa in einem Büro, zählen zusammen.)"
    }
    assert err.value.retry_after == timedelta(minutes=10) - timedelta(seconds=200)
    assert count(engine, Suggestion) == 3  # the refused one is not stored
    # Another network is not affected; the first may send again once the window passed.
    send_suggestion(engine, now, visitor(now, "198.51.100.2", seconds=200), 4)
    send_suggestion(engine, now, visitor(now, seconds=600), 5)


def test_no_requester_is_not_limited_and_counts_nothing(engine, now):
    for n in range(6):
        send_suggestion(engine, now, None, n)
    assert count(engine, RateHit) == 0


@pytest.mark.parametrize(
    ("oldest", "refused"),
    [(timedelta(minutes=10), False), (timedelta(minutes=10) - timedelta(seconds=1), True)],
)
def test_the_window_ends_exactly_after_its_length(engine, now, oldest, refused):
    first = now - oldest
    send_suggestion(engine, now, Requester(address="203.0.113.7", at=first), 0)
    for n in (1, 2):
        send_suggestion(engine, now, visitor(now, seconds=-n), n)
    if refused:
        with pytest.raises(RateLimited):
            send_suggestion(engine, now, visitor(now), 3)
    else:
        send_suggestion(engine, now, visitor(now), 3)


def test_ipv6_counts_by_its_64_network(engine, now):
    for n in range(3):
        send_suggestion(engine, now, visitor(now, f"2001:db8:1:2::{n + 1}"), n)
    with pytest.raises(RateLimited):
        send_suggestion(engine, now, visitor(now, "2001:db8:1:2:ffff::9"), 3)
    send_suggestion(engine, now, visitor(now, "2001:db8:1:3::1"), 4)


def test_offers_are_limited_per_address_across_networks(engine, now):
    for n in range(3):
        with session_scope(engine) as s:
            offers.submit_impulse_offer(
                session=s,
                data=f.offer_input(email="Ada@Example.org"),
                now=now,
                requester=visitor(now, f"198.51.100.{n + 1}"),
            )
    with pytest.raises(RateLimited) as err, session_scope(engine) as s:
        offers.submit_impulse_offer(
            session=s,
            data=f.offer_input(email="ada@example.org"),
            now=now,
            requester=visitor(now, "192.0.2.200"),
        )
    assert err.value.errors[FORM].startswith(
        "Für diese E-Mail-Adresse gab es in den letzten 24 Stunden schon 3 Impuls-Angebote."
    )
    assert "Netzwerk" not in err.value.errors[FORM]


def register_as(engine, now, meeting, who, requester, **kw):
    with session_scope(engine) as s:
        return registrations.register(
            session=s,
            meeting_id=meeting,
            data=f.registration_input(who),
            now=now,
            requester=requester,
            **kw,
        )


def test_registrations_per_network_hold_for_fresh_addresses(engine, now):
    meeting = f.meeting(engine, now=now, days_ahead=20)
    rules = {(Action.REGISTRATION, Scope.CLIENT): (Rule(4, timedelta(hours=1)),)}
    for n in range(4):
        register_as(engine, now, meeting, n, visitor(now, rules=rules))
    with pytest.raises(RateLimited) as err:
        register_as(engine, now, meeting, 99, visitor(now, rules=rules))
    assert "schon 4 Anmeldungen" in err.value.errors[FORM]
    assert "in einer Stunde wieder" in err.value.errors[FORM]
    assert count(engine, Registration) == 4  # nothing half-written, no mail for the fifth


def test_registrations_without_confirmation_are_limited_too(engine, now):
    meeting = f.meeting(engine, now=now, days_ahead=20)
    rules = {(Action.REGISTRATION, Scope.EMAIL): (Rule(1, timedelta(hours=1)),)}
    register_as(engine, now, meeting, 1, visitor(now, rules=rules), confirmation=False)
    with pytest.raises(RateLimited) as err:
        register_as(
            engine, now, meeting, 1, visitor(now, "192.0.2.9", rules=rules), confirmation=False
        )
    assert err.value.errors[FORM].startswith(
        "Für diese E-Mail-Adresse gab es in der letzten Stunde schon eine Anmeldung."
    )


def test_votes_once_per_browser_and_five_per_network_suggestion_and_day(engine, now):
    sid = f.suggestion(engine, now=now, publish=True)
    other = f.suggestion(engine, now=now, publish=True)

    def vote(browser, address="203.0.113.7", target=sid, seconds=0):
        with session_scope(engine) as s:
            return suggestions.vote(
                session=s,
                suggestion_id=target,
                voter_key=browser,
                now=now,
                requester=visitor(now, address, seconds=seconds),
            )

    assert vote("browser-0") == 1
    with pytest.raises(AlreadyVoted):
        vote("browser-0", address="198.51.100.1")  # the same browser elsewhere
    for n in range(1, 5):
        assert vote(f"browser-{n}") == n + 1
    with pytest.raises(RateLimited) as err:
        vote("browser-5")
    assert err.value.errors[FORM].startswith(
        "Aus Ihrem Netzwerk kamen für diesen Vorschlag in den letzten 24 Stunden schon "
        "5 Unterstützungen."
    )
    # A browser that has voted hears that, even from a network at its limit.
    with pytest.raises(AlreadyVoted) as again:
        vote("browser-0")
    assert again.value.message == "Sie haben diesen Vorschlag schon unterstützt."
    assert vote("browser-5", target=other) == 1  # another suggestion: its own count
    assert vote("browser-6", address="198.51.100.1") == 6
    assert vote("browser-7", seconds=86_400) == 7  # the next day


def test_rows_are_keyed_hashes_and_old_ones_go(engine, now):
    send_suggestion(engine, now, visitor(now, "203.0.113.7", seconds=-2 * 86_400), 0)
    send_suggestion(engine, now, visitor(now, "203.0.113.7"), 1)
    with session_scope(engine) as s:
        rows = s.exec(select(RateHit)).scalars().all()
        assert len(rows) == 1  # the two-day-old one went when the new one came
        assert "203.0.113" not in rows[0].key and len(rows[0].key) == 40


def test_parallel_sends_from_one_network_never_exceed_the_limit(engine, now):
    from concurrent.futures import ThreadPoolExecutor

    def attempt(n):
        try:
            send_suggestion(engine, now, visitor(now, seconds=n / 100), n)
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        accepted = sum(pool.map(attempt, range(12)))
    assert accepted == 3
    assert count(engine, Suggestion) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "suggestion.client=5/10min,30/1d",
            (Rule(5, timedelta(minutes=10)), Rule(30, timedelta(days=1))),
        ),
        ("suggestion.client=2/h", (Rule(2, timedelta(hours=1)),)),
        ("suggestion.client=aus", ()),
    ],
)
def test_limits_are_settings(value, expected):
    rules = rate_limits.parse_rules(value)
    assert rules[(Action.SUGGESTION, Scope.CLIENT)] == expected
    assert (
        rules[(Action.OFFER, Scope.EMAIL)] == rate_limits.DEFAULT_RULES[(Action.OFFER, Scope.EMAIL)]
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("suggestion=3/1h", "hat nicht die Form aktion.bereich=N/Zeit"),
        ("spam.client=3/1h", "bekannt sind"),
        ("suggestion.client=drei", "ist keine Regel"),
        ("suggestion.client=0/1h", "ist keine Regel"),
        ("suggestion.client=3/0min", "länger als 0"),
    ],
)
def test_unclear_limit_settings_are_refused_in_german(value, message):
    with pytest.raises(ValueError, match=message):
        rate_limits.parse_rules(value)


def test_settings_read_the_limits():
    from stammtisch.config import ConfigError, load_settings

    cfg = load_settings({"STAMMTISCH_LIMITS": "offer.client=1/1h"})
    assert dict(cfg.rate_rules)[(Action.OFFER, Scope.CLIENT)] == (Rule(1, timedelta(hours=1)),)
    assert load_settings({}).rate_rules is None
    hash(cfg)  # settings stay hashable
    with pytest.raises(ConfigError, match="STAMMTISCH_LIMITS"):
        load_settings({"STAMMTISCH_LIMITS": "offer.client=x"})


@pytest.mark.parametrize(
    ("wait", "text"),
    [
        (timedelta(seconds=1), "einer Minute"),
        (timedelta(seconds=61), "2 Minuten"),
        (timedelta(minutes=59, seconds=30), "einer Stunde"),
        (timedelta(minutes=61), "2 Stunden"),
        (timedelta(minutes=60, seconds=30), "2 Stunden"),
    ],
)
def test_wait_text_rounds_up(wait, text):
    assert rate_limits.wait_text(wait) == text


def test_housekeeping_forgets_counts_that_ran_out_without_new_sends(engine, now):
    from datetime import UTC, datetime

    from stammtisch import mailer
    from stammtisch.config import load_settings

    real = datetime.now(UTC)
    send_suggestion(engine, now, Requester(address="203.0.113.7", at=real - timedelta(days=2)), 0)
    send_suggestion(engine, now, Requester(address="203.0.113.8", at=real), 1)
    mailer.housekeeping(engine, now=now, settings=load_settings({}))
    assert count(engine, RateHit) == 1


def subscribe_as(engine, now, requester, email):
    from stammtisch import subscriptions

    data = subscriptions.SubscriptionInput(email=email, consent=True)
    with session_scope(engine) as s:
        return subscriptions.subscribe(session=s, data=data, now=now, requester=requester)


def test_subscriptions_per_network_hold_for_fresh_addresses(engine, now):
    from stammtisch.models import Mail, Subscription

    for n in range(5):
        subscribe_as(engine, now, visitor(now, seconds=n), f"person{n}@example.org")
    with pytest.raises(RateLimited) as err:
        subscribe_as(engine, now, visitor(now, seconds=60), "person5@example.org")
    assert err.value.errors == {
        FORM: "Aus Ihrem Netzwerk kamen in der letzten Stunde schon 5 "
        "Benachrichtigungswünsche. Damit niemand fremde Postfächer mit Bestätigungen füllt, "
        "geht es in 59 Minuten wieder. (Alle Geräte eines Netzwerks, etwa in einem Büro, "
        "zählen zusammen.)"
    }
    assert count(engine, Subscription) == 5 and count(engine, Mail) == 5  # nothing for #6
    # Another network is not affected; after the hour the first may send again.
    subscribe_as(engine, now, visitor(now, "198.51.100.2", seconds=60), "person5@example.org")
    subscribe_as(engine, now, visitor(now, seconds=3601), "person6@example.org")


def test_subscriptions_per_network_also_stop_at_twenty_a_day(engine, now):
    for n in range(20):
        subscribe_as(engine, now, visitor(now, seconds=n * 721), f"p{n}@example.org")
    with pytest.raises(RateLimited) as err:
        subscribe_as(engine, now, visitor(now, seconds=20 * 721), "p20@example.org")
    assert "in den letzten 24 Stunden schon 20 Benachrichtigungswünsche" in err.value.errors[FORM]


def ask_for_links(engine, now, requester, email):
    with session_scope(engine) as s:
        return registrations.send_fresh_links(session=s, email=email, now=now, requester=requester)


def test_link_requests_three_per_hour_per_address_from_any_network(engine, now):
    from stammtisch.models import Mail

    meeting = f.meeting(engine, now=now, days_ahead=20)
    f.register(engine, meeting, 1, now=now, email="kim@example.org")
    before = count(engine, Mail)
    for n in range(3):
        ask_for_links(
            engine, now, visitor(now, f"198.51.100.{n + 1}", seconds=n), "Kim@Example.org"
        )
    assert count(engine, Mail) == before + 3
    with pytest.raises(RateLimited) as err:
        ask_for_links(engine, now, visitor(now, "192.0.2.200", seconds=60), "kim@example.org")
    assert err.value.errors == {
        FORM: "Für diese E-Mail-Adresse gab es in der letzten Stunde schon 3 "
        "Link-Anforderungen. Damit niemand fremde Postfächer mit Links füllt, geht es in "
        "59 Minuten wieder."
    }
    assert count(engine, Mail) == before + 3  # the refused request mails nothing
    # An unknown address counts the same way (the limit tells nothing about registrations).
    for n in range(3):
        ask_for_links(engine, now, visitor(now, f"198.51.100.{n + 1}"), "nobody@example.org")
    with pytest.raises(RateLimited):
        ask_for_links(engine, now, visitor(now, "192.0.2.200"), "nobody@example.org")
    ask_for_links(engine, now, visitor(now, "192.0.2.200", seconds=3601), "kim@example.org")


def test_link_requests_five_per_hour_per_network(engine, now):
    for n in range(5):
        ask_for_links(engine, now, visitor(now, seconds=n), f"person{n}@example.org")
    with pytest.raises(RateLimited) as err:
        ask_for_links(engine, now, visitor(now, seconds=60), "person5@example.org")
    assert err.value.errors[FORM].startswith(
        "Aus Ihrem Netzwerk kamen in der letzten Stunde schon 5 Link-Anforderungen."
    )
    ask_for_links(engine, now, visitor(now, "198.51.100.2", seconds=60), "person5@example.org")
    ask_for_links(engine, now, visitor(now, seconds=3601), "person6@example.org")
