"""Property-based tests: any input gives success or a German validation error, never
another exception and never a partial write."""

from __future__ import annotations

import string

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from stammtisch import offers, registrations, richtext, site, suggestions, topics
from stammtisch.bootstrap import init_database
from stammtisch.db import make_engine, session_scope
from stammtisch.errors import AlreadyRegistered, AlreadySubmitted, ValidationError
from stammtisch.models import ImpulseOffer, Registration, Suggestion
from stammtisch.validation import email_key, fold_text
from tests import factories as f
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
        # A new address adds one pending registration; a known one adds nothing (its owner
        # is mailed instead) – either way exactly one active registration for the address.
        assert _count(prop_engine, Registration) in (before, before + 1)
        with session_scope(prop_engine) as s:
            key = email_key(validate_email(email, check_deliverability=False).normalized)
            [row] = s.exec(
                select(Registration).where(
                    Registration.email_normalized == key, Registration.status != "cancelled"
                )
            ).all()
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
    except AlreadySubmitted:  # the same text again today: kept once
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
    data = offers.ImpulseOfferInput(
        title=title,
        description=description,
        name=name,
        email=email,
        organisation=organisation,
        preferred_meeting_id=meeting,
    )
    try:
        with session_scope(prop_engine) as s:
            offers.submit_impulse_offer(session=s, data=data, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, ImpulseOffer) == before
    except AlreadySubmitted:  # the same offer from the same address today: kept once
        assert _count(prop_engine, ImpulseOffer) == before
    else:
        assert _count(prop_engine, ImpulseOffer) == before + 1


@PROPERTY
@given(name=text, description=text)
def test_topic_field_any_input(prop_engine, prop_actor, name, description):
    try:
        with session_scope(prop_engine) as s:
            topics.create_topic_field(
                session=s, actor=prop_actor, name=name, description=description, now=SEED_NOW
            )
    except ValidationError as err:
        _german(err)


@PROPERTY
@given(token=st.text(alphabet=string.printable + "äöü\x00", max_size=300))
def test_any_token_finds_nothing(prop_engine, token):
    with session_scope(prop_engine) as s:
        assert registrations.find_by_token(session=s, token=token, now=SEED_NOW) is None


@pytest.fixture(scope="module")
def prop_actor(prop_engine):
    return f.organizer(prop_engine, now=SEED_NOW, name="prop")


@PROPERTY
@given(
    theme=text,
    description=text,
    minutes=st.integers(min_value=-10_000, max_value=10_000),
    capacity=st.one_of(st.none(), st.integers(min_value=-5, max_value=20_000), st.text(max_size=5)),
    link=st.one_of(
        st.none(),
        st.sampled_from(["javascript:alert(1)", "https://zoom.us/j/1", "ftp://x", " "]),
        st.text(max_size=50),
    ),
    field=st.integers(min_value=-1, max_value=9),
    state=st.sampled_from(["open", "closed", "not_open", "bogus", ""]),
)
def test_create_meeting_any_input(
    prop_engine, prop_actor, theme, description, minutes, capacity, link, field, state
):
    from datetime import timedelta

    from stammtisch import meeting_admin
    from stammtisch.meetings import MeetingInput
    from stammtisch.models import Meeting

    before = _count(prop_engine, Meeting)
    start = SEED_NOW + timedelta(days=10)
    data = MeetingInput(
        theme=theme,
        description=description,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        primary_topic_field_id=field,
        capacity=capacity,
        online_link=link,
        registration_state=state,
    )
    try:
        with session_scope(prop_engine) as s:
            meeting_admin.create_meeting(session=s, actor=prop_actor, data=data, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, Meeting) == before
    else:
        assert _count(prop_engine, Meeting) == before + 1


@PROPERTY
@given(title=text, presenter=text, organisation=text, description=text)
def test_add_impulse_any_input(
    prop_engine, prop_actor, title, presenter, organisation, description
):
    from stammtisch import meeting_admin
    from stammtisch.meetings import ImpulseInput
    from stammtisch.models import Impulse

    before = _count(prop_engine, Impulse)
    data = ImpulseInput(
        title=title, presenter=presenter, organisation=organisation, description=description
    )
    try:
        with session_scope(prop_engine) as s:
            meeting_admin.add_impulse(
                session=s, actor=prop_actor, meeting_id=OPEN_MEETING, data=data, now=SEED_NOW
            )
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, Impulse) == before
    else:
        assert _count(prop_engine, Impulse) == before + 1


@PROPERTY
@given(data=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)))
def test_zoom_report_any_bytes(data):
    """Any file gives a parsed report or a German message, never another exception."""
    from stammtisch import imports

    try:
        report = imports.parse_zoom_report(data)
    except ValidationError as err:
        _german(err)
    else:
        assert report.rows_read >= len(report.participants)


@PROPERTY
@given(search=text, status=st.one_of(st.none(), st.sampled_from(["confirmed", "x", "%", ""])))
def test_registration_search_any_input(prop_engine, prop_actor, search, status):
    from stammtisch import registration_admin

    try:
        with session_scope(prop_engine) as s:
            page = registration_admin.list_registrations(
                session=s, actor=prop_actor, meeting_id=OPEN_MEETING, search=search, status=status
            )
    except ValidationError as err:
        _german(err)
    else:
        assert page.total >= len(page.rows)


@PROPERTY
@given(name=text, password=text)
def test_login_any_input(prop_engine, name, password):
    from stammtisch.errors import DomainError
    from stammtisch.organizers import authenticate

    with pytest.raises(DomainError) as caught, session_scope(prop_engine) as s:
        authenticate(session=s, name=name or "", password=password or "", now=SEED_NOW)
    assert caught.value.message[0].isupper()


