"""limits on public forms per client, stored for every process

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

``rate_hit``: one row per public send (registration, suggestion, "+1", impulse offer,
subscription, link request) under a keyed hash of the network address, the typed e-mail
address or the pair (address, suggestion); see ``stammtisch/rate_limits.py``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stammtisch.dbtypes import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_hit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rate_hit_action_key_at", "rate_hit", ["action", "key", "at"])
    op.create_index("ix_rate_hit_at", "rate_hit", ["at"])


def downgrade() -> None:
    op.drop_table("rate_hit")
