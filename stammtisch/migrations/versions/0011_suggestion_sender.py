"""suggestions remember their sender for a day, to recognise a double send

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

``suggestion.sender_key``: a keyed hash of the sending browser's anonymous visitor id (or,
without one, of the network address). The same text from the same sender within a day is
stored once; the same text from someone else is a suggestion of its own. The key is
cleared once the day has passed (``stammtisch/suggestions.py``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suggestion") as batch:
        batch.add_column(sa.Column("sender_key", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestion") as batch:
        batch.drop_column("sender_key")
