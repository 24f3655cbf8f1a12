"""e-mail key: NFC plus lower() instead of casefold(), equal in Python and SQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

The duplicate rule compares ``registration.email_normalized``. It used to be the
address's ``str.casefold()``, which also turns "ß" into "ss"; no SQL ``lower()`` does
that, so erasure and matching in SQL could miss such an address. The key is now
``stammtisch.validation.email_key`` (NFC plus ``lower()``); existing rows are recomputed.
Only addresses with characters that casefold and lower() treat differently change.
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

registration = sa.table(
    "registration",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_normalized", sa.String),
)


def _key(email: str) -> str:
    # A copy of the rule at this revision: migrations never import the app's code.
    return unicodedata.normalize("NFC", email.strip()).lower()


def _recompute(key) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(registration.c.id, registration.c.email, registration.c.email_normalized).where(
            registration.c.email.is_not(None)
        )
    ).all()
    for row_id, email, stored in rows:
        wanted = key(email)
        if wanted != stored:
            conn.execute(
                registration.update()
                .where(registration.c.id == row_id)
                .values(email_normalized=wanted)
            )


def upgrade() -> None:
    _recompute(_key)


def downgrade() -> None:
    _recompute(lambda email: email.casefold())
