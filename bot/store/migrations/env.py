"""Alembic environment: runs on the connection that `bot.store.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through bot.store.migrate(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite can't ALTER most things; batch mode rebuilds the table when a later
    # migration needs it.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
