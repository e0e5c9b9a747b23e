"""The relational store opens, migrates and reports failures plainly, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from assistant.db.engine import Database, DatabaseError
from assistant.db.models import Base

pytest_plugins = ["db_fixtures"]


def test_open_creates_every_table_and_a_second_open_changes_nothing(database_url: str) -> None:
    first = Database.open(database_url)
    tables = set(inspect(first.engine).get_table_names())
    first.close()
    second = Database.open(database_url)
    assert set(inspect(second.engine).get_table_names()) == tables
    assert set(Base.metadata.tables) <= tables
    with second.transaction() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    second.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database.open(f"sqlite:///{tmp_path / 'sub' / 'assistant.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    database.close()
    assert (tmp_path / "sub" / "assistant.db").exists()


def test_an_unreachable_server_is_named_without_its_password() -> None:
    url = "postgresql+psycopg://clerk:secret@127.0.0.1:1/cases?connect_timeout=2"
    with pytest.raises(DatabaseError) as raised:
        Database.open(url)
    assert "127.0.0.1:1/cases" in str(raised.value)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize("url", ["mysql://host/db", "not a url"])
def test_an_unsupported_url_is_refused(url: str) -> None:
    with pytest.raises(DatabaseError):
        Database(url)
