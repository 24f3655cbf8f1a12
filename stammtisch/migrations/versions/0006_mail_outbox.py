"""mail outbox, registration confirmation by e-mail, iCalendar sequence

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

* ``mail``: the outbox. A mail is queued in the same transaction as the change that
  causes it; a sender claims due mails one at a time with a conditional UPDATE and a
  lease, retries with growing delays, and marks the last failure for the team.
* ``registration.place_order``: a registration's turn in its meeting's queue, given under
  the meeting's lock at confirmation; the waitlist's order. Existing rows: their id.
* ``registration.placed_at``: when it took its place. Existing rows: their creation time.
* ``registration.expires_at``: until when a "pending" (unconfirmed) registration can be
  confirmed.
* ``registration.previous_token_hash``: the personal link before the last fresh one.
* ``meeting.ics_sequence``: the SEQUENCE of the meeting's calendar entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stammtisch.dbtypes import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("place_order", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("placed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("previous_token_hash", sa.String(64), nullable=True))
        batch.create_index("ix_registration_status_expires", ["status", "expires_at"])
        batch.create_index(
            "ix_registration_previous_token_hash", ["previous_token_hash"], unique=False
        )
    # Until now the queue's order was the id.
    op.execute("UPDATE registration SET placed_at = created_at, place_order = id")
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(
            sa.Column("ics_sequence", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("to_name", sa.String(120), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("ics", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(200), nullable=True),
        sa.Column("message_id", sa.String(250), nullable=False, unique=True),
        sa.Column("dedupe_key", sa.String(120), nullable=True, unique=True),
        sa.Column(
            "registration_id",
            sa.Integer(),
            sa.ForeignKey("registration.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("meeting.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "offer_id",
            sa.Integer(),
            sa.ForeignKey("impulse_offer.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_mail_status_next", "mail", ["status", "next_attempt_at"])
    op.create_index("ix_mail_registration", "mail", ["registration_id"])
    op.create_index("ix_mail_created", "mail", ["created_at"])


def downgrade() -> None:
    op.drop_table("mail")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("ics_sequence")
    with op.batch_alter_table("registration") as batch:
        batch.drop_index("ix_registration_status_expires")
        batch.drop_index("ix_registration_previous_token_hash")
        batch.drop_column("previous_token_hash")
        batch.drop_column("expires_at")
        batch.drop_column("placed_at")
        batch.drop_column("place_order")
