"""Database fixtures: every test that takes ``database_url`` runs once on SQLite and once on PostgreSQL.

PostgreSQL is a private cluster the session starts (tests/postgres_cluster.py), or the server named
by ``ASSISTANT_TEST_POSTGRES_URL`` (an admin URL; each test gets a new database on it). A test that
cannot reach its server fails; it never skips. Load with ``pytest_plugins = ["db_fixtures"]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_cluster import fresh_database, local_postgres


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    configured = os.environ.get("ASSISTANT_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with local_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'assistant.db'}"
        return
    with fresh_database(request.getfixturevalue("postgres_admin_url")) as url:
        yield url
