"""Limits on the public forms per client, stored in the database.

Why here and not in the browser session: a reload or a fresh browser starts a new
Streamlit session, so a per-session counter stops nobody. Every public write
(registration, suggestion, "+1", impulse offer, subscription, "Link verloren?") instead
records a *hit* in ``rate_hit`` in the same transaction as the write, keyed on

* ``client``: the sender's network address (an IPv6 address by its /64, see
  :func:`stammtisch.login_throttle.client_key`); behind the reverse proxy the address the
  trusted proxy saw (``ui/http_security.py``);
* ``email``: the address typed into the form, where there is one (no mail bombing of a
  stranger from many networks);
* ``target``: the network address together with the thing acted on (votes: one network,
  one suggestion, one day).

A write that would exceed a rule is refused with :class:`RateLimited`, which says in
German how long to wait. The hit is part of the write's transaction: a refused or
invalid send counts nothing, and several processes share the counts. Keys are stored as
a keyed hash (HMAC with the installation's secret), never as addresses; rows older than
the longest window are deleted as new ones arrive. Times run on the real clock
(:attr:`Requester.at`): a demo with a pinned ``STAMMTISCH_NOW`` must not block forever.

The rules are settings (``STAMMTISCH_LIMITS``, see :func:`parse_rules`) with the defaults
of :data:`DEFAULT_RULES`. Calls without a :class:`Requester` (the command line, the team's
own pages, tests of other rules) are not limited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, text
from sqlmodel import Session, col

from stammtisch.errors import FORM, ValidationError
from stammtisch.login_throttle import client_key
from stammtisch.models import RateHit, SiteSetting
from stammtisch.site import SESSION_SECRET_KEY


class Action(StrEnum):
    REGISTRATION = "registration"
    SUGGESTION = "suggestion"
    VOTE = "vote"
    OFFER = "offer"
    SUBSCRIPTION = "subscription"
    LINK_REQUEST = "link_request"


class Scope(StrEnum):
    CLIENT = "client"
    EMAIL = "email"
    TARGET = "target"


@dataclass(frozen=True)
class Rule:
    """At most ``count`` sends within ``window``."""

    count: int
    window: timedelta


Rules = Mapping[tuple[Action, Scope], tuple[Rule, ...]]

_M = timedelta(minutes=1)
_H = timedelta(hours=1)
_D = timedelta(days=1)

#: Generous for people, tight for scripts. Many people share one address (an office,
#: a mobile network), so the per-network rules leave room for a few of them.
DEFAULT_RULES: dict[tuple[Action, Scope], tuple[Rule, ...]] = {
    (Action.REGISTRATION, Scope.CLIENT): (Rule(10, _H), Rule(30, _D)),
    (Action.REGISTRATION, Scope.EMAIL): (Rule(5, _H),),
    (Action.SUGGESTION, Scope.CLIENT): (Rule(3, 10 * _M), Rule(20, _D)),
    (Action.VOTE, Scope.CLIENT): (Rule(60, _H),),
    (Action.VOTE, Scope.TARGET): (Rule(5, _D),),
    (Action.OFFER, Scope.CLIENT): (Rule(3, _H), Rule(10, _D)),
    (Action.OFFER, Scope.EMAIL): (Rule(3, _D),),
    (Action.SUBSCRIPTION, Scope.CLIENT): (Rule(5, _H), Rule(20, _D)),
    (Action.SUBSCRIPTION, Scope.EMAIL): (Rule(3, _D),),
    (Action.LINK_REQUEST, Scope.CLIENT): (Rule(5, _H), Rule(20, _D)),
    (Action.LINK_REQUEST, Scope.EMAIL): (Rule(3, _H),),
}

# What is counted, for the messages: (one, several).
_NOUNS = {
    Action.REGISTRATION: ("Anmeldung", "Anmeldungen"),
    Action.SUGGESTION: ("Vorschlag", "Vorschläge"),
    Action.VOTE: ("Unterstützung", "Unterstützungen"),
    Action.OFFER: ("Impuls-Angebot", "Impuls-Angebote"),
    Action.SUBSCRIPTION: ("Benachrichtigungswunsch", "Benachrichtigungswünsche"),
    Action.LINK_REQUEST: ("Link-Anforderung", "Link-Anforderungen"),
}
_WHY = {
    Action.REGISTRATION: "Damit niemand Plätze oder Postfächer blockieren kann",
    Action.SUGGESTION: "Damit die Themensammlung nicht mit Werbung überflutet wird",
    Action.VOTE: "Damit die Zahlen ehrlich bleiben",
    Action.OFFER: "Damit unser Postfach nicht überflutet wird",
    Action.SUBSCRIPTION: "Damit niemand fremde Postfächer mit Bestätigungen füllt",
    Action.LINK_REQUEST: "Damit niemand fremde Postfächer mit Links füllt",
}


@dataclass(frozen=True)
class Requester:
    """Who sends a public form: the network address (None: this machine), the real time
    of the send, the browser's anonymous visitor id (for "+1") and the rules in force."""

    address: str | None
    at: datetime
    browser: str | None = None
    rules: Rules = field(default_factory=lambda: DEFAULT_RULES)


