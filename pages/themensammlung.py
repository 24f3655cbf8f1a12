"""Themensammlung: visitors suggest topics, questions and ideas, and support others."""

from __future__ import annotations

import secrets
from collections import defaultdict

import streamlit as st

from stammtisch import limits, suggestions
from stammtisch.errors import FORM, AlreadySubmitted, AlreadyVoted, NotFound
from stammtisch.formatting import format_count, format_day
from stammtisch.limits import SUGGESTION_TEXT
from stammtisch.models import SuggestionKind
from stammtisch.rate_limits import Action, RateLimited, Scope
from stammtisch.suggestions import SuggestionView
from stammtisch.tokens import hash_token
from ui import core, layout
from ui.forms import FormState
from ui.render import bring_into_view, form_error, markup, text_block

ORDERS = {"votes": "Meiste Unterstützung", "newest": "Neueste"}
PER_FIELD = 5  # shown per topic field at first
MORE = 20  # added by "Weitere anzeigen"
NO_FIELD = "Ohne Themenfeld"


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _public(
    url: str, order: str, limits: tuple[tuple[int | None, int], ...]
) -> list[SuggestionView]:
    return core.read(
        suggestions.list_public_suggestions,
        order=order,
        per_field=PER_FIELD,
        field_limits=dict(limits),
    )


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _counts(url: str) -> dict[int | None, int]:
    return core.read(suggestions.public_suggestion_counts)


def _show_more(field_id: int | None) -> None:
    limits = st.session_state.setdefault("suggest.limits", {})
    limits[field_id] = limits.get(field_id, PER_FIELD) + MORE


def _voter_key() -> str:
    """One "+1" per browser: the hash of the anonymous visitor cookie (a reload or a new
    tab keeps it); without cookies, a random key for this session."""
    browser = core.visitor_id()
    if browser is not None:
        return hash_token(browser)
    if "voter_key" not in st.session_state:
        st.session_state["voter_key"] = secrets.token_hex(16)
    return st.session_state["voter_key"]


def _voted() -> set[int]:
    return st.session_state.setdefault("voted", set())


def _vote(suggestion_id: int) -> None:
    try:
        with core.session() as s:
            suggestions.vote(
                session=s,
                suggestion_id=suggestion_id,
                voter_key=_voter_key(),
                now=core.now(),
                requester=core.requester(),
            )
    except AlreadyVoted:
        st.session_state["vote.note"] = "Sie haben diesen Vorschlag schon unterstützt."
    except RateLimited as exc:
        st.session_state["vote.note"] = exc.errors[FORM]
        return  # not counted: the button stays
    except NotFound as exc:
        st.session_state["vote.note"] = exc.message
    _voted().add(suggestion_id)
    core.data_changed()


def _submit(form: FormState) -> None:
    def action():
        form.check_honeypot()
        data = suggestions.SuggestionInput(
            text=form.value("text", ""),
            kind=form.value("kind"),
            topic_field_id=form.value("topic_field_id"),
            author_name=form.value("author_name", ""),
        )
        with core.session() as s:
            try:
                return suggestions.submit_suggestion(
                    session=s, data=data, now=core.now(), requester=core.requester()
                )
            except AlreadySubmitted as exc:  # a second click: stored once, and said so
                return exc

    form.submit(action)


def _another(form: FormState) -> None:
    """ "Noch einen Vorschlag": the form comes back empty."""
    form.reset()
    form.clear_inputs("text", "kind", "topic_field_id", "author_name", "website")


url = core.cache_key()
texts = layout.texts()
fields = core.topic_fields()  # archived ones too: published suggestions keep theirs
field_names = {tf.id: tf.name for tf in fields if not tf.archived}  # what the form offers

st.title("Themensammlung", anchor=False)
markup(texts["suggestions_intro"])

st.header("Vorschlag einreichen", anchor=False)
form = FormState("suggest")
errors = form.errors
if form.result is not None and not errors:
    # The confirmation takes the form's place, is scrolled to and gets the focus.
    with st.container(key="suggest-sent", border=True):
        if isinstance(form.result, AlreadySubmitted):
            st.info(form.result.message, icon=":material/content_copy:")
        else:
            st.success(
                "Danke! Ihr Vorschlag ist angekommen und erscheint nach kurzer Prüfung in der "
                "Sammlung.",
                icon=":material/check_circle:",
            )
        st.button(
            "Noch einen Vorschlag senden", key="suggest.again", on_click=_another, args=(form,)
        )
    bring_into_view("suggest-sent")
