"""Topic fields (Themenfelder): the broad areas the series returns to, kept by the team.

A field's identity is its row: renaming keeps its id, its slug and its colour
(``colour_slot``, given once at creation), so meetings, suggestions, offers and every
chart stay with it and show the new name. A field that meetings, suggestions or offers
use is archived, never deleted: history and charts keep it, new forms no longer offer it
(:func:`offered` is the services' check). One field always stays on offer, so a meeting
can still be planned. Names are unique ignoring case (umlauts included, see
:func:`~stammtisch.validation.fold_text`). Every change is audited with before and after.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, union_all
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stammtisch import limits, richtext
from stammtisch.audit import record
from stammtisch.db import casefold, view_of, write_transaction
from stammtisch.errors import NotFound, ValidationError
from stammtisch.identity import OrganizerIdentity
from stammtisch.models import ImpulseOffer, Meeting, MeetingTopicField, Suggestion, TopicField
from stammtisch.organizers import require_organizer
from stammtisch.validation import FieldChecker, fold_text

# How many colours the charts have for topic fields (Okabe–Ito, ui/charts.PALETTE).
COLOUR_SLOTS = 8


@dataclass(frozen=True)
class TopicFieldView:
    id: int
    slug: str
    name: str
    description: str
    position: int
    colour_slot: int
    archived_at: datetime | None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class TopicFieldUsage:
    """What hangs on a field: why it can only be archived."""

    meetings: int = 0
    suggestions: int = 0
    offers: int = 0

    @property
    def used(self) -> bool:
        return bool(self.meetings or self.suggestions or self.offers)

    def label(self) -> str:
        """ "3 Treffen, 1 Vorschlag" (German, for the team)."""
        parts = []
        if self.meetings:
            parts.append(f"{self.meetings} Treffen")
        if self.suggestions:
            noun = "Vorschlag" if self.suggestions == 1 else "Vorschläge"
            parts.append(f"{self.suggestions} {noun}")
        if self.offers:
            parts.append(f"{self.offers} Impuls-{'Angebot' if self.offers == 1 else 'Angebote'}")
        return ", ".join(parts) or "noch nicht verwendet"


def slugify(name: str) -> str:
    """'Klimaschutz & Energiewende' -> 'klimaschutz-energiewende' (umlauts spelled out)."""
    text = name.lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "themenfeld"
    return slug[: limits.TOPIC_SLUG_MAX - 6]


def _view(row: TopicField) -> TopicFieldView:
    return view_of(TopicFieldView, row)


def list_topic_fields(*, session: Session, include_archived: bool = True) -> list[TopicFieldView]:
    """Topic fields in their display order; archived ones after the others."""
    query = select(TopicField).order_by(
        col(TopicField.archived_at).is_not(None), TopicField.position, TopicField.id
    )
    if not include_archived:
        query = query.where(col(TopicField.archived_at).is_(None))
    return [_view(r) for r in session.exec(query).all()]


def offered(session: Session, topic_field_id: object) -> bool:
    """Whether a form may still choose this field: it exists and is not archived."""
    if not isinstance(topic_field_id, int) or isinstance(topic_field_id, bool):
        return False
    row = session.get(TopicField, topic_field_id)
    return row is not None and row.archived_at is None


NOT_OFFERED = "Dieses Themenfeld steht nicht mehr zur Auswahl. Bitte wählen Sie ein anderes."


def choice_problem(session: Session, topic_field_id: object) -> str | None:
    """The German message for a form's topic field that cannot be chosen (None: fine)."""
    if offered(session, topic_field_id):
        return None
    if isinstance(topic_field_id, int) and session.get(TopicField, topic_field_id) is not None:
        return NOT_OFFERED
    return "Bitte wählen Sie ein Themenfeld aus der Liste."


