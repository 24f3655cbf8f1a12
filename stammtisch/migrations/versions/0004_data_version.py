"""data_version row for cache invalidation across server processes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Every write transaction increments site_setting 'data_version'; each app process reads
it once per page run and uses it in its cache keys, so a change made through one
process is visible in all others at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

setting = sa.table("site_setting", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
    op.bulk_insert(setting, [{"key": "data_version", "value": "1"}])


def downgrade() -> None:
    op.execute(setting.delete().where(setting.c.key == "data_version"))