else:
    with st.form("suggest.form"):
        form.field(
            st.text_area,
            "text",
            "Ihr Vorschlag",
            max_chars=SUGGESTION_TEXT.max,
            placeholder="Was sollte beim Stammtisch zur Sprache kommen?",
        )
        form.field(
            st.radio,
            "kind",
            "Art",
            options=list(SuggestionKind),
            format_func=lambda k: SuggestionKind(k).label,
            horizontal=True,
        )
        form.field(
            st.selectbox,
            "topic_field_id",
            "Themenfeld",
            options=[None, *field_names],
            format_func=lambda i: "weiß nicht" if i is None else field_names[i],
        )
        form.field(
            st.text_input, "author_name", "Ihr Name (freiwillig)", max_chars=limits.AUTHOR_NAME.max
        )
        form.honeypot()
        form_error(errors)
        st.form_submit_button("Vorschlag senden", type="primary", on_click=_submit, args=(form,))

st.header("Gesammelte Vorschläge", anchor=False)
order = (
    st.segmented_control(
        "Sortieren nach",
        options=list(ORDERS),
        format_func=ORDERS.get,
        default="votes",
        key="suggest.order",
    )
    or "votes"
)
votes_per_network = next(
    (r.count for r in core.requester().rules.get((Action.VOTE, Scope.TARGET), ())), None
)
st.caption(
    "Ein „+1“ zeigt, dass Sie ein Thema auch interessiert; es ist keine Abstimmung. Es zählt "
    "einmal je Browser (dafür merkt sich diese Seite Ihren Browser mit einem anonymen Cookie, "
    "ohne Namen oder Adresse)"
    + (
        f" und höchstens {votes_per_network}-mal je Netzwerk, Vorschlag und Tag."
        if votes_per_network
        else "."
    )
)
note = st.session_state.pop("vote.note", None)
if note:
    st.info(note, icon=":material/info:")

limits = st.session_state.get("suggest.limits", {})
public = _public(url, order, tuple(sorted(limits.items(), key=lambda kv: kv[0] or 0)))
counts = _counts(url)
if not public:
    st.info(
        "Noch keine veröffentlichten Vorschläge. Machen Sie den Anfang!",
        icon=":material/lightbulb:",
    )
groups: dict[int | None, list[SuggestionView]] = defaultdict(list)
for item in public:
    groups[item.topic_field_id].append(item)
ordered_groups = [tf.id for tf in fields if tf.id in groups]
ordered_groups += [g for g in groups if g is not None and g not in ordered_groups]
if None in groups:
    ordered_groups.append(None)
voted = _voted() | core.read(
    suggestions.voted_by, voter_key=_voter_key(), suggestion_ids=[item.id for item in public]
)
for group in ordered_groups:
    total = counts.get(group, len(groups[group]))
    name = groups[group][0].topic_field_name or NO_FIELD
    st.subheader(f"{name} ({format_count(total)})", anchor=False)
    for item in groups[group]:
        with st.container(border=True, key=f"suggestion-{item.id}"):
            kind = SuggestionKind.label_for(item.kind)
            text_block(
                item.text,
                meta=f"{kind} · {format_day(item.created_at)}",
                note=f"Eingereicht von {item.author_name}" if item.author_name else None,
            )
            already = item.id in voted
            st.button(
                f"+1 ({format_count(item.votes)})"
                if not already
                else f"Unterstützt ({format_count(item.votes)})",
                key=f"vote-{item.id}",
                on_click=_vote,
                args=(item.id,),
                disabled=already,
                icon=":material/thumb_up:",
            )
    hidden = total - len(groups[group])
    if hidden > 0:
        st.button(
            f"Weitere anzeigen ({format_count(hidden)} mehr)",
            key=f"more-{group}",
            on_click=_show_more,
            args=(group,),
            icon=":material/expand_more:",
        )
