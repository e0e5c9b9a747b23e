"""Backups and moves of a corpus: snapshots of the chunk and document collections, and their restore.

A snapshot is a folder holding ``manifest.json`` and one file per collection. Restoring replaces the
collections of the target store (of the same engine) with the snapshot's, then checks the counts.

- Qdrant server: Qdrant's own collection snapshots, made on the server and downloaded, and uploaded
  again to restore (``priority=snapshot``: the snapshot's data wins). A collection snapshot covers the
  shards on the node that made it; a multi-node cluster is backed up node by node (docs/deploy.md).
  qdrant-client's in-process mode (``:memory:``) has no snapshots.
- Embedded Qdrant Edge: Edge can load a shard from a server's shard snapshot but cannot make one, so
  its snapshot is a copy of the two shard directories, taken with the store's lock held (so no other
  process writes) after a flush, as a sparse gzip tar (its preallocated files are mostly holes). The
  write-ahead logs go along: they carry the operation counter, and a shard loaded without its log
  numbers new writes below its segments' versions, which then ignore them as already applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from assistant.config import Settings
from assistant.retrieval.edge_store import EdgeStore, lock_directory
from assistant.retrieval.server_store import ServerStore
from assistant.retrieval.store import SearchFilter, StoreError, VectorStore, documents_collection
from assistant.retrieval.store_factory import open_store

Engine = Literal["edge", "server"]
MANIFEST = "manifest.json"
FORMAT = 1
_EDGE_ARCHIVE = "store.tar.gz"
_DOWNLOAD_BLOCK = 1024 * 1024
_HTTP_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


class SnapshotError(StoreError):
    """A snapshot cannot be made or restored (the message says why and what to do)."""


@dataclass(frozen=True)
class Manifest:
    """What a snapshot holds; ``chunks`` counts committed chunks of every access level."""

    format: int
    engine: Engine
    collection: str
    chunks: int
    documents: int
    embedding_backend: str
    created_at: str
    files: dict[str, str]  # collection name -> file in the snapshot folder

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise SnapshotError(f"{folder} is not a snapshot: it has no {MANIFEST} (see: assistant snapshot create)")
        try:
            manifest = cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise SnapshotError(f"{path} is damaged or of another version: {exc}") from None
        if manifest.format != FORMAT:
            raise SnapshotError(f"{path} has snapshot format {manifest.format}; this version reads format {FORMAT}")
        missing = [name for name in manifest.files.values() if not (folder / name).is_file()]
        if missing:
            raise SnapshotError(f"the snapshot in {folder} is incomplete: {', '.join(missing)} missing")
        return manifest


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    collection: str  # where it was restored
    chunks: int
    documents: int


def engine_of(settings: Settings) -> Engine:
    return "server" if settings.qdrant_url else "edge"


def corpus_counts(store: VectorStore) -> tuple[int, int]:
    """(committed chunks of every access level, document records)."""
    return store.count(SearchFilter(access=[])), len(store.list_documents())


def create_snapshot(settings: Settings, folder: Path) -> Manifest:
    """Write a snapshot of ``settings.collection`` into ``folder`` (created; must be empty or new)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SnapshotError(f"{folder} already exists and is not an empty folder; choose a new one")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        store = open_store(settings)
        try:
            return write_snapshot(store, settings, folder)
        finally:
            store.close()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def write_snapshot(store: VectorStore, settings: Settings, folder: Path) -> Manifest:
    """Write the snapshot of an open store (of ``settings``'s collection) into the existing ``folder``."""
    if isinstance(store, ServerStore):
        return _create_server(store, settings, folder)
    if isinstance(store, EdgeStore):
        return _create_edge(store, settings, folder)
    raise SnapshotError(f"no snapshots for a store of type {type(store).__name__}")


def restore_snapshot(settings: Settings, folder: Path) -> Restored:
    """Replace ``settings.collection`` (and its document records) with the snapshot in ``folder``."""
    folder = Path(folder)
    manifest = Manifest.read(folder)
    engine = engine_of(settings)
    if manifest.engine != engine:
        raise SnapshotError(
            f"{folder} is a snapshot of the {_ENGINE_NAMES[manifest.engine]}; it restores only into the same kind "
            f"of store, and this one is the {_ENGINE_NAMES[engine]} (move a corpus between them by ingesting "
            "its files again: document ids are content hashes, so they stay the same)"
        )
    if engine == "server":
        _restore_server(settings, folder, manifest)
    else:
        _restore_edge(settings, folder, manifest)
    store = open_store(settings)
    try:
        chunks, documents = corpus_counts(store)
    finally:
        store.close()
    if engine == "edge" and (chunks, documents) != (manifest.chunks, manifest.documents):
        raise SnapshotError(
            f"restored {chunks} chunks and {documents} documents, but the snapshot recorded "
            f"{manifest.chunks} and {manifest.documents}"
        )
    return Restored(manifest, settings.collection, chunks, documents)


_ENGINE_NAMES = {"edge": "embedded store (Qdrant Edge)", "server": "Qdrant server"}


def _manifest(settings: Settings, engine: Engine, counts: tuple[int, int], files: dict[str, str]) -> Manifest:
    chunks, documents = counts
    return Manifest(
        format=FORMAT,
        engine=engine,
        collection=settings.collection,
        chunks=chunks,
        documents=documents,
        embedding_backend=settings.embedding_backend,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        files=files,
    )


