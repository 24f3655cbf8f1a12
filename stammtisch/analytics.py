"""Figures for the organizer dashboard and theme planning, aggregated in SQL.

Registrations can number in the hundreds of thousands, so every query over them groups
in the database and returns one row per meeting (or per month, field …); only those
small results are shaped with pandas. Anonymised registrations count like any other:
status, federal state, attendance and the pseudonymous participant key survive.

Definitions used throughout:

* registrations of a meeting: confirmed + waitlisted + cancelled rows;
* attended: attendance "yes"; no-show: confirmed with attendance "no";
  no-show rate = no-shows / confirmed with known attendance;
* a participant is a participant key with a confirmed registration; "new" at the
  meeting of their first confirmed registration, "returning" afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from stammtisch.models import (
    Attendance,
    FederalState,
    ImpulseOffer,
    Meeting,
    MeetingStatus,
    MeetingTopicField,
    ModerationState,
    OfferState,
    Registration,
    RegistrationStatus,
    Suggestion,
    TopicField,
)

STATE_COLUMNS = {
    FederalState.SACHSEN: "Sachsen",
    FederalState.SACHSEN_ANHALT: "Sachsen-Anhalt",
    FederalState.THUERINGEN: "Thüringen",
    FederalState.OTHER: "anderes Bundesland",
}
UNKNOWN_STATE = "keine Angabe"


@dataclass(frozen=True)
class Filters:
    """Dashboard filters: meetings starting in [start, end], optionally one topic field."""

    start: datetime | None = None
    end: datetime | None = None
    topic_field_id: int | None = None


def _meeting_filter(filters: Filters):
    conditions = [Meeting.status != MeetingStatus.CANCELLED]
    if filters.start is not None:
        conditions.append(Meeting.starts_at >= filters.start)
    if filters.end is not None:
        conditions.append(Meeting.starts_at <= filters.end)
    if filters.topic_field_id is not None:
        further = select(MeetingTopicField.meeting_id).where(
            MeetingTopicField.topic_field_id == filters.topic_field_id
        )
        conditions.append(
            or_(
                Meeting.primary_topic_field_id == filters.topic_field_id,
                col(Meeting.id).in_(further),
            )
        )
    return and_(*conditions)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def meeting_stats(*, session: Session, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per (non-cancelled) meeting in the filter, oldest first, with all counts."""
    meetings = session.exec(
        select(
            Meeting.id,
            Meeting.theme,
            Meeting.starts_at,
            Meeting.status,
            Meeting.capacity,
            Meeting.unregistered_attendees,
            TopicField.name,
            TopicField.id,
        )
        .join(TopicField, TopicField.id == Meeting.primary_topic_field_id)
        .where(_meeting_filter(filters))
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    columns = [
        "meeting_id",
        "theme",
        "starts_at",
        "status",
        "capacity",
        "unregistered_attendees",
        "topic_field",
        "topic_field_id",
    ]
    frame = pd.DataFrame(meetings, columns=columns)
    counts = [
        "confirmed",
        "waitlisted",
        "cancelled",
        "attended",
        "no_show",
        "attendance_known",
        *STATE_COLUMNS.values(),
        UNKNOWN_STATE,
        "new",
        "returning",
    ]
    if frame.empty:
        return frame.assign(**{c: pd.Series(dtype="int64") for c in counts})
    ids = frame["meeting_id"].tolist()
    R = Registration
    confirmed = R.status == RegistrationStatus.CONFIRMED
    per_meeting = session.exec(
        select(
            R.meeting_id,
            _count_if(confirmed),
            _count_if(R.status == RegistrationStatus.WAITLISTED),
            _count_if(R.status == RegistrationStatus.CANCELLED),
            _count_if(and_(confirmed, R.attendance == Attendance.YES)),
            _count_if(and_(confirmed, R.attendance == Attendance.NO)),
            _count_if(and_(confirmed, R.attendance != Attendance.UNKNOWN)),
            *[_count_if(and_(confirmed, R.federal_state == s)) for s in STATE_COLUMNS],
            _count_if(and_(confirmed, col(R.federal_state).is_(None))),
        )
        .where(col(R.meeting_id).in_(ids))
        .group_by(R.meeting_id)
    ).all()
    agg = pd.DataFrame(per_meeting, columns=["meeting_id", *counts[:-2]])
    novelty = _new_and_returning(session, ids)
    frame = frame.merge(agg, on="meeting_id", how="left").merge(
        novelty, on="meeting_id", how="left"
    )
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["starts_at"] = pd.to_datetime(frame["starts_at"], utc=True).dt.tz_convert("Europe/Berlin")
    frame["registrations"] = frame["confirmed"] + frame["waitlisted"] + frame["cancelled"]
    frame["demand"] = frame["confirmed"] + frame["waitlisted"]
    frame["attended_total"] = (frame["attended"] + frame["unregistered_attendees"]).astype(
        "float64"
    )
    # Where nobody recorded attendance, attendance is unknown, not zero.
    unknown = (frame["attendance_known"] == 0) & (frame["unregistered_attendees"] == 0)
    frame.loc[unknown, "attended_total"] = float("nan")
    frame["no_show_rate"] = (frame["no_show"] / frame["attendance_known"]).where(
        frame["attendance_known"] > 0
    )
    with_state = frame[[*STATE_COLUMNS.values()]].sum(axis=1)
    outside = with_state - frame["Sachsen"]
    frame["share_outside_saxony"] = (outside / with_state).where(with_state > 0)
    return frame


def _new_and_returning(session: Session, meeting_ids: list[int]) -> pd.DataFrame:
    """Per meeting: confirmed participants at their first meeting vs. seen before."""
    R = Registration
    confirmed_at = (
        select(R.participant_key.label("key"), Meeting.starts_at.label("starts_at"))
        .join(Meeting, Meeting.id == R.meeting_id)
        .where(R.status == RegistrationStatus.CONFIRMED, Meeting.status != MeetingStatus.CANCELLED)
        .subquery()
    )
    first = (
        select(confirmed_at.c.key, func.min(confirmed_at.c.starts_at).label("first_start"))
        .group_by(confirmed_at.c.key)
        .subquery()
    )
    is_new = Meeting.starts_at == first.c.first_start
    rows = session.exec(
        select(R.meeting_id, _count_if(is_new), _count_if(~is_new))
        .join(Meeting, Meeting.id == R.meeting_id)
        .join(first, first.c.key == R.participant_key)
        .where(R.status == RegistrationStatus.CONFIRMED, col(R.meeting_id).in_(meeting_ids))
        .group_by(R.meeting_id)
    ).all()
    return pd.DataFrame(rows, columns=["meeting_id", "new", "returning"])


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: float | None
    previous: float | None
    kind: str  # "count" or "share"

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def key_figures(stats: pd.DataFrame, *, now: datetime) -> tuple[pd.Series | None, list[KeyFigure]]:
    """Figures of the latest meeting that has taken place, with the change to the one before."""
    past = stats[stats["starts_at"] <= pd.Timestamp(now)]
    if past.empty:
        return None, []
    latest = past.iloc[-1]
    before = past.iloc[-2] if len(past) > 1 else None

    def pick(name: str, kind: str, label: str) -> KeyFigure:
        value = latest[name]
        prev = before[name] if before is not None else None
        return KeyFigure(
            label=label,
            value=None if pd.isna(value) else float(value),
            previous=None if prev is None or pd.isna(prev) else float(prev),
            kind=kind,
        )

    return latest, [
        pick("confirmed", "count", "Anmeldungen"),
        pick("attended_total", "count", "Teilnahme"),
        pick("no_show_rate", "share", "No-Show-Quote"),
        pick("new", "count", "Neu dabei"),
        pick("share_outside_saxony", "share", "Nicht aus Sachsen"),
    ]


def registrations_by_topic_field(stats: pd.DataFrame) -> pd.DataFrame:
    """Meetings, registrations and attendance per primary topic field (from meeting_stats)."""
    if stats.empty:
        return pd.DataFrame(columns=["topic_field", "meetings", "confirmed", "attended_total"])
    return (
        stats.groupby("topic_field", as_index=False)
        .agg(
            meetings=("meeting_id", "count"),
            confirmed=("confirmed", "sum"),
            waitlisted=("waitlisted", "sum"),
            attended_total=("attended_total", "sum"),
        )
        .sort_values("confirmed", ascending=False)
    )


def _month(column, dialect: str):
    # Months in UTC on both databases (SQLite has no time zones); for counting inflow
    # a few hours at a month's edge do not matter, agreeing across databases does.
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def inflow_per_month(
    *, session: Session, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """New suggestions and impulse offers per month (columns month, kind, count)."""
    dialect = session.get_bind().dialect.name
    frames = []
    for model, label in ((Suggestion, "Vorschläge"), (ImpulseOffer, "Impuls-Angebote")):
        month = _month(model.created_at, dialect).label("month")
        query = select(month, func.count()).group_by(month).order_by(month)
        if start is not None:
            query = query.where(model.created_at >= start)
        if end is not None:
            query = query.where(model.created_at <= end)
        rows = session.exec(query).all()
        frames.append(pd.DataFrame(rows, columns=["month", "count"]).assign(kind=label))
    return pd.concat(frames, ignore_index=True)[["month", "kind", "count"]]


def coverage(*, session: Session, now: datetime) -> pd.DataFrame:
    """Per topic field: meetings held so far, last covered, waiting demand, past audience."""
    fields = session.exec(select(TopicField.id, TopicField.name, TopicField.position)).all()
    frame = pd.DataFrame(fields, columns=["topic_field_id", "topic_field", "position"])
    held_filter = and_(Meeting.status != MeetingStatus.CANCELLED, Meeting.starts_at <= now)
    # A meeting covers its primary field and its further fields.
    pairs = (
        select(
            Meeting.id.label("meeting_id"),
            Meeting.primary_topic_field_id.label("topic_field_id"),
            Meeting.starts_at.label("starts_at"),
        )
        .where(held_filter)
        .union(
            select(Meeting.id, MeetingTopicField.topic_field_id, Meeting.starts_at)
            .join(MeetingTopicField, MeetingTopicField.meeting_id == Meeting.id)
            .where(held_filter)
        )
        .subquery()
    )
    held = session.exec(
        select(pairs.c.topic_field_id, func.count(), func.max(pairs.c.starts_at)).group_by(
            pairs.c.topic_field_id
        )
    ).all()
    held_df = pd.DataFrame(held, columns=["topic_field_id", "meetings_held", "last_covered"])
    sugg = session.exec(
        select(
            Suggestion.topic_field_id, func.count(), func.coalesce(func.sum(Suggestion.votes), 0)
        )
        .where(Suggestion.state == ModerationState.APPROVED)
        .group_by(Suggestion.topic_field_id)
    ).all()
    sugg_df = pd.DataFrame(sugg, columns=["topic_field_id", "suggestions", "votes"])
    offers = session.exec(
        select(ImpulseOffer.topic_field_id, func.count())
        .where(col(ImpulseOffer.state).in_([OfferState.SUBMITTED, OfferState.IN_DISCUSSION]))
        .group_by(ImpulseOffer.topic_field_id)
    ).all()
    offers_df = pd.DataFrame(offers, columns=["topic_field_id", "open_offers"])
    R = Registration
    audience_per_meeting = (
        select(
            pairs.c.topic_field_id.label("topic_field_id"),
            pairs.c.meeting_id.label("meeting_id"),
            _count_if(R.status == RegistrationStatus.CONFIRMED).label("confirmed"),
            _count_if(
                and_(R.status == RegistrationStatus.CONFIRMED, R.attendance == Attendance.YES)
            ).label("attended"),
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
    audience_df = pd.DataFrame(
        audience, columns=["topic_field_id", "avg_registrations", "avg_attendance"]
    )
    for part in (held_df, sugg_df, offers_df, audience_df):
        frame = frame.merge(part, on="topic_field_id", how="left")
    for column in ("meetings_held", "suggestions", "votes", "open_offers"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("avg_registrations", "avg_attendance"):
        frame[column] = frame[column].astype("float64")
    frame["last_covered"] = pd.to_datetime(frame["last_covered"], utc=True).dt.tz_convert(
        "Europe/Berlin"
    )
    frame["days_since"] = (pd.Timestamp(now) - frame["last_covered"]).dt.days
    unassigned = session.exec(
        select(func.count(), func.coalesce(func.sum(Suggestion.votes), 0)).where(
            Suggestion.state == ModerationState.APPROVED, col(Suggestion.topic_field_id).is_(None)
        )
    ).one()
    frame.attrs["unassigned_suggestions"] = int(unassigned[0])
    return frame.sort_values("position").reset_index(drop=True)


def coverage_by_quarter(*, session: Session, now: datetime) -> pd.DataFrame:
    """Meetings held per topic field and quarter (long format: topic_field, quarter, meetings)."""
    rows = session.exec(
        select(Meeting.starts_at, TopicField.name)
        .join(TopicField, TopicField.id == Meeting.primary_topic_field_id)
        .where(Meeting.status != MeetingStatus.CANCELLED, Meeting.starts_at <= now)
    ).all()
    # Meetings are few (one every ~six weeks); quarters are computed on this small result.
    frame = pd.DataFrame(rows, columns=["starts_at", "topic_field"])
    if frame.empty:
        return pd.DataFrame(columns=["topic_field", "quarter", "meetings"])
    local = pd.to_datetime(frame["starts_at"], utc=True).dt.tz_convert("Europe/Berlin")
    frame["quarter"] = local.dt.year.astype(str) + " Q" + local.dt.quarter.astype(str)
    return (
        frame.groupby(["topic_field", "quarter"], as_index=False)
        .size()
        .rename(columns={"size": "meetings"})
    )


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in the "what next" ranking (0 = ignore)."""

    suggestions: float = 1.0
    votes: float = 1.0
    offers: float = 1.0
    attendance: float = 0.5
    time_since: float = 1.5


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
        if pd.isna(row["days_since"]):
            bits.append("noch nie Thema")
        else:
            bits.append(f"zuletzt vor {int(row['days_since'])} Tagen")
        if row["suggestions"]:
            bits.append(f"{int(row['suggestions'])} Vorschläge mit {int(row['votes'])} Stimmen")
        if row["open_offers"]:
            bits.append(f"{int(row['open_offers'])} offene Impuls-Angebote")
        if pd.notna(row["avg_attendance"]) and row["avg_attendance"] > 0:
            bits.append(f"im Schnitt {row['avg_attendance']:.0f} Teilnehmende")
        strongest = max(parts, key=lambda k: parts[k].loc[i])
        label = {
            "suggestions": "viele Vorschläge",
            "votes": "viele Stimmen",
            "offers": "Impuls-Angebote",
            "attendance": "hohe Teilnahme",
            "time_since": "lange nicht dran",
        }[strongest]
        return f"Vor allem: {label} – " + ", ".join(bits)

    frame["reason"] = [reason(i) for i in frame.index]
    return frame.sort_values(["score", "position"], ascending=[False, True]).reset_index(drop=True)


__all__ = [
    "Filters",
    "KeyFigure",
    "Weights",
    "coverage",
    "coverage_by_quarter",
    "inflow_per_month",
    "key_figures",
    "meeting_stats",
    "rank_topic_fields",
    "registrations_by_topic_field",
]
