"""Figures for the organizer dashboard, aggregated in SQL (planning's are in ``planning``).

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
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from stammtisch.db import count_if
from stammtisch.frames import ANY, COUNT, ID, from_rows
from stammtisch.meeting_rules import sql_is_counted
from stammtisch.models import (
    Attendance,
    FederalState,
    ImpulseOffer,
    Meeting,
    MeetingTopicField,
    Registration,
    RegistrationStatus,
    Suggestion,
    TopicField,
)
from stammtisch.registrations import absent_condition, attended_condition

STATE_COLUMNS = {state: state.label for state in FederalState}
UNKNOWN_STATE = "keine Angabe"


@dataclass(frozen=True)
class Filters:
    """Dashboard filters: meetings starting in [start, end], optionally one topic field."""

    start: datetime | None = None
    end: datetime | None = None
    topic_field_id: int | None = None


def _meeting_filter(filters: Filters):
    conditions = [sql_is_counted()]
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
    frame = from_rows(
        meetings,
        {
            "meeting_id": COUNT,
            "theme": ANY,
            "starts_at": ANY,
            "status": ANY,
            "capacity": ID,
            "unregistered_attendees": COUNT,
            "topic_field": ANY,
            "topic_field_id": COUNT,
        },
    )
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
            count_if(confirmed),
            count_if(R.status == RegistrationStatus.WAITLISTED),
            count_if(R.status == RegistrationStatus.CANCELLED),
            count_if(attended_condition()),
            count_if(absent_condition()),
            count_if(and_(confirmed, R.attendance != Attendance.UNKNOWN)),
            *[count_if(and_(confirmed, R.federal_state == s)) for s in STATE_COLUMNS],
            count_if(and_(confirmed, col(R.federal_state).is_(None))),
        )
        .where(col(R.meeting_id).in_(ids))
        .group_by(R.meeting_id)
    ).all()
    agg = from_rows(per_meeting, {"meeting_id": COUNT, **dict.fromkeys(counts[:-2], COUNT)})
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
    outside = with_state - frame[FederalState.SACHSEN.label]
    frame["share_outside_saxony"] = (outside / with_state).where(with_state > 0)
    return frame


def _new_and_returning(session: Session, meeting_ids: list[int]) -> pd.DataFrame:
    """Per meeting: confirmed participants at their first meeting vs. seen before."""
    R = Registration
    confirmed_at = (
        select(R.participant_key.label("key"), Meeting.starts_at.label("starts_at"))
        .join(Meeting, Meeting.id == R.meeting_id)
        .where(R.status == RegistrationStatus.CONFIRMED, sql_is_counted())
        .subquery()
    )
    first = (
        select(confirmed_at.c.key, func.min(confirmed_at.c.starts_at).label("first_start"))
        .group_by(confirmed_at.c.key)
        .subquery()
    )
    is_new = Meeting.starts_at == first.c.first_start
    rows = session.exec(
        select(R.meeting_id, count_if(is_new), count_if(~is_new))
        .join(Meeting, Meeting.id == R.meeting_id)
        .join(first, first.c.key == R.participant_key)
        .where(R.status == RegistrationStatus.CONFIRMED, col(R.meeting_id).in_(meeting_ids))
        .group_by(R.meeting_id)
    ).all()
    return from_rows(rows, {"meeting_id": COUNT, "new": COUNT, "returning": COUNT})


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
        columns = ["topic_field", "meetings", "confirmed", "waitlisted", "attended_total"]
        return pd.DataFrame(columns=columns)
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
        frames.append(from_rows(rows, {"month": ANY, "count": COUNT}).assign(kind=label))
    return pd.concat(frames, ignore_index=True)[["month", "kind", "count"]]


__all__ = [
    "Filters",
    "KeyFigure",
    "inflow_per_month",
    "key_figures",
    "meeting_stats",
    "registrations_by_topic_field",
]