# --- embedded store ------------------------------------------------------------------------------


def _create_edge(store: EdgeStore, settings: Settings, folder: Path) -> Manifest:
    """Archive both shard directories while ``store`` holds the directory lock."""
    names = [settings.collection, documents_collection(settings.collection)]
    missing = [name for name in names if not (store.path / name / "edge_config.json").is_file()]
    if missing:
        raise SnapshotError(f"nothing to snapshot: the store at {store.path} has no collection {missing[0]!r} yet")
    manifest = _manifest(settings, "edge", corpus_counts(store), {settings.collection: _EDGE_ARCHIVE})
    store.flush()
    # GNU tar writes the preallocated, mostly empty files sparse; Python's tarfile cannot.
    command = ["tar", "--create", "--sparse", "--gzip", "--file", str(folder / _EDGE_ARCHIVE)]
    done = subprocess.run([*command, "-C", str(store.path), *names], capture_output=True, text=True)
    if done.returncode != 0:
        raise SnapshotError(f"could not archive {store.path}: {done.stderr.strip()}")
    manifest.write(folder)
    return manifest


def _restore_edge(settings: Settings, folder: Path, manifest: Manifest) -> None:
    """Unpack into a staging folder, check it, then swap the shard directories in under the store lock."""
    store_dir = settings.store_dir
    store_dir.mkdir(parents=True, exist_ok=True)
    lock = lock_directory(store_dir)  # StoreBusy while a server or another command has the store open
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=store_dir))
    try:
        with tarfile.open(folder / manifest.files[manifest.collection]) as archive:
            archive.extractall(staging, filter="data")  # reads GNU sparse members back as sparse files
        sources = [manifest.collection, documents_collection(manifest.collection)]
        if not all((staging / name / "edge_config.json").is_file() for name in sources):
            raise SnapshotError(f"{folder} does not hold the shards of collection {manifest.collection!r}")
        staged = EdgeStore(staging, manifest.collection)  # its own lock file, inside the staging folder
        try:
            counts = corpus_counts(staged)
        finally:
            staged.close()
        if counts != (manifest.chunks, manifest.documents):
            raise SnapshotError(
                f"the snapshot in {folder} holds {counts[0]} chunks and {counts[1]} documents, but its manifest "
                f"records {manifest.chunks} and {manifest.documents}: it is damaged; nothing was changed"
            )
        replaced = staging / "replaced"
        replaced.mkdir()
        targets = [settings.collection, documents_collection(settings.collection)]
        for source, target in zip(sources, targets, strict=True):
            if (store_dir / target).exists():
                (store_dir / target).rename(replaced / target)
            (staging / source).rename(store_dir / target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(lock)


# --- Qdrant server -------------------------------------------------------------------------------


def _server_http(settings: Settings) -> httpx.Client:
    headers = {"api-key": settings.qdrant_api_key} if settings.qdrant_api_key else {}
    return httpx.Client(base_url=str(settings.qdrant_url).rstrip("/"), headers=headers, timeout=_HTTP_TIMEOUT)


def _create_server(store: ServerStore, settings: Settings, folder: Path) -> Manifest:
    """Snapshot both collections on the server, download them (checksum checked), delete them there."""
    files: dict[str, str] = {}
    names = [store.collection, store.documents]
    missing = [name for name in names if not store.client.collection_exists(name)]
    if missing:
        raise SnapshotError(f"nothing to snapshot: the Qdrant server has no collection {missing[0]!r} yet")
    counts = corpus_counts(store)
    with _server_http(settings) as http:
        for name in names:
            try:
                description = store.client.create_snapshot(name, wait=True)
            except NotImplementedError as exc:
                raise SnapshotError(f"this Qdrant has no snapshots ({exc})") from None
            assert description is not None, "wait=True returns the snapshot's description"
            path = folder / f"{name}.snapshot"
            try:
                digest = _download(http, f"/collections/{name}/snapshots/{description.name}", path)
            finally:
                store.client.delete_snapshot(name, description.name, wait=True)
            if description.checksum and digest != description.checksum:
                raise SnapshotError(f"the download of snapshot {description.name} of {name} is damaged; try again")
            files[name] = path.name
    manifest = _manifest(settings, "server", counts, files)
    manifest.write(folder)
    return manifest


def _download(http: httpx.Client, url: str, path: Path) -> str:
    digest = hashlib.sha256()
    with http.stream("GET", url) as response, path.open("wb") as out:
        _check(response, f"download {url}")
        for block in response.iter_bytes(_DOWNLOAD_BLOCK):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _restore_server(settings: Settings, folder: Path, manifest: Manifest) -> None:
    """Upload each collection's snapshot under the target names; the snapshot's data replaces the collection's."""
    targets = {
        manifest.collection: settings.collection,
        documents_collection(manifest.collection): documents_collection(settings.collection),
    }
    with _server_http(settings) as http:
        for source, target in targets.items():
            path = folder / manifest.files[source]
            with path.open("rb") as snapshot:
                response = http.post(
                    f"/collections/{target}/snapshots/upload",
                    params={"priority": "snapshot", "wait": "true"},
                    files={"snapshot": (path.name, snapshot, "application/octet-stream")},
                )
            _check(response, f"restore {target} from {path.name}")


def _check(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    response.read()
    raise SnapshotError(f"the Qdrant server refused to {what}: HTTP {response.status_code} {response.text[:300]}")