class RateLimited(ValidationError):
    """Too many sends; shown above the form's button. ``retry_after``: the wait."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__({FORM: message})
        self.retry_after = retry_after


def wait_text(wait: timedelta) -> str:
    """'einer Minute', '7 Minuten', '2 Stunden' (dative, as in "in … wieder")."""
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    if minutes < 60:
        return "einer Minute" if minutes == 1 else f"{minutes} Minuten"
    hours = -(-minutes // 60)
    return "einer Stunde" if hours == 1 else f"{hours} Stunden"


def window_text(window: timedelta) -> str:
    """'in den letzten 10 Minuten', 'in der letzten Stunde', 'heute' (last 24 hours)."""
    if window >= _D and window.total_seconds() % _D.total_seconds() == 0:
        days = int(window / _D)
        return "in den letzten 24 Stunden" if days == 1 else f"in den letzten {days} Tagen"
    if window >= _H and window.total_seconds() % 3600 == 0:
        hours = int(window / _H)
        return "in der letzten Stunde" if hours == 1 else f"in den letzten {hours} Stunden"
    minutes = max(1, int(window.total_seconds() // 60))
    return "in der letzten Minute" if minutes == 1 else f"in den letzten {minutes} Minuten"


_NEUTER_OR_MASCULINE = {Action.SUGGESTION, Action.OFFER, Action.SUBSCRIPTION}


def _message(action: Action, scope: Scope, rule: Rule, wait: timedelta) -> str:
    one, many = _NOUNS[action]
    if rule.count == 1:
        what = f"{'ein' if action in _NEUTER_OR_MASCULINE else 'eine'} {one}"
    else:
        what = f"{rule.count} {many}"
    came = "kam" if rule.count == 1 else "kamen"
    if scope is Scope.EMAIL:
        who = "Für diese E-Mail-Adresse gab es"
    elif scope is Scope.TARGET:
        who = f"Aus Ihrem Netzwerk {came} für diesen Vorschlag"
    else:
        who = f"Aus Ihrem Netzwerk {came}"
    shared = (
        " (Alle Geräte eines Netzwerks, etwa in einem Büro, zählen zusammen.)"
        if scope is not Scope.EMAIL
        else ""
    )
    return (
        f"{who} {window_text(rule.window)} schon {what}. {_WHY[action]}, geht es in "
        f"{wait_text(wait)} wieder.{shared}"
    )


def _key(session: Session, scope: Scope | str, value: str) -> str:
    """A keyed hash: the table never holds an address, and short IPv4 addresses cannot
    be found again by trying them all."""
    row = session.get(SiteSetting, SESSION_SECRET_KEY)
    secret = f"rate-limit:{row.value if row is not None else ''}".encode()
    return hmac.new(secret, f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def sender_key(session: Session, requester: Requester | None) -> str | None:
    """Who sent a public form, to recognise a double send: a keyed hash of the browser's
    anonymous visitor id or, without one (cookies off), of the network address. None for
    sends without a requester (the team, the command line, the seed)."""
    if requester is None:
        return None
    if requester.browser:
        return _key(session, "browser", requester.browser)
    return _key(session, Scope.CLIENT, client_key(requester.address))


def longest_window(rules: Rules) -> timedelta:
    return max((r.window for group in rules.values() for r in group), default=_D)


def enforce(
    session: Session,
    action: Action,
    requester: Requester | None,
    *,
    email_key: str | None = None,
    target: str | int | None = None,
) -> None:
    """Count this send or refuse it; call inside the write's transaction, before the write.

    ``email_key`` is the normalised address typed into the form, ``target`` what the send
    acts on (the suggestion voted for). Raises :class:`RateLimited` with the longest wait
    of the rules broken.
    """
    if requester is None:
        return
    network = client_key(requester.address)
    values = {Scope.CLIENT: network}
    if email_key:
        values[Scope.EMAIL] = email_key
    if target is not None:
        values[Scope.TARGET] = f"{network}|{target}"
    checks = [
        (scope, _key(session, scope, value), requester.rules.get((action, scope), ()))
        for scope, value in values.items()
    ]
    checks = [(scope, key, rules) for scope, key, rules in checks if rules]
    if not checks:
        return
    at = requester.at
    postgres = session.get_bind().dialect.name == "postgresql"
    refusal: tuple[timedelta, str] | None = None
    for scope, key, rules in sorted(checks, key=lambda c: c[1]):
        if postgres:  # two processes, the same key: one counts after the other
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                {"k": f"{action}:{key}"},
            )
        longest = max(r.window for r in rules)
        most = max(r.count for r in rules)
        recent = list(
            session.execute(
                select(RateHit.at)
                .where(
                    RateHit.action == action.value,
                    RateHit.key == key,
                    col(RateHit.at) > at - longest,
                )
                .order_by(col(RateHit.at).desc())
                .limit(most)
            ).scalars()
        )
        for rule in rules:
            within = [t for t in recent if t > at - rule.window]
            if len(within) >= rule.count:
                wait = within[rule.count - 1] + rule.window - at
                if refusal is None or wait > refusal[0]:
                    refusal = (wait, _message(action, scope, rule, wait))
    if refusal is not None:
        raise RateLimited(refusal[1], refusal[0])
    prune(session, at, requester.rules)
    for _scope, key, _rules in checks:
        session.add(RateHit(action=action.value, key=key, at=at))
    session.flush()


def prune(session: Session, at: datetime, rules: Rules = DEFAULT_RULES) -> int:
    """Delete the hits no rule looks at any more (older than the longest window); also
    run by the sender's housekeeping, so nothing stays when nobody sends."""
    result = session.execute(delete(RateHit).where(col(RateHit.at) < at - longest_window(rules)))
    return int(result.rowcount or 0)