def usage(*, session: Session) -> dict[int, TopicFieldUsage]:
    """Per field: the meetings (primary or further), suggestions and offers using it."""
    meetings = union_all(
        select(Meeting.primary_topic_field_id.label("tf"), Meeting.id.label("m")),
        select(MeetingTopicField.topic_field_id, MeetingTopicField.meeting_id),
    ).subquery()
    counts: dict[int, dict[str, int]] = {}
    for tf, n in session.exec(
        select(meetings.c.tf, func.count(func.distinct(meetings.c.m))).group_by(meetings.c.tf)
    ).all():
        counts.setdefault(tf, {})["meetings"] = int(n)
    for model, key in ((Suggestion, "suggestions"), (ImpulseOffer, "offers")):
        for tf, n in session.exec(
            select(model.topic_field_id, func.count())
            .where(col(model.topic_field_id).is_not(None))
            .group_by(model.topic_field_id)
        ).all():
            counts.setdefault(tf, {})[key] = int(n)
    return {tf: TopicFieldUsage(**values) for tf, values in counts.items()}


def _usage_of(session: Session, topic_field_id: int) -> TopicFieldUsage:
    return usage(session=session).get(topic_field_id, TopicFieldUsage())


# --- checks ------------------------------------------------------------------------------


def _check(name: object, description: object) -> tuple[str, str]:
    check = FieldChecker()
    clean_name = check.text("name", name, label="einen Namen", limit=limits.TOPIC_NAME)
    clean_desc = check.text(
        "description", description, label="eine Beschreibung", limit=limits.TOPIC_DESCRIPTION
    )
    for problem in richtext.problems(clean_desc or ""):
        check.fail("description", problem)
    check.raise_if_any()
    return clean_name or "", clean_desc or ""


DUPLICATE = "Ein Themenfeld mit diesem Namen gibt es schon."


def _refuse_clash(session: Session, name: str, *, exclude_id: int | None = None) -> None:
    query = select(TopicField).where(casefold(session, TopicField.name) == fold_text(name))
    if exclude_id is not None:
        query = query.where(TopicField.id != exclude_id)
    clash = session.exec(query).first()
    if clash is None:
        return
    if clash.archived_at is not None:
        raise ValidationError.single(
            "name",
            f"Ein archiviertes Themenfeld heißt schon „{clash.name}“. Stellen Sie es wieder "
            "her oder wählen Sie einen anderen Namen.",
        )
    raise ValidationError.single(
        "name", f"Ein Themenfeld mit diesem Namen gibt es schon („{clash.name}“)."
    )


