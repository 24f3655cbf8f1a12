"""the team edits its own content: topic fields archived and coloured, roles, password links

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

* ``topic_field.archived_at``: an archived field keeps its history, new forms leave it out.
* ``topic_field.colour_slot``: each field's own chart colour, given once; existing fields
  get the colour they had by their position, so no chart changes colour.
* ``organizer.role`` (``admin`` or ``organizer``): the first account (the lowest id among
  the active ones, else the lowest id) becomes admin, so someone can manage accounts.
* ``organizer.password_link_hash`` / ``password_link_expires_at``: the one-time link to
  set a password (SHA-256 of its token only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stammtisch.dbtypes import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "topic_field", sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "topic_field",
        sa.Column("colour_slot", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "organizer",
        sa.Column("role", sa.String(20), nullable=False, server_default="organizer"),
    )
    op.add_column("organizer", sa.Column("password_link_hash", sa.String(64), nullable=True))
    op.add_column(
        "organizer",
        sa.Column("password_link_expires_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "uq_organizer_password_link", "organizer", ["password_link_hash"], unique=True
    )

    conn = op.get_bind()
    fields = conn.execute(
        sa.text("SELECT id FROM topic_field ORDER BY position, id")
    ).scalars().all()
    for slot, field_id in enumerate(fields):
        conn.execute(
            sa.text("UPDATE topic_field SET colour_slot = :slot WHERE id = :id"),
            {"slot": slot, "id": field_id},
        )
    first = conn.execute(
        sa.text(
            "SELECT id FROM organizer ORDER BY CASE WHEN active THEN 0 ELSE 1 END, id LIMIT 1"
        )
    ).scalar()
    if first is not None:
        conn.execute(
            sa.text("UPDATE organizer SET role = 'admin' WHERE id = :id"), {"id": first}
        )


def downgrade() -> None:
    with op.batch_alter_table("organizer") as batch:
        batch.drop_index("uq_organizer_password_link")
        batch.drop_column("password_link_expires_at")
        batch.drop_column("password_link_hash")
        batch.drop_column("role")
    with op.batch_alter_table("topic_field") as batch:
        batch.drop_column("colour_slot")
        batch.drop_column("archived_at")
