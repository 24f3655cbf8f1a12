"""Themenplanung: topic-field coverage, a ranked "what next", and a draft in one click."""

from __future__ import annotations

from dataclasses import astuple
from datetime import datetime

import altair as alt
import pandas as pd
import streamlit as st

from stammtisch import (
    chart_texts,
    date_proposals,
    meeting_admin,
    meeting_rules,
    planning,
    suggestions,
)
from stammtisch.clock import BERLIN
from stammtisch.formatting import format_day, format_meeting_time
from stammtisch.meetings import MeetingInput
from stammtisch.models import MeetingStatus, RegistrationState
from ui import auth, core
from ui.charts import block, chart, heat_chart, topic_scale
from ui.forms import FormState
from ui.render import escape_md, form_error, literal, md_small

actor = auth.require_organizer()
now = core.now()
st.title("Themenplanung", anchor=False)


@st.cache_data(ttl=3600, max_entries=50, show_spinner=False)
def _planning_data(version: str, now_key: str, _actor) -> tuple:
    """Everything this page reads, cached until the data changes (or the minute does)."""
    moment = datetime.fromisoformat(now_key)
    dates = [(m.starts_at, meeting_rules.is_cancelled(m)) for m in core.admin_meetings(_actor)]
    with core.session() as s:
        return (
            dates,
            core.topic_fields(),
            planning.coverage(session=s, now=moment),
            planning.coverage_by_quarter(session=s, now=moment),
            suggestions.list_public_suggestions(session=s, order="votes", limit=10),
        )


@st.cache_data(ttl=3600, max_entries=200, show_spinner=False)
def _ranked(version: str, now_key: str, weights: tuple[float, ...], _actor) -> pd.DataFrame:
    coverage = _planning_data(version, now_key, _actor)[2]
    return planning.rank_topic_fields(coverage, planning.Weights(*weights))


version, minute = core.cache_key(), core.now_key(now)
meeting_dates, fields, coverage, heat, wanted = _planning_data(version, minute, actor)
field_names = [tf.name for tf in fields]

st.header("Abdeckung der Themenfelder", anchor=False)
heat_table = heat.rename(
    columns={
        "topic_field": "Themenfeld",
        "quarter": "Quartal",
        "held": "stattgefunden",
        "planned": "geplant",
    }
)
block(
    "Treffen je Themenfeld und Quartal",
    lambda: heat_chart(heat, field_names),
    heat_table,
    summary=chart_texts.coverage(heat_table),
    key="abdeckung",
    version=f"{version}|{minute}",
    caption="Zahl und Farbe: stattgefundene Treffen (dunkler = mehr); „g“ und Orange: "
    "veröffentlicht, noch nicht stattgefunden. Jedes Quartal ist zu sehen, auch ohne Treffen.",
)
table = pd.DataFrame(
    {
        "Themenfeld": coverage["topic_field"],
        "Treffen bisher": coverage["meetings_held"],
        "zuletzt": [format_day(t) if pd.notna(t) else "noch nie" for t in coverage["last_covered"]],
        "geplant": [format_day(t) if pd.notna(t) else "–" for t in coverage["next_scheduled"]],
        "Vorschläge": coverage["suggestions"],
        "Stimmen": coverage["votes"],
        "offene Impuls-Angebote": coverage["open_offers"],
        "Ø Anmeldungen": coverage["avg_registrations"].round(1),
        "Ø Teilnahme": coverage["avg_attendance"].round(1),
    }
)
st.dataframe(table, hide_index=True, width="stretch")
unassigned = coverage.attrs.get("unassigned_suggestions", 0)
if unassigned:
    st.caption(f"{unassigned} veröffentlichte Vorschläge haben noch kein Themenfeld.")
unassigned_offers = coverage.attrs.get("unassigned_offers", 0)
if unassigned_offers:
    st.caption(
        "1 offenes Impuls-Angebot hat noch kein Themenfeld."
        if unassigned_offers == 1
        else f"{unassigned_offers} offene Impuls-Angebote haben noch kein Themenfeld."
    )
interest = core.subscription_figures()
if interest.news_total:
    field_names = {tf.id: tf.name for tf in core.topic_fields()}
    st.caption(
        "Interessierte je Themenfeld (bestätigte Benachrichtigung „Neue Termine“): "
        + ", ".join(
            f"{field_names.get(field_id, field_id)} {count}"
            for field_id, count in sorted(interest.per_topic_field.items())
        )
        + ("; " if interest.per_topic_field else "")
        + f"zu allen Themenfeldern {interest.news_all_fields}."
    )

