"""No visitor input can break a team page.

A Hypothesis state machine plays what visitors do through the real services (impulse
offers and suggestions with and without a topic field, "+1" votes, registrations with
and without the confirmation link, cancellations) and what the team does in reply
(moderation, offer decisions, planned, cancelled and held meetings, attendance by hand
and from a Zoom report, erasure, the retention period), while the clock moves on. Texts
are what visitors type, hostile ones included. After each generated sequence every
dashboard and planning figure is computed and charted, then every team page runs in
AppTest as a logged-in organizer, with each tab, state filter and meeting it can show.

On SQLite and on PostgreSQL, each example on a fresh copy of the seeded database.
``STAMMTISCH_SEQUENCE_EXAMPLES`` asks for more examples than the default (a deeper run).
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import streamlit
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import MetaData, text
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from stammtisch import (
    analytics,
    imports,
    meeting_admin,
    meetings,
    moderation,
    offer_review,
    offers,
    organizers,
    planning,
    privacy,
    registration_admin,
    registrations,
    suggestions,
)
from stammtisch.bootstrap import init_database
from stammtisch.db import make_engine, session_scope
from stammtisch.errors import DomainError, NeedsConfirmation
from stammtisch.models import (
    MeetingStatus,
    ModerationState,
    OfferState,
    TopicField,
)
from tests import factories as f
from tests.conftest import SEED_NOW, TEMPLATE_DB, TEST_DBS, _pg_database
from tests.pages.conftest import APP, start_session

ORGA_PAGES = [
    "pages/orga_dashboard.py",
    "pages/orga_planung.py",
    "pages/orga_termine.py",
    "pages/orga_moderation.py",
    "pages/orga_impulse.py",
    "pages/orga_anmeldungen.py",
    "pages/orga_datenschutz.py",
    "pages/orga_postausgang.py",
    "pages/orga_protokoll.py",
]
PASSWORD = "ein-sehr-langes-passwort"

# What visitors have typed into forms, and what attackers try: Markdown and HTML that
# would load or link something, Streamlit directives, formulas, bidi controls, emoji.
HOSTILE = [
    "![](http://tracker.example/x)",
    "<img src=x onerror=alert(1)> <script>alert(1)</script>",
    "**fett** _kursiv_ `code` [Link](http://evil.example) :red[rot] $x^2$",
    '=HYPERLINK("http://evil.example";"klick")',
    "Müller-Lüdenscheidt (Bürgerinitiative „Heimat“)",
    "\u202egnuldiehcstnE\u202c und \u200b Leerzeichen",
    "Kohle 🏭 → Wind 🌬️ & Sonne ☀️ #Strukturwandel",
    "a" * 300,
    "# Überschrift\n\n- Liste\n> Zitat",
    "Robert'); DROP TABLE suggestion;--",
]
visitor_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=0, max_size=120),
    st.tuples(st.sampled_from(HOSTILE), st.text(max_size=40)).map("".join),
)
field_choice = st.one_of(st.none(), st.integers(0, 4))  # None: "weiß nicht"
people = st.integers(0, 7)  # a few people who come back


class Snapshot:
    """The seeded database's rows, put back before each example.

    On SQLite a file copy does it; PostgreSQL needs a second or more to create a database
    from a template, so there each example empties the tables and inserts the rows again.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        engine = make_engine(url)
        meta = MetaData()
        meta.reflect(engine)
        self.tables = [t for t in meta.sorted_tables if t.name != "alembic_version"]
        with engine.connect() as conn:
            self.rows = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in self.tables
            }
        engine.dispose()

    def restore(self) -> None:
        engine = make_engine(self.url)
        names = ", ".join(t.name for t in self.tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in self.tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
                if "id" in table.c and table.c.id.autoincrement is not False:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"coalesce(max(id), 0) + 1, false) FROM {table.name}"
                        )
                    )
        engine.dispose()


def _fresh(kind: str, template):
    """A database in the seeded state for one example: its URL and how to clean up."""
    if kind == "postgresql":
        template.restore()
        return template.url, lambda: None
    target = template.replace("seeded.db", f"ex-{uuid.uuid4().hex[:8]}.db")
    shutil.copy(template, target)

    def remove() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)

    return f"sqlite:///{target}", remove


@pytest.fixture(params=TEST_DBS)
def seeded_template(request, tmp_path):
    """The seed and an organizer account: a file to copy per example (SQLite), or a
    database with a snapshot to restore per example (PostgreSQL)."""
    if request.param == "sqlite":
        path = tmp_path / "seeded.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        _seed(f"sqlite:///{path}")
        yield "sqlite", str(path)
        return
    with _pg_database(request.getfixturevalue("pg_server"), TEMPLATE_DB) as url:
        _seed(url)
        yield "postgresql", Snapshot(url)


