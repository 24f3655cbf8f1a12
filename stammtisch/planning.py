"""Theme planning figures: how well each topic field is covered, what is asked for, and
a transparent "what next?" ranking. Aggregated in SQL like the dashboard's figures
(:mod:`stammtisch.analytics`); dates for new meetings come from
:mod:`stammtisch.date_proposals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from stammtisch.db import count_if
from stammtisch.formatting import format_day
from stammtisch.frames import ANY, COUNT, ID, NUMBER, from_rows
from stammtisch.meeting_rules import sql_has_begun, sql_is_counted
from stammtisch.models import (
    ImpulseOffer,
    Meeting,
    MeetingTopicField,
    ModerationState,
    OfferState,
    Registration,
    RegistrationStatus,
    Suggestion,
    TopicField,
)
from stammtisch.registrations import attended_condition


def _field_pairs(condition):
    """(meeting, topic field, start) for meetings matching ``condition``: a meeting covers
    its primary field and its further fields."""
    return (
        select(
            Meeting.id.label("meeting_id"),
            Meeting.primary_topic_field_id.label("topic_field_id"),
            Meeting.starts_at.label("starts_at"),
        )
        .where(condition)
        .union(
            select(Meeting.id, MeetingTopicField.topic_field_id, Meeting.starts_at)
            .join(MeetingTopicField, MeetingTopicField.meeting_id == Meeting.id)
            .where(condition)
        )
        .subquery()
    )


def coverage(*, session: Session, now: datetime) -> pd.DataFrame:
    """Per topic field on offer: meetings held so far and last covered, meetings already
    scheduled (published, not cancelled, not begun) and the next of them, waiting demand,
    audience.

    Published suggestions and open impulse offers without a topic field ("weiß nicht")
    belong to no row; their numbers are in ``attrs["unassigned_suggestions"]`` and
    ``attrs["unassigned_offers"]``."""
    # Planning looks ahead: fields on offer only (archived ones stay in the heatmap).
    fields = session.exec(
        select(TopicField.id, TopicField.name, TopicField.position).where(
            col(TopicField.archived_at).is_(None)
        )
    ).all()
    frame = from_rows(fields, {"topic_field_id": COUNT, "topic_field": ANY, "position": COUNT})
    pairs = _field_pairs(and_(sql_is_counted(), sql_has_begun(now)))
    held = session.exec(
        select(pairs.c.topic_field_id, func.count(), func.max(pairs.c.starts_at)).group_by(
            pairs.c.topic_field_id
        )
    ).all()
    held_df = from_rows(held, {"topic_field_id": ID, "meetings_held": COUNT, "last_covered": ANY})
    coming = _field_pairs(and_(sql_is_counted(), ~sql_has_begun(now)))
    scheduled = session.exec(
        select(coming.c.topic_field_id, func.count(), func.min(coming.c.starts_at)).group_by(
            coming.c.topic_field_id
        )
    ).all()
    scheduled_df = from_rows(
        scheduled, {"topic_field_id": ID, "meetings_scheduled": COUNT, "next_scheduled": ANY}
    )
    approved = Suggestion.state == ModerationState.APPROVED
    sugg = session.exec(
        select(
            Suggestion.topic_field_id, func.count(), func.coalesce(func.sum(Suggestion.votes), 0)
        )
        .where(approved, col(Suggestion.topic_field_id).is_not(None))
        .group_by(Suggestion.topic_field_id)
    ).all()
    sugg_df = from_rows(sugg, {"topic_field_id": ID, "suggestions": COUNT, "votes": COUNT})
    is_open = col(ImpulseOffer.state).in_([OfferState.SUBMITTED, OfferState.IN_DISCUSSION])
    offers = session.exec(
        select(ImpulseOffer.topic_field_id, func.count())
        .where(is_open, col(ImpulseOffer.topic_field_id).is_not(None))
        .group_by(ImpulseOffer.topic_field_id)
    ).all()
    offers_df = from_rows(offers, {"topic_field_id": ID, "open_offers": COUNT})
    R = Registration
    audience_per_meeting = (
        select(
            pairs.c.topic_field_id.label("topic_field_id"),
            pairs.c.meeting_id.label("meeting_id"),
            count_if(R.status == RegistrationStatus.CONFIRMED).label("confirmed"),
            count_if(attended_condition()).label("attended"),
        )
        .join(R, R.meeting_id == pairs.c.meeting_id, isouter=True)
        .group_by(pairs.c.topic_field_id, pairs.c.meeting_id)
        .subquery()
    )
    audience = session.exec(
        select(
            audience_per_meeting.c.topic_field_id,
            func.avg(audience_per_meeting.c.confirmed),
            func.avg(audience_per_meeting.c.attended),
        ).group_by(audience_per_meeting.c.topic_field_id)
    ).all()
    audience_df = from_rows(
        audience, {"topic_field_id": ID, "avg_registrations": NUMBER, "avg_attendance": NUMBER}
    )
    for part in (held_df, scheduled_df, sugg_df, offers_df, audience_df):
        frame = frame.merge(part, on="topic_field_id", how="left")
    for column in ("meetings_held", "meetings_scheduled", "suggestions", "votes", "open_offers"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("avg_registrations", "avg_attendance"):
        frame[column] = frame[column].astype("float64")
    for column in ("last_covered", "next_scheduled"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert("Europe/Berlin")
    frame["days_since"] = (pd.Timestamp(now) - frame["last_covered"]).dt.days
    unassigned = session.exec(
        select(func.count()).where(approved, col(Suggestion.topic_field_id).is_(None))
    ).one()
    unassigned_offers = session.exec(
        select(func.count()).where(is_open, col(ImpulseOffer.topic_field_id).is_(None))
    ).one()
    frame = frame.sort_values("position").reset_index(drop=True)
    frame.attrs["unassigned_suggestions"] = int(unassigned)
    frame.attrs["unassigned_offers"] = int(unassigned_offers)
    return frame


def _quarter(stamp: pd.Timestamp) -> str:
    return f"{stamp.year} Q{stamp.quarter}"


def coverage_by_quarter(*, session: Session, now: datetime) -> pd.DataFrame:
    """Meetings per topic field (primary) and quarter, every quarter from the first meeting
    to the last one scheduled (empty quarters included, so gaps show): long format with
    ``held`` (begun) and ``planned`` (scheduled, not begun) per cell."""
    rows = session.exec(
        select(Meeting.starts_at, TopicField.name, sql_has_begun(now))
        .join(TopicField, TopicField.id == Meeting.primary_topic_field_id)
        .where(sql_is_counted())
    ).all()
    columns = ["topic_field", "quarter", "held", "planned"]
    # Meetings are few (one every ~six weeks); quarters are computed on this small result.
    frame = pd.DataFrame(rows, columns=["starts_at", "topic_field", "begun"])
    if frame.empty:
        return pd.DataFrame(columns=columns)
    local = pd.to_datetime(frame["starts_at"], utc=True).dt.tz_convert("Europe/Berlin")
    periods = local.dt.tz_localize(None).dt.to_period("Q")
    frame["quarter"] = [_quarter(p) for p in periods]
    frame["held"] = frame["begun"].astype(bool).astype("int64")
    frame["planned"] = 1 - frame["held"]
    counts = frame.groupby(["topic_field", "quarter"])[["held", "planned"]].sum()
    quarters = [_quarter(p) for p in pd.period_range(periods.min(), periods.max(), freq="Q")]
    # Every field on offer (gaps show), archived ones only where they have meetings.
    used = set(frame["topic_field"])
    names = [
        name
        for name, archived_at in session.exec(
            select(TopicField.name, TopicField.archived_at).order_by(
                col(TopicField.archived_at).is_not(None), TopicField.position
            )
        ).all()
        if archived_at is None or name in used
    ]
    grid = pd.MultiIndex.from_product([names, quarters], names=["topic_field", "quarter"])
    return counts.reindex(grid, fill_value=0).reset_index()[columns]


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in the "what next" ranking (0 = ignore)."""

    suggestions: float = 1.0
    votes: float = 1.0
    offers: float = 1.0
    attendance: float = 0.5
    time_since: float = 1.5


