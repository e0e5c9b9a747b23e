"""Alembic's entry point: migrations run on the connection ``Database.upgrade`` passes in."""

from __future__ import annotations

from alembic import context

from assistant.db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
context.run_migrations()
