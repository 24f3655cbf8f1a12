"""organizer sessions on the server, login throttle per name and client address

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

* ``organizer_session``: a logged-in organizer's session (the browser's cookie carries a
  random id, stored here only as its SHA-256), with its idle and absolute limits.
* ``login_throttle`` is keyed on login name *and* client address (``client_key``; ``*``
  is the name-wide row). The old rows were per name only and are dropped: they are short
  lived counters, and a blocked organizer starts fresh.
* ``site_setting`` ``session_secret``: the key that signs the login cookie when
  ``STAMMTISCH_SECRET_KEY`` is not set (generated once per installation, like the
  participant salt).
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stammtisch.dbtypes import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizer_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organizer_id",
            sa.Integer(),
            sa.ForeignKey("organizer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("handover_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("handover_expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_organizer_session_organizer_id", "organizer_session", ["organizer_id"]
    )
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("login_key", sa.String(120), nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("blocked_until", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login_key", "client_key"),
    )
    op.create_index("ix_login_throttle_last_failure", "login_throttle", ["last_failure_at"])
    setting = sa.table("site_setting", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(setting, [{"key": "session_secret", "value": secrets.token_urlsafe(48)}])


def downgrade() -> None:
    op.execute("DELETE FROM site_setting WHERE key = 'session_secret'")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("login_key", sa.String(120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("blocked_until", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login_key"),
    )
    op.drop_table("organizer_session")
