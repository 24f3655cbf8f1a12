"""Property-based tests: any input gives success or a German validation error, never
another exception and never a partial write."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from stammtisch import impulses, registrations, suggestions, topics
from stammtisch.bootstrap import init_database
from stammtisch.db import make_engine, session_scope
from stammtisch.errors import AlreadyRegistered, ValidationError
from stammtisch.models import ImpulseOffer, Registration, Suggestion
from tests.conftest import SEED_NOW

OPEN_MEETING = 2
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "**fett**",
    "# Titel",
    "\x00\x1b[31m",
    "\u202eevil",
    "a" * 10_000,
    "",
    "   ",
    '=HYPERLINK("http://x")',
]

text = st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE), st.none())
emails = st.one_of(
    st.emails(), st.text(max_size=80), st.sampled_from(["a@b", "@x.de", "x@", "ä@ö.de", ""])
)
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def prop_engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}")
    init_database(engine, now=SEED_NOW)
    yield engine
    engine.dispose()


def _count(engine, table) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def _german(err: ValidationError) -> None:
    assert err.errors
    for message in err.errors.values():
        assert message and message[0].isupper() and message.endswith((".", ")"))


@PROPERTY
@given(
    name=text,
    email=emails,
    organisation=text,
    state=st.one_of(st.none(), st.sampled_from(["sachsen", "bayern", "", "x" * 50])),
    consent=st.one_of(st.booleans(), st.none(), st.just("ja")),
)
def test_register_any_input(prop_engine, name, email, organisation, state, consent):
    before = _count(prop_engine, Registration)
    data = registrations.RegistrationInput(
        name=name, email=email, organisation=organisation, federal_state=state, consent=consent
    )
    try:
        with session_scope(prop_engine) as s:
            registrations.register(session=s, meeting_id=OPEN_MEETING, data=data, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, Registration) == before
    except AlreadyRegistered:
        assert _count(prop_engine, Registration) == before
    else:
        assert _count(prop_engine, Registration) == before + 1
        with session_scope(prop_engine) as s:
            row = s.exec(select(Registration).order_by(Registration.id.desc())).first()
        assert all(ch not in (row.name or "") for ch in "\x00\x1b\u202e")
        assert len(row.name) <= 120


@PROPERTY
@given(
    text_value=text,
    kind=st.one_of(st.sampled_from(["topic", "question", "idea", "spam", ""]), st.none()),
    author=text,
    topic=st.one_of(st.none(), st.integers(min_value=-5, max_value=50)),
)
def test_suggest_any_input(prop_engine, text_value, kind, author, topic):
    before = _count(prop_engine, Suggestion)
    data = suggestions.SuggestionInput(
        text=text_value, kind=kind, topic_field_id=topic, author_name=author
    )
    try:
        with session_scope(prop_engine) as s:
            suggestions.submit_suggestion(session=s, data=data, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, Suggestion) == before
    else:
        assert _count(prop_engine, Suggestion) == before + 1


@PROPERTY
@given(
    title=text,
    description=text,
    name=text,
    email=emails,
    organisation=text,
    meeting=st.one_of(st.none(), st.integers(min_value=-1, max_value=9)),
)
def test_offer_any_input(prop_engine, title, description, name, email, organisation, meeting):
    before = _count(prop_engine, ImpulseOffer)
    data = impulses.ImpulseOfferInput(
        title=title,
        description=description,
        name=name,
        email=email,
        organisation=organisation,
        preferred_meeting_id=meeting,
    )
    try:
        with session_scope(prop_engine) as s:
            impulses.submit_impulse_offer(session=s, data=data, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, ImpulseOffer) == before
    else:
        assert _count(prop_engine, ImpulseOffer) == before + 1


@PROPERTY
@given(name=text, description=text)
def test_topic_field_any_input(prop_engine, name, description):
    try:
        with session_scope(prop_engine) as s:
            topics.create_topic_field(session=s, name=name, description=description, now=SEED_NOW)
    except ValidationError as err:
        _german(err)


@PROPERTY
@given(token=st.text(alphabet=string.printable + "äöü\x00", max_size=300))
def test_any_token_finds_nothing(prop_engine, token):
    with session_scope(prop_engine) as s:
        assert registrations.find_by_token(session=s, token=token) is None