st.header("Was als Nächstes?", anchor=False)
st.caption(
    "Jedes Signal wird auf 0 bis 1 skaliert (1 = höchster Wert aller Themenfelder) und "
    "gewichtet; „lange nicht dran“ zählt die Tage seit dem letzten Treffen im Feld "
    "(nie behandelt = längste Lücke + ein Jahr). Die Gewichte können Sie hier ändern."
)
with st.expander("Gewichte", expanded=False):
    c1, c2, c3 = st.columns(3)
    weights = planning.Weights(
        suggestions=c1.slider("Vorschläge", 0.0, 3.0, 1.0, 0.25, key="w.sugg"),
        votes=c2.slider("Stimmen", 0.0, 3.0, 1.0, 0.25, key="w.votes"),
        offers=c3.slider("Impuls-Angebote", 0.0, 3.0, 1.0, 0.25, key="w.offers"),
        attendance=c1.slider("bisherige Teilnahme", 0.0, 3.0, 0.5, 0.25, key="w.att"),
        time_since=c2.slider("lange nicht dran", 0.0, 3.0, 1.5, 0.25, key="w.time"),
    )
ranked = _ranked(version, minute, astuple(weights), actor)
if ranked.empty:
    st.info("Noch keine Themenfelder.", icon=":material/category:")
else:
    chart_data = ranked[["topic_field", "score"]].rename(
        columns={"topic_field": "Themenfeld", "score": "Punkte"}
    )
    chart(
        "ranking",
        lambda: (
            alt.Chart(chart_data)
            .mark_bar()
            .encode(
                y=alt.Y("Themenfeld:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
                x=alt.X("Punkte:Q", scale=alt.Scale(domain=[0, 100])),
                color=alt.Color("Themenfeld:N", scale=topic_scale(fields), legend=None),
                tooltip=["Themenfeld", "Punkte"],
            )
        ),
        version=f"{version}|{minute}|{astuple(weights)}",
        summary=chart_texts.ranking(chart_data),
    )
    st.markdown(
        "\n\n".join(
            f"**{rank}. {escape_md(row.topic_field)}** – "
            f"{round(row.score)} {'Punkt' if round(row.score) == 1 else 'Punkte'}  \n"
            + md_small(row.reason)
            for rank, row in enumerate(ranked.itertuples(), start=1)
        )
    )

st.header("Nächstes Treffen entwerfen", anchor=False)
form = FormState("draft")
last_start = max((start for start, cancelled in meeting_dates if not cancelled), default=None)
taken = {start.astimezone(BERLIN).date() for start, _ in meeting_dates}
proposals = date_proposals.next_dates(
    last_start=last_start, today=now.astimezone(BERLIN).date(), taken=taken
)
sources = {
    f"field:{row.topic_field_id}": f"Themenfeld: {row.topic_field}" for row in ranked.itertuples()
}
sources.update({f"sugg:{v.id}": f"Vorschlag ({v.votes} Stimmen): {v.text[:70]}" for v in wanted})
if not sources:
    st.info("Noch keine Themenfelder oder Vorschläge als Ausgangspunkt.")
    st.stop()
choice = st.selectbox(
    "Ausgangspunkt", options=list(sources), format_func=sources.get, key="draft.source"
)
picked = st.radio(
    "Datum",
    options=range(len(proposals)),
    format_func=lambda i: (
        format_meeting_time(proposals[i].starts_at, proposals[i].ends_at)
        + (f" ({proposals[i].note})" if proposals[i].note else "")
    ),
    key="draft.date",
)
if choice.startswith("sugg:"):
    suggestion = next(v for v in wanted if v.id == int(choice[5:]))
    st.caption("Vorschlag im Wortlaut:")
    literal(suggestion.text)
    theme = suggestion.text[:200]
    offered = [tf.id for tf in fields if not tf.archived]
    field_id = (
        suggestion.topic_field_id
        if suggestion.topic_field_id in offered
        else (offered[0] if offered else None)
    )
else:
    field_id = int(choice[6:])
    theme = next(tf.name for tf in fields if tf.id == field_id)


def create_draft() -> None:
    proposal = proposals[st.session_state.get("draft.date", 0)]
    data = MeetingInput(
        theme=theme,
        description="Entwurf aus der Themenplanung – Beschreibung folgt.",
        starts_at=proposal.starts_at,
        ends_at=proposal.ends_at,
        primary_topic_field_id=field_id,
        registration_state=RegistrationState.NOT_OPEN,
        status=MeetingStatus.DRAFT,  # only the team sees it until someone publishes it
    )
    form.call(meeting_admin.create_meeting, actor=actor, data=data)


st.button("Entwurf anlegen", type="primary", on_click=create_draft, key="draft.create")
form_error(form.errors)
for message in form.errors.values():
    if message not in form.errors.get("_form", ""):
        st.error(message, icon=":material/error:")
if form.result and not form.errors:
    st.success(
        "Entwurf angelegt – nur für das Team sichtbar. Feinschliff und Veröffentlichen unter "
        "„Termine verwalten“.",
        icon=":material/check_circle:",
    )
