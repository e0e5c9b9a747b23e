"""`assistant snapshot create|restore`: a corpus survives create → delete → restore, on real Qdrant stores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from qdrant_client import QdrantClient
from test_store import CORPUS, ENCODER, corpus_vectors, edge_template, load_corpus, near

from assistant.config import Settings
from assistant.retrieval.edge_store import EdgeStore
from assistant.retrieval.server_store import ServerStore
from assistant.retrieval.snapshot import (
    MANIFEST,
    SnapshotError,
    corpus_counts,
    create_snapshot,
    restore_snapshot,
    write_snapshot,
)
from assistant.retrieval.store import SearchFilter, StoreBusy

COLLECTION = "test"  # the collection of test_store's edge_template
__all__ = ["edge_template"]  # a fixture of test_store, used here
ALL_CHUNKS = sum(len(texts) for _, texts in CORPUS.values())


@pytest.fixture
def settings(tmp_path: Path, edge_template: Path) -> Settings:
    """An embedded store holding the synthetic corpus of test_store (a copy of its closed template)."""
    settings = Settings(data_dir=tmp_path / "data", collection=COLLECTION)
    settings.data_dir.mkdir()
    subprocess.run(["cp", "-a", str(edge_template), str(settings.store_dir)], check=True)
    return settings


def counts(settings: Settings) -> tuple[int, int]:
    store = EdgeStore(settings.store_dir, settings.collection)
    try:
        return corpus_counts(store)
    finally:
        store.close()


def delete(settings: Settings, *doc_ids: str) -> None:
    store = EdgeStore(settings.store_dir, settings.collection)
    try:
        for doc_id in doc_ids:
            assert store.delete_document(doc_id) > 0
    finally:
        store.close()


def test_edge_snapshot_brings_back_deleted_documents(settings: Settings, tmp_path: Path) -> None:
    before = counts(settings)
    assert before == (ALL_CHUNKS, len(CORPUS))
    manifest = create_snapshot(settings, tmp_path / "snap")
    assert (manifest.engine, manifest.collection, manifest.chunks, manifest.documents) == ("edge", COLLECTION, *before)

    delete(settings, "kjt", "memo")
    assert counts(settings) == (ALL_CHUNKS - 4, len(CORPUS) - 2)

    restored = restore_snapshot(settings, tmp_path / "snap")
    assert (restored.chunks, restored.documents) == before
    assert counts(settings) == before
    store = EdgeStore(settings.store_dir, COLLECTION)
    try:  # the restored store searches, and takes writes
        target = "算力券政策：企业申请算力券抵扣智能算力服务费用"
        dense = near(corpus_vectors()[target])
        assert store.search(dense, ENCODER.encode_query("算力券"), SearchFilter(), 1)[0].payload["text"] == target
        assert store.get_document("memo") is not None
        assert store.delete_document("draft") == 2
    finally:
        store.close()
    assert counts(settings) == (ALL_CHUNKS - 2, len(CORPUS) - 1)


def test_a_snapshot_restores_into_another_collection(settings: Settings, tmp_path: Path) -> None:
    create_snapshot(settings, tmp_path / "snap")
    moved = settings.model_copy(update={"collection": "moved"})
    restored = restore_snapshot(moved, tmp_path / "snap")
    assert (restored.collection, restored.chunks, restored.documents) == ("moved", ALL_CHUNKS, len(CORPUS))
    assert counts(moved) == counts(settings)


def test_snapshots_need_the_store_to_themselves(settings: Settings, tmp_path: Path) -> None:
    store = EdgeStore(settings.store_dir, COLLECTION)  # e.g. a running `assistant serve`
    try:
        with pytest.raises(StoreBusy):
            create_snapshot(settings, tmp_path / "snap")
        assert not (tmp_path / "snap").exists()
    finally:
        store.close()
    create_snapshot(settings, tmp_path / "snap")
    store = EdgeStore(settings.store_dir, COLLECTION)
    try:
        with pytest.raises(StoreBusy):
            restore_snapshot(settings, tmp_path / "snap")
    finally:
        store.close()


def test_a_damaged_snapshot_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    create_snapshot(settings, snap)
    delete(settings, "kjt")
    after_delete = counts(settings)
    manifest = json.loads((snap / MANIFEST).read_text(encoding="utf-8"))
    (snap / MANIFEST).write_text(json.dumps({**manifest, "chunks": manifest["chunks"] + 1}), encoding="utf-8")
    with pytest.raises(SnapshotError, match="damaged; nothing was changed"):
        restore_snapshot(settings, snap)
    assert counts(settings) == after_delete
    assert {p.name for p in settings.store_dir.iterdir()} == {COLLECTION, f"{COLLECTION}_documents", "store.lock"}

    with pytest.raises(SnapshotError, match="not a snapshot"):
        restore_snapshot(settings, tmp_path)
    with pytest.raises(SnapshotError, match="not an empty folder"):
        create_snapshot(settings, snap)


def test_an_embedded_snapshot_does_not_restore_into_a_server(settings: Settings, tmp_path: Path) -> None:
    create_snapshot(settings, tmp_path / "snap")
    server = settings.model_copy(update={"qdrant_url": "http://127.0.0.1:9"})
    with pytest.raises(SnapshotError, match="restores only into the same kind of store"):
        restore_snapshot(server, tmp_path / "snap")


def test_in_process_qdrant_has_no_snapshots(tmp_path: Path) -> None:
    """qdrant-client's `:memory:` mode cannot snapshot: the server path is only exercised against a real server."""
    store = ServerStore(QdrantClient(":memory:"), COLLECTION)
    load_corpus(store)
    try:
        with pytest.raises(SnapshotError, match="no snapshots"):
            write_snapshot(store, Settings(collection=COLLECTION, qdrant_url="http://127.0.0.1:9"), tmp_path)
    finally:
        store.close()


def test_snapshot_commands(settings: Settings, tmp_path: Path) -> None:
    env = {"ASSISTANT_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant.cli", "snapshot", *args, "--collection", COLLECTION]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    created = cli("create", str(tmp_path / "snap"), "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["chunks"] == ALL_CHUNKS
    delete(settings, "undated")
    restored = cli("restore", str(tmp_path / "snap"))
    assert restored.returncode == 0, restored.stderr
    assert f"{len(CORPUS)} documents, {ALL_CHUNKS} chunks" in restored.stdout
    missing = cli("restore", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ") and "not a snapshot" in missing.stderr
