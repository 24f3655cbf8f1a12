"""Alembic environment: uses the app's engine (passed in) or the configured database."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import stammtisch.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from stammtisch.config import load_settings
from stammtisch.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(load_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
