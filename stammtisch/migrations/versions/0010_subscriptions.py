"""subscriptions with double opt-in; mails know their subscription and unsubscribe link

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

* ``subscription``: "tell me when registration opens" (one meeting) and announcements of
  new meetings, each confirmed by a link first (``stammtisch/subscriptions.py``).
* ``subscription_topic_field``: the topic fields an announcement subscriber chose.
* ``mail.subscription_id`` and ``mail.list_unsubscribe``: the one-click unsubscribe
  address for the ``List-Unsubscribe`` header (RFC 8058).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stammtisch.dbtypes import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("meeting.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_normalized", sa.String(320), nullable=False),
        sa.Column("name", sa.String(120), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("confirm_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("consent_version", sa.String(40), nullable=False),
        sa.Column("consent_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_subscription_email", "subscription", ["email_normalized"])
    op.create_index("ix_subscription_meeting", "subscription", ["meeting_id"])
    op.create_index("ix_subscription_status_expires", "subscription", ["status", "expires_at"])
    op.create_table(
        "subscription_topic_field",
        sa.Column(
            "subscription_id",
            sa.Integer(),
            sa.ForeignKey("subscription.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "topic_field_id",
            sa.Integer(),
            sa.ForeignKey("topic_field.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    with op.batch_alter_table("mail") as batch:
        batch.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("list_unsubscribe", sa.String(500), nullable=True))
        batch.create_foreign_key(
            "fk_mail_subscription_id",
            "subscription",
            ["subscription_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("mail") as batch:
        batch.drop_constraint("fk_mail_subscription_id", type_="foreignkey")
        batch.drop_column("list_unsubscribe")
        batch.drop_column("subscription_id")
    op.drop_table("subscription_topic_field")
    op.drop_table("subscription")