@PROPERTY
@given(email=emails)
def test_privacy_lookup_any_address(prop_engine, prop_actor, email):
    from stammtisch import privacy

    try:
        with session_scope(prop_engine) as s:
            found = privacy.person_summary(session=s, actor=prop_actor, email=email, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
    else:
        assert found.registrations >= 0


# --- the team's own content and accounts ---------------------------------------------------


@PROPERTY
@given(name=text, description=text)
def test_new_topic_field_any_input(prop_engine, prop_actor, name, description):
    """Any name: a German message, or a field whose name another spelling cannot take."""
    try:
        with session_scope(prop_engine) as s:
            view = topics.create_topic_field(
                session=s, actor=prop_actor, name=name, description=description, now=SEED_NOW
            )
    except ValidationError as err:
        _german(err)
        return
    assert 3 <= len(view.name) <= 120 and "\n" not in view.name
    try:
        with session_scope(prop_engine) as s:
            topics.create_topic_field(
                session=s,
                actor=prop_actor,
                name=view.name.upper(),
                description="",
                now=SEED_NOW,
            )
    except ValidationError as err:
        _german(err)
    else:
        # Only where upper case is another word (e.g. "ß" → "SS" after folding differs).
        assert fold_text(view.name.upper()) != fold_text(view.name)
    with session_scope(prop_engine) as s:
        created = [tf.id for tf in topics.list_topic_fields(session=s) if tf.id >= view.id]
    for field_id in created:  # the engine is shared by every example
        with session_scope(prop_engine) as s:
            topics.delete_topic_field(
                session=s, actor=prop_actor, topic_field_id=field_id, now=SEED_NOW
            )


@PROPERTY
@given(name=text, description=text)
def test_rename_topic_field_any_input(prop_engine, prop_actor, name, description):
    with session_scope(prop_engine) as s:
        field_id = topics.list_topic_fields(session=s)[0].id
    try:
        with session_scope(prop_engine) as s:
            view = topics.update_topic_field(
                session=s,
                actor=prop_actor,
                topic_field_id=field_id,
                name=name,
                description=description,
                now=SEED_NOW,
            )
    except ValidationError as err:
        _german(err)
    else:
        assert view.id == field_id and 3 <= len(view.name) <= 120 and "\n" not in view.name


@PROPERTY
@given(name=text, description=text)
def test_topic_field_from_suggestion_any_input(prop_engine, prop_actor, name, description):
    sid = f.suggestion(prop_engine, now=SEED_NOW)
    try:
        with session_scope(prop_engine) as s:
            view = topics.topic_field_from_suggestion(
                session=s,
                actor=prop_actor,
                suggestion_id=sid,
                name=name,
                description=description,
                now=SEED_NOW,
            )
    except ValidationError as err:
        _german(err)
        with session_scope(prop_engine) as s:
            assert s.get(Suggestion, sid).topic_field_id is None  # nothing half done
    else:
        with session_scope(prop_engine) as s:
            assert s.get(Suggestion, sid).topic_field_id == view.id


@PROPERTY
@given(key=st.sampled_from(site.TEXT_KEYS), value=text)
def test_page_text_any_input(prop_engine, prop_actor, key, value):
    try:
        with session_scope(prop_engine) as s:
            saved = site.set_texts(session=s, actor=prop_actor, values={key: value}, now=SEED_NOW)
    except ValidationError as err:
        _german(err)
        assert set(err.errors) == {key}
    else:
        with session_scope(prop_engine) as s:
            stored = site.site_texts(session=s)[key]
        assert len(stored) <= site.TEXT_SPECS[key].max and all(
            w.endswith(".") for w in saved.warnings
        )
        assert richtext.problems(stored) == [] if key in site.MARKUP_KEYS else True
        if site.TEXT_SPECS[key].kind == site.URL and stored:
            assert stored.startswith(("http://", "https://"))


@pytest.fixture(scope="module")
def prop_admin(prop_engine):
    return f.organizer(prop_engine, now=SEED_NOW, name="prop-admin", admin=True)


@PROPERTY
@given(name=text, display_name=text, email=emails, admin=st.booleans())
def test_invite_any_input(prop_engine, prop_admin, name, display_name, email, admin):
    from stammtisch import organizers
    from stammtisch.models import Organizer

    before = _count(prop_engine, Organizer)
    try:
        with session_scope(prop_engine) as s:
            link = organizers.invite_organizer(
                session=s,
                actor=prop_admin,
                name=name,
                display_name=display_name,
                email=email,
                admin=admin,
                now=SEED_NOW,
            )
    except ValidationError as err:
        _german(err)
        assert _count(prop_engine, Organizer) == before
    else:
        assert _count(prop_engine, Organizer) == before + 1
        assert link.account.is_admin == admin and not link.account.has_password


@PROPERTY
@given(
    token=st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "x" * 500])),
    password=text,
    repeat=text,
)
def test_set_password_link_any_input(prop_engine, token, password, repeat):
    from stammtisch import organizers
    from stammtisch.errors import DomainError

    with pytest.raises(DomainError) as caught, session_scope(prop_engine) as s:
        organizers.redeem_password_link(
            session=s,
            token=token,
            password=password or "",
            password_repeat=repeat or "",
            now=SEED_NOW,
        )
    assert caught.value.message[0].isupper()
    with session_scope(prop_engine) as s:
        assert organizers.password_link_account(session=s, token=token, now=SEED_NOW) is None