_RULE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sek|min|m|h|std|d|tag|tage)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sek": 1, "min": 60, "m": 60, "h": 3600, "std": 3600}
_UNITS.update({"d": 86400, "tag": 86400, "tage": 86400})


def parse_rules(value: str | None) -> dict[tuple[Action, Scope], tuple[Rule, ...]]:
    """``STAMMTISCH_LIMITS``: entries ``aktion.bereich=N/Zeit[,N/Zeit]`` separated by
    spaces or semicolons, each replacing the default for that pair; ``aus`` switches a
    pair off. Example: ``suggestion.client=5/10min,30/1d offer.email=aus``.

    Raises ``ValueError`` with a German message for anything unclear.
    """
    rules = dict(DEFAULT_RULES)
    for entry in re.split(r"[;\s]+", (value or "").strip()):
        if not entry:
            continue
        name, sep, spec = entry.partition("=")
        action_name, dot, scope_name = name.strip().lower().partition(".")
        if not sep or not dot:
            raise ValueError(f"'{entry}' hat nicht die Form aktion.bereich=N/Zeit.")
        try:
            action, scope = Action(action_name), Scope(scope_name)
        except ValueError:
            raise ValueError(
                f"'{name}': bekannt sind {', '.join(a.value for a in Action)} und "
                f"{', '.join(s.value for s in Scope)}."
            ) from None
        if spec.strip().lower() in ("aus", "off", "0"):
            rules[(action, scope)] = ()
            continue
        parsed = []
        for part in spec.split(","):
            match = _RULE.match(part)
            if match is None or int(match.group(1)) < 1:
                raise ValueError(
                    f"'{part}' ist keine Regel wie 3/10min, 20/1d oder 5/1h (Anzahl ≥ 1)."
                )
            amount = int(match.group(2) or 1) * _UNITS[match.group(3).lower()]
            if amount <= 0:
                raise ValueError(f"'{part}': der Zeitraum muss länger als 0 sein.")
            parsed.append(Rule(int(match.group(1)), timedelta(seconds=amount)))
        rules[(action, scope)] = tuple(parsed)
    return rules