def _free_slug(session: Session, base: str) -> str:
    taken = set(
        session.exec(select(TopicField.slug).where(col(TopicField.slug).startswith(base))).all()
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _free_colour(session: Session) -> int:
    """A colour no field has yet; once all are given, the one fewest fields on offer use."""
    rows = session.exec(select(TopicField.colour_slot, TopicField.archived_at)).all()
    every = Counter(slot % COLOUR_SLOTS for slot, _ in rows)
    offered_now = Counter(slot % COLOUR_SLOTS for slot, archived in rows if archived is None)
    return min(range(COLOUR_SLOTS), key=lambda s: (every[s] > 0, offered_now[s], every[s], s))


def _lock_fields(session: Session) -> None:
    """Topic-field writes queue behind each other (PostgreSQL: lock the few rows; SQLite's
    write transaction holds the database's lock already), so two renames cannot both take
    one name in different spellings, nor two archivings the last field on offer."""
    session.exec(select(TopicField.id).with_for_update()).all()


def _locked(session: Session, topic_field_id: int) -> TopicField:
    row = session.exec(
        select(TopicField).where(TopicField.id == topic_field_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("Dieses Themenfeld gibt es nicht (mehr).")
    return row


# --- writing -----------------------------------------------------------------------------


def insert_topic_field(
    session: Session, *, name: str, description: str, now: datetime, slug: str | None = None
) -> TopicField:
    """Validate and write a topic field at the end of the order, with a colour of its own
    (inside the caller's transaction; the seed passes its own slugs)."""
    clean_name, clean_desc = _check(name, description)
    _refuse_clash(session, clean_name)
    if slug is not None and session.exec(select(TopicField).where(TopicField.slug == slug)).first():
        raise ValidationError.single("name", DUPLICATE)
    last = session.exec(select(func.max(TopicField.position))).one()
    row = TopicField(
        slug=slug or _free_slug(session, slugify(clean_name)),
        name=clean_name,
        description=clean_desc,
        position=(last or 0) + 1,
        colour_slot=_free_colour(session),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def create_topic_field(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    name: str,
    description: str = "",
    now: datetime,
) -> TopicFieldView:
    """Add a topic field at the end of the order (audited)."""
    try:
        with write_transaction(session):
            require_organizer(session, actor)
            _lock_fields(session)
            row = insert_topic_field(session, name=name, description=description, now=now)
            record(
                session,
                actor=actor,
                action="topic_field.create",
                obj=("topic_field", row.id),
                details={"after": {"name": row.name, "description": row.description}},
                now=now,
            )
            view = _view(row)
    except IntegrityError as exc:  # the same name at the same moment
        raise ValidationError.single("name", DUPLICATE) from exc
    return view


def update_topic_field(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    topic_field_id: int,
    name: str,
    description: str,
    now: datetime,
) -> TopicFieldView:
    """Rename or describe a field. Its id, slug and colour stay: meetings, suggestions,
    offers and charts follow the new name. Audited with what changed, before and after."""
    clean_name, clean_desc = _check(name, description)
    try:
        with write_transaction(session):
            require_organizer(session, actor)
            _lock_fields(session)
            row = _locked(session, topic_field_id)
            _refuse_clash(session, clean_name, exclude_id=row.id)
            before = {"name": row.name, "description": row.description}
            after = {"name": clean_name, "description": clean_desc}
            changed = [key for key in before if before[key] != after[key]]
            if changed:
                row.name, row.description = clean_name, clean_desc
                session.add(row)
                record(
                    session,
                    actor=actor,
                    action="topic_field.update",
                    obj=("topic_field", row.id),
                    details={
                        "before": {k: before[k] for k in changed},
                        "after": {k: after[k] for k in changed},
                    },
                    now=now,
                )
            view = _view(row)
    except IntegrityError as exc:
        raise ValidationError.single("name", DUPLICATE) from exc
    return view


def move_topic_field(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    topic_field_id: int,
    step: int,
    now: datetime,
) -> list[str]:
    """Move a field on offer one place up (``step`` -1) or down (+1) among the fields on
    offer (the order visitors see); returns the new order of names (audited)."""
    if step not in (-1, 1):
        raise ValidationError.single("step", "Ein Themenfeld rückt immer um einen Platz.")
    with write_transaction(session):
        require_organizer(session, actor)
        _lock_fields(session)
        rows = list(
            session.exec(
                select(TopicField)
                .where(col(TopicField.archived_at).is_(None))
                .order_by(TopicField.position, TopicField.id)
            ).all()
        )
        index = next((i for i, r in enumerate(rows) if r.id == topic_field_id), None)
        if index is None:
            raise NotFound("Dieses Themenfeld steht nicht (mehr) zur Auswahl.")
        target = index + step
        if not 0 <= target < len(rows):
            raise ValidationError.single(
                "step",
                "Das Themenfeld steht schon ganz oben."
                if step < 0
                else "Das Themenfeld steht schon ganz unten.",
            )
        before = [r.name for r in rows]
        rows[index], rows[target] = rows[target], rows[index]
        # Positions as a fresh sequence after the archived fields' (which keep theirs).
        low = min(r.position for r in rows)
        for offset, row in enumerate(rows):
            row.position = low + offset
            session.add(row)
        after = [r.name for r in rows]
        record(
            session,
            actor=actor,
            action="topic_field.move",
            obj=("topic_field", topic_field_id),
            details={"before": before, "after": after},
            now=now,
        )
    return after


def archive_topic_field(
    *, session: Session, actor: OrganizerIdentity | None, topic_field_id: int, now: datetime
) -> TopicFieldView:
    """Take a field off the forms; its meetings, suggestions and offers keep it."""
    with write_transaction(session):
        require_organizer(session, actor)
        _lock_fields(session)
        row = _locked(session, topic_field_id)
        if row.archived_at is not None:
            raise ValidationError.single("archive", f"„{row.name}“ ist schon archiviert.")
        on_offer = session.exec(
            select(func.count())
            .select_from(TopicField)
            .where(col(TopicField.archived_at).is_(None))
        ).one()
        if on_offer <= 1:
            raise ValidationError.single(
                "archive",
                "Mindestens ein Themenfeld muss zur Auswahl bleiben – legen Sie erst ein neues an.",
            )
        row.archived_at = now
        session.add(row)
        record(
            session,
            actor=actor,
            action="topic_field.archive",
            obj=("topic_field", row.id),
            details={
                "name": row.name,
                "before": "zur Auswahl",
                "after": "archiviert",
                "usage": _usage_of(session, row.id).label(),
            },
            now=now,
        )
        view = _view(row)
    return view


def restore_topic_field(
    *, session: Session, actor: OrganizerIdentity | None, topic_field_id: int, now: datetime
) -> TopicFieldView:
    """Offer an archived field again, at the end of the order."""
    with write_transaction(session):
        require_organizer(session, actor)
        _lock_fields(session)
        row = _locked(session, topic_field_id)
        if row.archived_at is None:
            raise ValidationError.single("archive", f"„{row.name}“ steht schon zur Auswahl.")
        row.archived_at = None
        last = session.exec(select(func.max(TopicField.position))).one()
        row.position = (last or 0) + 1
        session.add(row)
        record(
            session,
            actor=actor,
            action="topic_field.restore",
            obj=("topic_field", row.id),
            details={"name": row.name, "before": "archiviert", "after": "zur Auswahl"},
            now=now,
        )
        view = _view(row)
    return view


def delete_topic_field(
    *, session: Session, actor: OrganizerIdentity | None, topic_field_id: int, now: datetime
) -> None:
    """Delete a field nothing uses yet (a typo, a second thought); a used one is refused
    with the advice to archive it."""
    try:
        with write_transaction(session):
            require_organizer(session, actor)
            _lock_fields(session)
            row = _locked(session, topic_field_id)
            used = _usage_of(session, row.id)
            if used.used:
                raise ValidationError.single(
                    "delete",
                    f"„{row.name}“ wird verwendet ({used.label()}) und lässt sich deshalb nicht "
                    "löschen. Archivieren Sie es: Die Geschichte behält es, neue Formulare "
                    "bieten es nicht mehr an.",
                )
            if row.archived_at is None and (
                session.exec(
                    select(func.count())
                    .select_from(TopicField)
                    .where(col(TopicField.archived_at).is_(None))
                ).one()
                <= 1
            ):
                raise ValidationError.single(
                    "delete", "Mindestens ein Themenfeld muss zur Auswahl bleiben."
                )
            record(
                session,
                actor=actor,
                action="topic_field.delete",
                obj=("topic_field", row.id),
                details={"before": {"name": row.name, "description": row.description}},
                now=now,
            )
            session.delete(row)
    except IntegrityError as exc:  # something started using it at this very moment
        raise ValidationError.single(
            "delete", "Das Themenfeld wird inzwischen verwendet; archivieren Sie es."
        ) from exc


def topic_field_from_suggestion(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    suggestion_id: int,
    name: str,
    description: str,
    now: datetime,
) -> TopicFieldView:
    """A visitor's idea becomes a new topic field in one step: the field is created and the
    suggestion filed under it, in one transaction (both audited)."""
    try:
        with write_transaction(session):
            require_organizer(session, actor)
            _lock_fields(session)
            suggestion = session.exec(
                select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()
            ).first()
            if suggestion is None:
                raise NotFound("Diesen Vorschlag gibt es nicht.")
            row = insert_topic_field(session, name=name, description=description, now=now)
            before = suggestion.topic_field_id
            suggestion.topic_field_id = row.id
            session.add(suggestion)
            record(
                session,
                actor=actor,
                action="topic_field.create",
                obj=("topic_field", row.id),
                details={
                    "after": {"name": row.name, "description": row.description},
                    "suggestion": suggestion.id,
                },
                now=now,
            )
            record(
                session,
                actor=actor,
                action="suggestion.topic_field",
                obj=("suggestion", suggestion.id),
                details={"from": before, "to": row.id},
                now=now,
            )
            view = _view(row)
    except IntegrityError as exc:
        raise ValidationError.single("name", DUPLICATE) from exc
    return view


def name_from_text(text: str) -> str:
    """A first name for a field made from a suggestion: its first line or sentence, cut
    at a word within the name's limit (the team edits it before saving)."""
    first = re.split(r"(?<=[.!?])\s|\n", (text or "").strip(), maxsplit=1)[0].strip(" .!?")
    if len(first) <= limits.TOPIC_NAME.max:
        return first
    cut = first[: limits.TOPIC_NAME.max - 1].rsplit(" ", 1)[0]
    return cut + "…"
