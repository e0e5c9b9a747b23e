"""Content-addressed storage of uploaded materials: bytes by their SHA-256, metadata in the database.

One small interface, two places for the bytes, chosen by ``ASSISTANT_MATERIALS_STORE``:

- ``files`` (the default with SQLite): ``MATERIALS_DIR/ab/abcdef…`` on the local disk. A file is written
  (temporary name, fsync, rename) before the row naming it commits, and removed only after the row's
  deletion committed, both under one lock file, so a killed process leaves at worst an unreferenced file,
  which ``sweep`` (``assistant case gc``) removes; a step that fails without being killed removes its
  own (``discard``). Never a row without its file.
- ``database`` (the default with PostgreSQL): the bytes are a column of the blob row, so every replica
  reads them from the shared database and a blob comes and goes in the same transaction as the case
  step that adds or drops it (docs/deploy.md says why this over an object store).

A blob row lives as long as some ``case_materials`` row points at it (the foreign key refuses to drop a
referenced blob); ``release`` drops the rows nothing points at any more.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assistant.db.models import CaseMaterial, MaterialBlob
from assistant.errors import AssistantError


class MissingBlob(AssistantError):
    """A material's bytes are not where its row says (a damaged or hand-edited materials directory)."""


class BlobStore:
    """Materials' bytes, in the database (``in_database``) or as files under ``root``."""

    def __init__(self, root: Path, in_database: bool) -> None:
        self.root = root
        self.in_database = in_database
        self._thread_lock = threading.Lock()

    @property
    def kind(self) -> str:
        return "database" if self.in_database else "files"

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold while writing files and committing their rows, or committing deletions and removing files:
        no sweep or removal can then see a file whose row is not yet committed."""
        if self.in_database:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # other processes on this host; released if one is killed
            yield

    def put(self, session: Session, data: bytes) -> str:
        """Store ``data`` (once per content) and return its sha256; call inside ``writing()``."""
        digest = hashlib.sha256(data).hexdigest()
        if not self.in_database:
            self._write_file(digest, data)
        table = MaterialBlob.__table__
        insert = postgresql.insert if session.connection().dialect.name == "postgresql" else sqlite.insert
        values = {"sha256": digest, "size": len(data), "data": data if self.in_database else None}
        session.execute(
            insert(table)
            .values(**values, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[table.c.sha256])
        )
        return digest

    def read(self, session: Session, digest: str) -> bytes:
        data = session.execute(select(MaterialBlob.data).where(MaterialBlob.sha256 == digest)).scalar_one_or_none()
        if data is not None:
            return data
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise MissingBlob(f"the stored material {digest[:12]}… is missing from {self.root}") from None

    def release(self, session: Session, digests: Iterable[str]) -> list[str]:
        """Drop the blob rows among ``digests`` that no material points at; their digests (for
        ``remove_files`` once the transaction committed)."""
        candidates = sorted(set(digests))
        if not candidates:
            return []
        unreferenced = ~exists().where(CaseMaterial.sha256 == MaterialBlob.sha256)
        statement = (
            delete(MaterialBlob).where(MaterialBlob.sha256.in_(candidates), unreferenced).returning(MaterialBlob.sha256)
        )
        return list(session.execute(statement).scalars())

    def remove_files(self, digests: Iterable[str]) -> None:
        """Remove the files of released blobs; call inside ``writing()`` after the release committed."""
        if self.in_database:
            return
        for digest in digests:
            self._path(digest).unlink(missing_ok=True)
            self._path(digest).with_name(f"{digest}.{os.getpid()}.tmp").unlink(missing_ok=True)

    def discard(self, session: Session, digests: Iterable[str]) -> None:
        """After a step failed: remove the files among ``digests`` that no committed row names; call inside
        ``writing()``."""
        if self.in_database:
            return
        wanted = sorted(set(digests))
        kept = set(session.scalars(select(MaterialBlob.sha256).where(MaterialBlob.sha256.in_(wanted))))
        self.remove_files(d for d in wanted if d not in kept)

    def sweep(self, session: Session) -> int:
        """Remove unreferenced blob rows, and files without a row (left by a killed process); call inside
        ``writing()``. Returns how many files and rows went."""
        rows = self.release(session, session.execute(select(MaterialBlob.sha256)).scalars())
        session.flush()
        if self.in_database or not self.root.is_dir():
            return len(rows)
        known = set(session.execute(select(MaterialBlob.sha256)).scalars())
        removed = 0
        for path in self.root.glob("??/*"):
            if path.name not in known:  # includes .tmp files of an interrupted write
                path.unlink(missing_ok=True)
                removed += 1
        return removed + len(rows)

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def _write_file(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.exists() and path.stat().st_size == len(data):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f"{digest}.{os.getpid()}.tmp")
        with open(scratch, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(scratch, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash before the row commits
        finally:
            os.close(directory)