def _counted(value: float, one: str, many: str) -> str:
    """'1 Vorschlag', '4 Vorschläge', '0 Stimmen'."""
    number = int(value)
    return f"{number} {one if number == 1 else many}"


def rank_topic_fields(coverage_frame: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Score every topic field: demand plus time since last covered, each scaled to 0..1.

    A field never covered counts as the longest gap. Returns the frame sorted by score
    with a German ``reason`` per field naming what drove it.
    """
    frame = coverage_frame.copy()
    if frame.empty:
        return frame.assign(score=pd.Series(dtype="float64"), reason=pd.Series(dtype="object"))
    longest = frame["days_since"].max()
    gap = frame["days_since"].fillna((longest if pd.notna(longest) else 0) + 365)
    # A field with a meeting already scheduled is covered: no gap to close.
    if "next_scheduled" in frame:
        gap = gap.where(frame["next_scheduled"].isna(), 0)

    def scaled(series: pd.Series) -> pd.Series:
        series = series.fillna(0).astype("float64")
        top = series.max()
        return series / top if top > 0 else series * 0

    parts = {
        "suggestions": scaled(frame["suggestions"]) * weights.suggestions,
        "votes": scaled(frame["votes"]) * weights.votes,
        "offers": scaled(frame["open_offers"]) * weights.offers,
        "attendance": scaled(frame["avg_attendance"]) * weights.attendance,
        "time_since": scaled(gap) * weights.time_since,
    }
    frame["score"] = sum(parts.values())
    total = sum(vars(weights).values()) or 1.0
    frame["score"] = (frame["score"] / total * 100).round(1)

    def reason(i: int) -> str:
        row = frame.loc[i]
        bits = []
        if "next_scheduled" in row and pd.notna(row["next_scheduled"]):
            bits.append(f"schon geplant am {format_day(row['next_scheduled'])}")
        elif pd.isna(row["days_since"]):
            bits.append("noch nie Thema")
        else:
            bits.append(f"zuletzt vor {_counted(row['days_since'], 'Tag', 'Tagen')}")
        if row["suggestions"]:
            bits.append(
                f"{_counted(row['suggestions'], 'Vorschlag', 'Vorschläge')} mit "
                f"{_counted(row['votes'], 'Stimme', 'Stimmen')}"
            )
        if row["open_offers"]:
            bits.append(
                _counted(row["open_offers"], "offenes Impuls-Angebot", "offene Impuls-Angebote")
            )
        if pd.notna(row["avg_attendance"]) and row["avg_attendance"] > 0:
            people = round(row["avg_attendance"])
            bits.append(f"im Schnitt {_counted(people, 'Person', 'Teilnehmende')}")
        text = ", ".join(bits)
        strongest = max(parts, key=lambda k: parts[k].loc[i])
        if not parts[strongest].loc[i] > 0:
            # Nothing speaks for the field (a meeting is scheduled, no demand, or every
            # weight is 0): no "Vor allem" naming a signal that is zero.
            return text[0].upper() + text[1:]
        label = {
            "suggestions": "viele Vorschläge",
            "votes": "viele Stimmen",
            "offers": "Impuls-Angebote",
            "attendance": "hohe Teilnahme",
            "time_since": "lange nicht dran",
        }[strongest]
        return f"Vor allem: {label} – {text}"

    frame["reason"] = [reason(i) for i in frame.index]
    return frame.sort_values(["score", "position"], ascending=[False, True]).reset_index(drop=True)
