"""One engine per process on the configured database, upgraded to the newest schema when opened.

SQLite (the embedded default) runs in WAL mode with foreign keys on, so readers never wait for the
writer and a killed process leaves either a whole transaction or none of it. PostgreSQL (scale-out)
is shared by every replica: replicas starting together take an advisory lock before migrating, so
only one of them runs the migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import AssistantError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 7_204_211  # any fixed number: the advisory lock replicas share while one migrates


class DatabaseError(AssistantError):
    """The relational store cannot be opened or migrated."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a killed process in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"ASSISTANT_DATABASE_URL is not a database URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(
            f"database {parsed.get_backend_name()!r} is not supported: use sqlite:///PATH or postgresql+psycopg://…"
        )
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """The engine, a session factory, and the schema migrations; ``Database.open`` is the way in."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Database:
        """Connect and bring the schema to the newest migration; a clear error if the server is unreachable."""
        database = cls(url)
        try:
            database.upgrade()
        except OperationalError as exc:
            database.close()
            shown = make_url(url).render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseError(f"cannot open the database {shown}: {reason}") from exc
        return database

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Run every migration not yet applied (idempotent; concurrent replicas migrate one at a time)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends and rolled back when it raises."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
