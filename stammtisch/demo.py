"""A plausible, deterministic synthetic history of the series, for demos and benchmarks.

The same seed always gives the same data. Rows go in with bulk inserts, so large
variants (``scale``) stay quick. The database is marked as demo data (the app shows a
banner), and a database that already holds real activity is refused unless forced.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, exists, func, insert, update
from sqlmodel import select

from stammtisch.clock import BERLIN
from stammtisch.date_proposals import propose_series
from stammtisch.db import session_scope, write_transaction
from stammtisch.errors import DomainError
from stammtisch.models import (
    Attendance,
    ImpulseOffer,
    Meeting,
    MeetingStatus,
    MeetingTopicField,
    ModerationState,
    OfferState,
    Registration,
    RegistrationState,
    RegistrationStatus,
    SiteSetting,
    Suggestion,
    SuggestionKind,
    SuggestionVote,
    TopicField,
)
from stammtisch.validation import email_key

DEMO_KEY = "demo_data"
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Finn",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Katrin",
    "Lars",
    "Mia",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tina",
    "Uwe",
    "Vera",
    "Willi",
    "Yara",
]
LAST_NAMES = [
    "Albrecht",
    "Böhme",
    "Fischer",
    "Günther",
    "Hoffmann",
    "Krause",
    "Lehmann",
    "Müller",
    "Neumann",
    "Richter",
    "Schulze",
    "Seidel",
    "Vogel",
    "Wagner",
    "Weber",
    "Zimmermann",
]
ORGS = [
    None,
    None,
    "Bürgerenergie Leipziger Land eG",
    "Dorfverein Pödelwitz",
    "Jugendring Burgenland",
    "Kreisvolkshochschule",
    "Netzwerk Zukunft Revier",
    "Stadtverwaltung Zeitz",
    "Transition Town Altenburg",
    "Verein Kulturscheune",
]
THEMES = {
    "klimaschutz-energiewende": ["Bürgerenergie", "Wärmewende im Dorf", "Solarparks und Akzeptanz"],
    "mobilitaet-lokale-infrastruktur": ["Lebendige Orte", "Mobilität auf dem Land", "Dorfläden"],
    "nachhaltiges-wirtschaften": [
        "Regionale Wertschöpfung",
        "Sanfter Tourismus",
        "Kreislaufwirtschaft",
    ],
    "strukturwandel-strukturen": ["Förderprogramme verstehen", "Beteiligung im Strukturwandel"],
    "engagement-zivilgesellschaft": ["Jugendbeteiligung", "Stiftungen & Engagement", "Netzwerke"],
}
SUGGESTION_TEXTS = [
    "Wie kommen Vereine an Fördermittel aus dem Strukturwandel?",
    "Erfahrungen mit Bürgerenergiegenossenschaften austauschen",
    "Was wird aus den Tagebauseen – Tourismus oder Natur?",
    "Wie erreichen wir junge Menschen im ländlichen Raum?",
    "Rufbus und Carsharing im Dorf: was funktioniert?",
    "Leerstand als Chance: Coworking auf dem Land",
    "Wer entscheidet eigentlich über die Strukturmittel?",
    "Regionale Lebensmittel in Kantinen und Schulen",
]
STATES = [("sachsen", 55), ("sachsen-anhalt", 22), ("thueringen", 15), ("other", 5), (None, 3)]


class DemoRefused(DomainError):
    """The target database holds real data; demo data is not mixed in silently."""


@dataclass(frozen=True)
class DemoScale:
    meetings: int = 20
    people: int = 350
    registrations: int | None = None  # None: 15–60 per meeting, as in a real series
    suggestions: int = 120
    votes: int = 600
    offers: int = 30
    # Regional series running side by side (same Mondays), so that hundreds of meetings
    # span a few years instead of decades.
    series: int = 1


REGIONS = ["Leipzig", "Lausitz", "Mitteldeutsches Revier", "Halle", "Altenburger Land", "Zeitz"]

SCALES = {
    # One series as it runs today: a few years of meetings, dozens of people each.
    "standard": DemoScale(),
    # A network of regional series on one installation (the benchmark's large case).
    "netzwerk": DemoScale(
        meetings=300,
        people=60_000,
        registrations=200_000,
        suggestions=20_000,
        votes=50_000,
        offers=1_500,
        series=6,
    ),
}


@dataclass(frozen=True)
class DemoReport:
    meetings: int
    registrations: int
    suggestions: int
    votes: int
    offers: int


def has_activity(engine: Engine) -> bool:
    with session_scope(engine) as s:
        for model in (Registration, Suggestion, ImpulseOffer):
            if s.exec(select(func.count()).select_from(model)).one():
                return True
    return False


def is_demo(engine: Engine) -> bool:
    with session_scope(engine) as s:
        return s.get(SiteSetting, DEMO_KEY) is not None


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _bulk(session, model, rows: list[dict], chunk: int = 10_000) -> None:
    """Core executemany (batched into multi-row INSERTs), much faster than ORM bulk."""
    connection = session.connection()
    for start in range(0, len(rows), chunk):
        connection.execute(insert(model.__table__), rows[start : start + chunk])


def generate(
    engine: Engine,
    *,
    now: datetime,
    seed: int = 2021,
    scale: DemoScale = DemoScale(),
    force: bool = False,
) -> DemoReport:
    """Fill a migrated and seeded database with a synthetic history up to ``now``."""
    if is_demo(engine) and not force:
        raise DemoRefused(
            "Diese Datenbank enthält schon Demo-Daten. Für andere Demo-Daten bitte eine leere "
            "Datenbank verwenden (oder --force)."
        )
    if has_activity(engine) and not force:
        raise DemoRefused(
            "Diese Datenbank enthält schon Anmeldungen, Vorschläge oder Angebote. Demo-Daten "
            "werden nicht unbemerkt in echte Daten gemischt (erzwingen mit --force)."
        )
    rng = random.Random(seed)
    with session_scope(engine) as session, write_transaction(session):
        salt = session.get(SiteSetting, "participant_salt").value.encode()
        fields = session.exec(select(TopicField.id, TopicField.slug)).all()
        field_ids = [fid for fid, _ in fields]
        slug_of = dict(fields)
        # Meetings every six weeks on Monday 17:00, ending a little after "now"; with
        # several regional series, each Monday has one meeting per series.
        series = max(1, min(scale.series, scale.meetings))
        rounds = -(-scale.meetings // series)
        weeks = 6 * rounds
        first_day = (now - timedelta(weeks=weeks - 8)).astimezone(BERLIN).date()
        rounds_dates = propose_series(first_day=first_day, count=rounds, every_weeks=6)
        dates = [p for p in rounds_dates for _ in range(series)][: scale.meetings]
        # The seed's own meetings (2021/22) never took place in this invented history: they
        # would count as held meetings nobody came to and pull every average down.
        session.exec(
            delete(Meeting).where(
                Meeting.starts_at < dates[0].starts_at,
                ~exists().where(Registration.meeting_id == Meeting.id),
            )
        )
        meeting_rows = []
        for i, proposal in enumerate(dates):
            field_id = field_ids[(i * 3 + rng.randrange(2)) % len(field_ids)]
            theme = rng.choice(THEMES.get(slug_of[field_id], ["Austausch"]))
            past = proposal.ends_at < now
            capacity = rng.choice([None, None, 40, 60])
            if scale.registrations and capacity:
                # Large variants: room for most people, so there are waitlists, not only.
                share = scale.registrations // scale.meetings
                capacity = max(capacity, int(share * rng.uniform(0.7, 1.2)))
            meeting_rows.append(
                {
                    "theme": theme,
                    "description": f"Demo-Treffen {i + 1}: Austausch zu „{theme}“."
                    + (
                        f" Regionalgruppe {REGIONS[i % series % len(REGIONS)]}."
                        if series > 1
                        else ""
                    ),
                    "starts_at": proposal.starts_at,
                    "ends_at": proposal.ends_at,
                    "primary_topic_field_id": field_id,
                    "registration_state": (
                        RegistrationState.CLOSED if past else RegistrationState.OPEN
                    ),
                    "capacity": capacity,
                    "online_link": "https://zoom.us/j/00000000000",
                    "documentation_url": "https://example.org/dokumentation" if past else None,
                    "documentation_text": "Protokoll des Demo-Treffens." if past else None,
                    "status": (MeetingStatus.HELD if past else MeetingStatus.PLANNED)
                    if rng.random() > 0.04 or not past
                    else MeetingStatus.CANCELLED,
                    "unregistered_attendees": rng.randrange(0, 4) if past else 0,
                    "created_at": proposal.starts_at - timedelta(days=60),
                    "updated_at": proposal.starts_at - timedelta(days=60),
                }
            )
        ids = (
            session.execute(
                insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True), meeting_rows
            )
            .scalars()
            .all()
        )
        demo_meetings = [
            (mid, row["starts_at"], row["capacity"], row["status"], row["ends_at"])
            for mid, row in zip(ids, meeting_rows, strict=True)
        ]
        primary = {
            m[0]: row["primary_topic_field_id"]
            for m, row in zip(demo_meetings, meeting_rows, strict=True)
        }
        further = []
        for meeting_id, field_id in primary.items():
            others = [f for f in field_ids if f != field_id]
            if others and rng.random() < 0.3:
                further.append({"meeting_id": meeting_id, "topic_field_id": rng.choice(others)})
        if further:
            _bulk(session, MeetingTopicField, further)
        # People: a pool; some come often, most once or twice.
        people = []
        for n in range(scale.people):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{n}@demo.example".lower()
            people.append(
                {
                    "name": f"{first} {last}",
                    "email": email,
                    "key": hmac.new(salt, email_key(email).encode(), hashlib.sha256).hexdigest(),
                    "org": rng.choice(ORGS),
                    "state": _weighted(rng, STATES),
                    "loyalty": rng.random() ** 2,
                }
            )
        registrations = []
        per_meeting = None
        if scale.registrations is not None:
            per_meeting = max(1, scale.registrations // max(1, len(demo_meetings)))
        extra = (scale.registrations or 0) - (per_meeting or 0) * len(demo_meetings)
        for index, (meeting_id, starts_at, capacity, status, _ends_at) in enumerate(demo_meetings):
            wanted = (per_meeting + (index < extra)) if per_meeting else rng.randint(15, 60)
            chosen = set()
            attempts = 0
            while len(chosen) < min(wanted, len(people)) and attempts < wanted * 20:
                attempts += 1
                person = rng.randrange(len(people))
                if rng.random() < 0.25 + people[person]["loyalty"]:
                    chosen.add(person)
            held = status == MeetingStatus.HELD
            confirmed = 0
            for order, person in enumerate(sorted(chosen, key=lambda _: rng.random())):
                p = people[person]
                if capacity is not None and confirmed >= capacity:
                    reg_status = RegistrationStatus.WAITLISTED
                elif rng.random() < 0.08:
                    reg_status = RegistrationStatus.CANCELLED
                else:
                    reg_status = RegistrationStatus.CONFIRMED
                    confirmed += 1
                attendance = Attendance.UNKNOWN
                if held and reg_status == RegistrationStatus.CONFIRMED:
                    attendance = Attendance.YES if rng.random() < 0.72 else Attendance.NO
                created = starts_at - timedelta(days=21) + timedelta(minutes=order * 37)
                registrations.append(
                    {
                        "meeting_id": meeting_id,
                        "name": p["name"],
                        "email": p["email"],
                        "email_normalized": email_key(p["email"]),
                        "organisation": p["org"],
                        "federal_state": p["state"],
                        "consent_at": created,
                        "status": reg_status,
                        "token_hash": hashlib.sha256(
                            f"demo:{seed}:{meeting_id}:{person}".encode()
                        ).hexdigest(),
                        "attendance": attendance,
                        "participant_key": p["key"],
                        "created_at": created,
                        "cancelled_at": created + timedelta(days=3)
                        if reg_status == RegistrationStatus.CANCELLED
                        else None,
                        "anonymised_at": None,
                    }
                )
        _bulk(session, Registration, registrations)
        # Suggestions with votes, offers in every state.
        span = max((now - dates[0].starts_at).days, 30)
        suggestion_rows = []
        for n in range(scale.suggestions):
            created = now - timedelta(days=rng.randrange(span), hours=rng.randrange(24))
            state = _weighted(
                rng,
                [
                    (ModerationState.APPROVED, 70),
                    (ModerationState.PENDING, 12),
                    (ModerationState.REJECTED, 10),
                    (ModerationState.MERGED, 8),
                ],
            )
            suggestion_rows.append(
                {
                    "text": f"{rng.choice(SUGGESTION_TEXTS)} (#{n + 1})",
                    "kind": rng.choice(list(SuggestionKind)),
                    "topic_field_id": rng.choice([*field_ids, None]),
                    "author_name": rng.choice([None, rng.choice(FIRST_NAMES)]),
                    "state": state,
                    "votes": 0,
                    "created_at": created,
                    "moderated_at": None
                    if state == ModerationState.PENDING
                    else created + timedelta(days=1),
                }
            )
        if suggestion_rows:
            _bulk(session, Suggestion, suggestion_rows)
        approved = session.exec(
            select(Suggestion.id, Suggestion.created_at).where(
                Suggestion.state == ModerationState.APPROVED
            )
        ).all()
        votes, seen = [], set()
        attempts = 0
        while approved and len(votes) < scale.votes and attempts < scale.votes * 5:
            attempts += 1
            sid, created = (
                approved[min(int(rng.paretovariate(1.2)) - 1, len(approved) - 1)]
                if rng.random() < 0.6
                else rng.choice(approved)
            )
            voter = f"demo-{seed}-{rng.randrange(scale.people * 2)}"
            if (sid, voter) in seen:
                continue
            seen.add((sid, voter))
            votes.append(
                {
                    "suggestion_id": sid,
                    "voter_key": voter,
                    "created_at": created + timedelta(days=2),
                }
            )
        _bulk(session, SuggestionVote, votes)
        # The vote counter is derived from the vote rows, in SQL.
        vote_count = (
            select(func.count())
            .select_from(SuggestionVote)
            .where(SuggestionVote.suggestion_id == Suggestion.id)
            .scalar_subquery()
        )
        session.exec(update(Suggestion).values(votes=vote_count))
        offers = []
        for n in range(scale.offers):
            created = now - timedelta(days=rng.randrange(span))
            p = rng.choice(people)
            offers.append(
                {
                    "title": f"Projektvorstellung {n + 1}: {rng.choice(SUGGESTION_TEXTS)[:60]}",
                    "description": "Kurze Vorstellung eines Projekts aus dem Revier (Demo).",
                    "name": p["name"],
                    "organisation": p["org"],
                    "email": p["email"],
                    "topic_field_id": rng.choice([*field_ids, None]),
                    "preferred_meeting_id": None,
                    "state": _weighted(
                        rng,
                        [
                            (OfferState.SUBMITTED, 30),
                            (OfferState.IN_DISCUSSION, 20),
                            (OfferState.ACCEPTED, 35),
                            (OfferState.DECLINED, 15),
                        ],
                    ),
                    "internal_note": "",
                    "created_at": created,
                    "updated_at": created,
                }
            )
        if offers:
            _bulk(session, ImpulseOffer, offers)
        if session.get(SiteSetting, DEMO_KEY) is None:
            session.add(SiteSetting(key=DEMO_KEY, value=f"seed={seed}"))
        report = DemoReport(
            meetings=len(demo_meetings),
            registrations=len(registrations),
            suggestions=len(suggestion_rows),
            votes=len(votes),
            offers=len(offers),
        )
    return report