def _seed(url: str) -> None:
    engine = make_engine(url)
    init_database(engine, now=SEED_NOW)
    with session_scope(engine) as s:
        organizers.add_organizer(
            session=s, name="orga", password=PASSWORD, now=SEED_NOW, display_name="Leon Huff"
        )
    engine.dispose()


REFUSED = object()  # what a service call answers when the service refused it


class VisitorSequence(RuleBasedStateMachine):
    """One example: a fresh copy of the seeded database, then steps by visitors and team.

    The clock starts where the seed's web page stood (one meeting open, one held) with one
    more open meeting of two places (so people land on the waitlist); meetings the team
    plans, cancels or holds and the time that passes make the rest of the history.
    """

    kind: str
    template = None

    suggestions = Bundle("suggestions")
    offers = Bundle("offers")
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        self.url, self._drop = _fresh(self.kind, self.template)
        self.engine = make_engine(self.url)
        self.now = SEED_NOW
        with session_scope(self.engine) as s:
            self.fields = list(s.exec(select(TopicField.id).order_by(TopicField.position)).all())
            [view] = [o for o in organizers.list_organizers(session=s) if o.name == "orga"]
        self.actor = organizers.OrganizerIdentity(
            id=view.id, name=view.name, display_name=view.display_name
        )
        self.plan_meeting(days=3, field=0, capacity=2, further=[1])
        self.registration_ids: list[int] = []

    # -- helpers --------------------------------------------------------------------

    def _meetings(self) -> list[int]:
        with session_scope(self.engine) as s:
            return [m.id for m in meeting_admin.list_meetings(session=s, actor=self.actor)]

    def _open_meetings(self) -> list[int]:
        with session_scope(self.engine) as s:
            return [
                m.id
                for m in meetings.list_upcoming(session=s, now=self.now)
                if m.accepts_registrations(self.now)
            ]

    def _meeting(self, choice: int) -> int:
        ids = self._meetings()
        return ids[choice % len(ids)]

    def _begun_meeting(self, choice: int) -> int:
        with session_scope(self.engine) as s:
            ids = [
                m.id
                for m in meeting_admin.list_meetings(session=s, actor=self.actor)
                if m.starts_at <= self.now and m.status != MeetingStatus.CANCELLED
            ]
        return ids[choice % len(ids)] if ids else self._meeting(choice)

    def _field(self, choice: int | None) -> int | None:
        return None if choice is None else self.fields[choice % len(self.fields)]

    def _call(self, fn, **kwargs):
        """A service call; a refusal the service explains (DomainError) is an answer too,
        and a question to confirm (NeedsConfirmation) is answered with yes."""
        try:
            try:
                with session_scope(self.engine) as s:
                    return fn(session=s, now=self.now, **kwargs)
            except NeedsConfirmation as asked:
                with session_scope(self.engine) as s:
                    return fn(session=s, now=self.now, notify_count=asked.count, **kwargs)
        except DomainError:
            return REFUSED

    # -- visitors -------------------------------------------------------------------

    @rule(
        target=suggestions,
        body=visitor_text,
        field=field_choice,
        author=visitor_text,
        published=st.booleans(),
        voters=st.integers(0, 3),
    )
    def suggest(self, body, field, author, published, voters):
        """A suggestion; often the team publishes it right away and people vote."""
        data = suggestions.SuggestionInput(
            text=f"Vorschlag: {body}", topic_field_id=self._field(field), author_name=author[:120]
        )
        suggestion_id = self._call(suggestions.submit_suggestion, data=data)
        if suggestion_id is REFUSED:
            return 0
        if published:
            self.moderate(suggestion_id, ModerationState.APPROVED)
            for voter in range(voters):
                self.vote(suggestion_id, voter)
        return suggestion_id

    @rule(
        target=offers,
        title=visitor_text,
        body=visitor_text,
        name=visitor_text,
        field=field_choice,
        n=people,
    )
    def offer(self, title, body, name, field, n):
        data = offers.ImpulseOfferInput(
            title=f"Impuls {title}",
            description=f"Worum es geht, ausführlich genug: {body}",
            name=f"P {name}"[:120],
            email=f"person{n}@example.org",
            organisation=name[:200] or None,
            topic_field_id=self._field(field),
        )
        offer_id = self._call(offers.submit_impulse_offer, data=data)
        return 0 if offer_id is REFUSED else offer_id

    @rule(suggestion=suggestions, voter=st.integers(0, 5))
    def vote(self, suggestion, voter):
        self._call(suggestions.vote, suggestion_id=suggestion, voter_key=f"v{voter}")

    @rule(
        target=tokens,
        meeting=st.integers(0, 20),
        who=st.lists(people, min_size=1, max_size=4),
        name=visitor_text,
        state=st.sampled_from(["sachsen", "sachsen-anhalt", "thueringen", "other", None]),
        confirm=st.booleans(),
    )
    def register(self, meeting, who, name, state, confirm):
        """People register for an open meeting; usually they confirm by the mail's link.
        Returns the last person's token (for a later confirmation or cancellation)."""
        open_ids = self._open_meetings() or self._meetings()
        meeting_id = open_ids[meeting % len(open_ids)]
        token = "-"
        for n in who:
            data = registrations.RegistrationInput(
                name=f"P {name}"[:120],
                email=f"person{n}@example.org",
                organisation=name[:200] or None,
                federal_state=state,
                consent=True,
            )
            receipt = self._call(registrations.register, meeting_id=meeting_id, data=data)
            if receipt is REFUSED:
                continue
            token = f.link_token(self.engine, data.email)
            if confirm:
                self.confirm(token)
        return token

    @rule(token=tokens)
    def confirm(self, token):
        receipt = self._call(registrations.confirm, token=token)
        if receipt is not REFUSED:
            self.registration_ids.append(receipt.registration_id)

    @rule(token=tokens)
    def cancel(self, token):
        self._call(registrations.cancel, token=token)

    # -- the team -------------------------------------------------------------------

    @rule(
        suggestion=suggestions,
        state=st.sampled_from([ModerationState.APPROVED, ModerationState.REJECTED]),
    )
    def moderate(self, suggestion, state):
        self._call(moderation.decide, actor=self.actor, suggestion_id=suggestion, to_state=state)

    @rule(suggestion=suggestions, field=field_choice)
    def refile(self, suggestion, field):
        self._call(
            moderation.set_topic_field,
            actor=self.actor,
            suggestion_id=suggestion,
            topic_field_id=self._field(field),
        )

    @rule(duplicate=suggestions, into=suggestions)
    def merge(self, duplicate, into):
        self._call(moderation.merge, actor=self.actor, duplicate_id=duplicate, target_id=into)

    @rule(
        offer=offers,
        state=st.sampled_from([OfferState.IN_DISCUSSION, OfferState.DECLINED]),
        message=visitor_text,
        note=visitor_text,
    )
    def review(self, offer, state, message, note):
        self._call(offer_review.set_note, actor=self.actor, offer_id=offer, note=note)
        self._call(
            offer_review.move, actor=self.actor, offer_id=offer, to_state=state, message=message
        )

    @rule(offer=offers, meeting=st.integers(0, 20))
    def accept(self, offer, meeting):
        open_ids = self._open_meetings() or self._meetings()
        data = offer_review.AcceptInput(
            meeting_id=open_ids[meeting % len(open_ids)],
            title=f"Impuls angenommen {offer}",
            presenter="Vortragende Person",
        )
        self._call(offer_review.accept, actor=self.actor, offer_id=offer, data=data)

    @rule(
        days=st.integers(-40, 90),
        field=st.integers(0, 4),
        capacity=st.one_of(st.none(), st.integers(1, 4)),
        further=st.lists(st.integers(0, 4), max_size=2),
    )
    def plan_meeting(self, days, field, capacity, further):
        start = (self.now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        data = meetings.MeetingInput(
            theme=f"Treffen in {days} Tagen",
            description="Worum es geht.",
            starts_at=start,
            ends_at=start + timedelta(minutes=90),
            primary_topic_field_id=self._field(field),
            further_topic_field_ids=sorted({self._field(i) for i in further}),
            registration_state="open",
            capacity=capacity,
            online_link="https://zoom.us/j/123456789",
        )
        self._call(meeting_admin.create_meeting, actor=self.actor, data=data)

    @rule(
        meeting=st.integers(0, 20),
        status=st.sampled_from([MeetingStatus.CANCELLED, MeetingStatus.HELD]),
    )
    def set_status(self, meeting, status):
        self._call(
            meeting_admin.set_status,
            actor=self.actor,
            meeting_id=self._meeting(meeting),
            status=status,
        )

    @precondition(lambda self: self.registration_ids)
    @rule(pick=st.integers(0, 50), value=st.sampled_from(["yes", "no", "unknown"]))
    def attendance(self, pick, value):
        self._call(
            registration_admin.set_attendance,
            actor=self.actor,
            registration_ids=[self.registration_ids[pick % len(self.registration_ids)]],
            attendance=value,
        )

    @rule(
        meeting=st.integers(0, 20),
        rows=st.lists(st.tuples(visitor_text, people, st.integers(0, 200)), max_size=6),
    )
    def zoom_report(self, meeting, rows):
        """The team imports a Zoom report: names as typed into Zoom, known and unknown."""
        lines = ["Name (Original Name),User Email,Duration (Minutes)"]
        for name, n, minutes in rows:
            cell = name.replace('"', '""')
            lines.append(f'"{cell}",person{n}@example.org,{minutes}')
        try:
            report = imports.parse_zoom_report("\n".join(lines).encode())
        except DomainError:
            return
        self._call(
            imports.apply_import,
            actor=self.actor,
            meeting_id=self._begun_meeting(meeting),
            report=report,
            replace_recorded=True,
        )

    @precondition(lambda self: self.registration_ids)
    @rule(n=people)
    def erase(self, n):
        self._call(privacy.erase_person, actor=self.actor, email=f"person{n}@example.org")

    @rule(days=st.integers(1, 90))
    def time_passes(self, days):
        self.now += timedelta(days=days)
        self._call(privacy.apply_retention, actor=self.actor)

    # -- what must hold ------------------------------------------------------------

    def teardown(self):
        """After the sequence: every figure and chart, then every team page."""
        try:
            check_figures(self.engine, self.now, self.fields)
            run_team_pages(self.url, self.now, self._meetings())
        finally:
            self.engine.dispose()
            streamlit.cache_data.clear()
            streamlit.cache_resource.clear()
            self._drop()


def check_figures(engine, now, fields) -> None:
    """Every dashboard and planning function, and the charts built from them."""
    from ui.charts import heat_chart

    with session_scope(engine) as s:
        for field in (None, fields[0]):
            stats = analytics.meeting_stats(
                session=s, filters=analytics.Filters(topic_field_id=field)
            )
            analytics.key_figures(stats, now=now)
            analytics.registrations_by_topic_field(stats)
        analytics.inflow_per_month(session=s)
        coverage = planning.coverage(session=s, now=now)
        heat = planning.coverage_by_quarter(session=s, now=now)
    for weights in (planning.Weights(), planning.Weights(0, 0, 0, 0, 0)):
        planning.rank_topic_fields(coverage, weights)
    heat_chart(heat, list(coverage["topic_field"])).to_dict()


def run_team_pages(url: str, now, meeting_ids: list[int]) -> None:
    """Every team page as a logged-in organizer, with what each can show."""
    env = {"DATABASE_URL": url, "STAMMTISCH_NOW": now.isoformat()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        engine = make_engine(url)
        with session_scope(engine) as s:
            [view] = [o for o in organizers.list_organizers(session=s) if o.name == "orga"]
        engine.dispose()
        identity = organizers.OrganizerIdentity(
            id=view.id, name=view.name, display_name=view.display_name
        )
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["organizer.session"] = start_session(url, identity)
        at.run()

        def show(page: str | None = None, **state) -> None:
            for key, value in state.items():
                at.session_state[key] = value
            (at.switch_page(page) if page else at).run()
            assert not at.exception, (page, state, at.exception)

        for page in ORGA_PAGES:
            show(page)
        show("pages/orga_dashboard.py", **{"dash.span": "all"})
        for tab in ("Anmeldungen", "Teilnahme", "Reichweite", "Eingänge"):
            show(**{"dash.tab": tab})
        show("pages/orga_moderation.py")
        for state in ModerationState:
            show(**{"mod.state": state.value})
        show("pages/orga_impulse.py")
        for state in OfferState:
            show(**{"offers.state": state.value})
        show("pages/orga_anmeldungen.py")
        for meeting_id in meeting_ids:
            show(**{"reg.meeting": meeting_id})
    finally:
        from ui import core

        core.engine().dispose()  # the app's engine for this database (cached by URL)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_no_visitor_input_breaks_a_team_page(seeded_template, tmp_path, monkeypatch):
    kind, template = seeded_template
    monkeypatch.setenv("STAMMTISCH_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("STAMMTISCH_SMTP_URL", raising=False)
    monkeypatch.delenv("STAMMTISCH_CONFIRM_REGISTRATIONS", raising=False)
    machine = type("Sequence", (VisitorSequence,), {"kind": kind, "template": template})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=int(os.environ.get("STAMMTISCH_SEQUENCE_EXAMPLES", "15")),
            stateful_step_count=30,
            deadline=None,
            database=None,
            # Each example starts a database and runs the pages: slow by design.
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
