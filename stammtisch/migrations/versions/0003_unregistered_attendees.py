"""meeting.unregistered_attendees

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Zoom participants who matched no registration are counted per meeting, so attendance
statistics include them. Existing meetings get 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unregistered_attendees", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("unregistered_attendees")
