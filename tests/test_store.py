"""Both store engines on real Qdrant: Qdrant Edge in tmp_path and qdrant-client's in-process Qdrant."""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from assistant.config import Settings
from assistant.retrieval.edge_store import EdgeStore, busy_message
from assistant.retrieval.server_store import ServerStore
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import (
    SearchFilter,
    SearchMode,
    StoredPoint,
    StoreError,
    StoreMismatch,
    VectorStore,
    chunk_point_id,
)
from assistant.retrieval.store_factory import open_store

DIM = 16
MODES: list[SearchMode] = ["dense", "sparse", "hybrid"]
ENCODER = SparseEncoder()

# doc_id -> (document fields, chunk texts). Every text says 政策 so a sparse query for it reaches all chunks.
CORPUS = {
    "kjt": (
        {"issuer": "省科技厅", "date": "2024-03-01", "status": None, "access": "public"},
        ["算力券政策：企业申请算力券抵扣智能算力服务费用", "人工智能政策：支持大模型研发", "数据中心政策：绿色低碳"],
    ),
    "draft": (
        {"issuer": "省发改委", "date": "2025-06-10", "status": "征求意见稿", "access": "public"},
        ["征求意见稿政策：新能源汽车充电设施建设", "征求意见稿政策：充电桩补贴标准"],
    ),
    "memo": (
        {"issuer": "省科技厅", "date": "2023-01-05", "status": None, "access": "internal"},
        ["内部政策：科研经费管理细则"],
    ),
    "undated": (
        {"issuer": "市政府", "date": None, "status": None, "access": "public"},
        ["户籍政策：婴儿出生登记办理"],
    ),
}


@dataclass
class Fixture:
    store: VectorStore
    reopen: Callable[[], VectorStore]  # the same data seen by a fresh store object (a new process, for Edge)
    vectors: dict[str, np.ndarray]  # chunk text -> its dense vector


def unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def chunk_points(doc_id: str, fields: dict, texts: list[str], vectors: dict[str, np.ndarray]) -> list[StoredPoint]:
    return [
        StoredPoint(
            id=chunk_point_id(doc_id, i),
            payload={"doc_id": doc_id, "chunk_index": i, "text": text, "source": f"{doc_id}.txt", **fields},
            dense=vectors[text],
            sparse=ENCODER.encode_passage(text),
        )
        for i, text in enumerate(texts)
    ]


def ingest(store: VectorStore, vectors: dict[str, np.ndarray], doc_id: str, commit: bool = True) -> None:
    fields, texts = CORPUS[doc_id]
    store.upsert_chunks(chunk_points(doc_id, fields, texts, vectors))
    if commit:
        store.set_committed(doc_id)
    store.upsert_document(doc_id, {"title": f"title {doc_id}", "source": f"{doc_id}.txt", "chunks": len(texts)})


def corpus_vectors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {text: unit(rng) for _, texts in CORPUS.values() for text in texts}


def load_corpus(store: VectorStore) -> None:
    store.ensure_collection(DIM)
    vectors = corpus_vectors()
    for doc_id in CORPUS:
        ingest(store, vectors, doc_id)


@pytest.fixture(scope="session")
def edge_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus in a closed Edge store, built once: each test gets a copy (creating indexes is slow)."""
    path = tmp_path_factory.mktemp("edge-template") / "qdrant"
    store = EdgeStore(path, "test")
    load_corpus(store)
    store.close()
    return path


@pytest.fixture(scope="module", params=["edge", "server"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    """One loaded store per engine for the tests that only read."""
    if request.param == "edge":
        store: VectorStore = EdgeStore(tmp_path_factory.mktemp("edge-shared") / "qdrant", "test")
    else:
        store = ServerStore(QdrantClient(":memory:"), "test")
    load_corpus(store)

    def no_reopen() -> VectorStore:
        raise AssertionError("tests that reopen the store use the fx fixture")

    yield Fixture(store, no_reopen, corpus_vectors())
    store.close()


@pytest.fixture(params=["edge", "server"])
def fx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fixture]:
    opened: list[VectorStore] = []
    if request.param == "edge":
        path = tmp_path / "qdrant"
        # cp keeps Edge's preallocated write-ahead log files sparse; shutil.copytree writes out their 64 MB.
        subprocess.run(["cp", "-a", str(request.getfixturevalue("edge_template")), str(path)], check=True)

        def reopen() -> VectorStore:
            opened[-1].close()
            opened.append(EdgeStore(path, "test"))
            return opened[-1]

        opened.append(EdgeStore(path, "test"))
    else:
        client = QdrantClient(":memory:")

        def reopen() -> VectorStore:
            opened.append(ServerStore(client, "test"))
            return opened[-1]

        opened.append(ServerStore(client, "test"))
        load_corpus(opened[0])
    yield Fixture(opened[0], reopen, corpus_vectors())
    for store in opened:
        store.close()


def near(vector: np.ndarray, seed: int = 0) -> np.ndarray:
    noisy = vector + 0.05 * np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return (noisy / np.linalg.norm(noisy)).astype(np.float32)


def search(fx: Fixture, query: str, mode: SearchMode, flt: SearchFilter | None = None, limit: int = 20):
    """Search with the dense vector of the chunk whose text is ``query`` (if any) and the sparse query."""
    dense = near(fx.vectors[query]) if query in fx.vectors else near(next(iter(fx.vectors.values())))
    return fx.store.search(dense, ENCODER.encode_query(query), flt, limit, mode=mode)


def doc_ids(hits) -> set[str]:
    return {h.payload["doc_id"] for h in hits}


def test_search_returns_the_planted_chunk_first(shared: Fixture) -> None:
    target = "户籍政策：婴儿出生登记办理"
    dense = near(shared.vectors[target])
    for mode in MODES:
        hits = shared.store.search(dense, ENCODER.encode_query("婴儿出生登记"), SearchFilter(), 3, mode=mode)
        assert hits[0].payload["text"] == target, mode
        assert hits[0].payload["committed"] is True
        assert len(hits) == (1 if mode == "sparse" else 3)  # only one chunk has these words
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_weights_choose_between_dense_and_sparse(shared: Fixture) -> None:
    # One candidate from each side, so the fusion can only rank the dense winner against the sparse one.
    dense_target, sparse_target = "人工智能政策：支持大模型研发", "户籍政策：婴儿出生登记办理"
    dense, sparse = near(shared.vectors[dense_target]), ENCODER.encode_query("婴儿出生登记")

    def best(weights: tuple[float, float]) -> str:
        hits = shared.store.search(dense, sparse, SearchFilter(), 1, prefetch_limit=1, weights=weights)
        return hits[0].payload["text"]

    assert best((3.0, 1.0)) == dense_target
    assert best((1.0, 3.0)) == sparse_target
    assert best((0.0, 1.0)) == sparse_target
    # Equal weights and one candidate each: the fused scores are equal, and the dense order decides, every time.
    assert {best((1.0, 1.0)) for _ in range(20)} == {dense_target}


def test_hybrid_with_an_empty_sparse_query_is_dense_search(shared: Fixture) -> None:
    dense = near(shared.vectors["数据中心政策：绿色低碳"])
    hybrid = shared.store.search(dense, ENCODER.encode_query("的了吗？"), SearchFilter(), 3)
    assert [h.id for h in hybrid] == [h.id for h in shared.store.search(dense, None, SearchFilter(), 3, mode="dense")]
    assert shared.store.search(dense, ENCODER.encode_query("的了吗？"), SearchFilter(), 3, mode="sparse") == []


def test_uncommitted_chunks_are_invisible_until_committed(fx: Fixture) -> None:
    fx.store.delete_document("undated")
    ingest(fx.store, fx.vectors, "undated", commit=False)
    query = "户籍政策：婴儿出生登记办理"
    for mode in MODES:
        assert "undated" not in doc_ids(search(fx, query, mode)), mode
    assert fx.store.count(SearchFilter(doc_ids=["undated"])) == 0
    assert list(fx.store.scroll_chunks("undated")) == []
    fx.store.set_committed("undated")
    for mode in MODES:
        assert search(fx, query, mode)[0].payload["doc_id"] == "undated", mode
    assert fx.store.count(SearchFilter(doc_ids=["undated"])) == 1


def test_one_write_commits_and_records_several_documents(fx: Fixture) -> None:
    batch = ("undated", "draft")
    for doc_id in (*batch, "memo"):
        fx.store.delete_document(doc_id)
        fields, texts = CORPUS[doc_id]
        fx.store.upsert_chunks(chunk_points(doc_id, fields, texts, fx.vectors))
    fx.store.set_committed(*batch)
    everything = SearchFilter(access=[])
    assert fx.store.count(everything) == 6  # kjt's 3, undated's 1, draft's 2; memo stays uncommitted
    assert fx.store.count(SearchFilter(doc_ids=["memo"], access=[])) == 0
    fx.store.upsert_documents({doc_id: {"title": f"again {doc_id}", "source": f"{doc_id}.txt"} for doc_id in batch})
    assert [fx.store.get_document(d) for d in batch] == [
        {"title": f"again {d}", "source": f"{d}.txt", "doc_id": d} for d in batch
    ]
    assert fx.store.get_document("memo") is None


def test_retrieve_returns_committed_chunks_by_id(fx: Fixture) -> None:
    fx.store.delete_document("undated")
    ingest(fx.store, fx.vectors, "undated", commit=False)
    ids = [chunk_point_id("kjt", 0), chunk_point_id("kjt", 2), chunk_point_id("undated", 0), chunk_point_id("kjt", 99)]
    found = {h.id: h.payload for h in fx.store.retrieve(ids)}
    assert set(found) == {chunk_point_id("kjt", 0), chunk_point_id("kjt", 2)}
    assert found[chunk_point_id("kjt", 2)]["chunk_index"] == 2
    assert fx.store.retrieve([]) == []


def test_about_scores_cover_the_chunks_stored_with_an_about_vector(fx: Fixture) -> None:
    rng = np.random.default_rng(3)
    head_about, query = unit(rng), unit(rng)
    fields, texts = CORPUS["undated"]
    points = chunk_points(
        "undated", fields, [*texts, "户籍政策：第二段"], {**fx.vectors, "户籍政策：第二段": unit(rng)}
    )
    points[0].about = head_about
    fx.store.upsert_chunks(points)
    fx.store.set_committed("undated")
    head, second, other = chunk_point_id("undated", 0), chunk_point_id("undated", 1), chunk_point_id("kjt", 0)

    scores = fx.store.about_scores(query, [head, second, other])

    assert set(scores) == {head}
    assert scores[head] == pytest.approx(float(head_about @ query), abs=1e-4)
    assert fx.store.about_scores(query, []) == {}


@pytest.mark.parametrize("engine", ["edge", "server"])
def test_a_collection_made_before_about_vectors_keeps_working_without_them(engine: str, tmp_path: Path) -> None:
    """An older store has no ABOUT vector: its chunks are written and searched as before, never reordered."""
    if engine == "edge":
        from qdrant_edge import Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParams, EdgeVectorParams, Modifier

        config = EdgeConfig(
            vectors={"dense": EdgeVectorParams(size=DIM, distance=Distance.Cosine)},
            sparse_vectors={"sparse": EdgeSparseVectorParams(modifier=Modifier.Idf)},
        )
        EdgeShard.create(str(tmp_path / "old"), config).close()
        store: VectorStore = EdgeStore(tmp_path, "old")
    else:
        from qdrant_client import models

        client = QdrantClient(":memory:")
        client.create_collection(
            "old",
            vectors_config={"dense": models.VectorParams(size=DIM, distance=models.Distance.COSINE)},
            sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        store = ServerStore(client, "old")
    try:
        store.ensure_collection(DIM)
        vectors = corpus_vectors()
        points = chunk_points("undated", *CORPUS["undated"], vectors)
        points[0].about = vectors["户籍政策：婴儿出生登记办理"]
        store.upsert_chunks(points)
        store.set_committed("undated")
        query = near(vectors["户籍政策：婴儿出生登记办理"])
        assert store.search(query, ENCODER.encode_query("户籍"), None, 3)[0].payload["doc_id"] == "undated"
        assert store.about_scores(query, [points[0].id]) == {}
    finally:
        store.close()


def test_delete_uncommitted_removes_interrupted_ingests_only(fx: Fixture) -> None:
    fx.store.delete_document("draft")
    ingest(fx.store, fx.vectors, "draft", commit=False)
    assert fx.store.delete_uncommitted() == 0  # this store's own ingest is still running
    later = fx.reopen()  # a fresh store object sees an ingest that never finished
    assert later.delete_uncommitted() == 2
    later.set_committed("draft")
    assert later.count(SearchFilter(doc_ids=["draft"])) == 0
    assert later.count() == 5


def test_delete_document_removes_its_chunks_and_record(fx: Fixture) -> None:
    assert fx.store.delete_document("kjt") == 3
    assert fx.store.get_document("kjt") is None
    assert fx.store.count(SearchFilter(doc_ids=["kjt"], access=[])) == 0
    assert "kjt" not in doc_ids(search(fx, "算力券政策：企业申请算力券抵扣智能算力服务费用", "hybrid"))
    assert fx.store.count(SearchFilter(access=[])) == 4
    assert fx.store.delete_document("kjt") == 0


FILTERS = [
    (SearchFilter(doc_ids=["kjt", "undated"]), {"kjt", "undated"}),
    (SearchFilter(issuers=["省科技厅"]), {"kjt"}),
    (SearchFilter(issuers=["省科技厅"], access=["public", "internal"]), {"kjt", "memo"}),
    (SearchFilter(exclude_statuses=["征求意见稿"]), {"kjt", "undated"}),
    (SearchFilter(statuses=["征求意见稿"]), {"draft"}),
    (SearchFilter(date_from="2024-01-01"), {"kjt", "draft"}),
    (SearchFilter(date_from="2024-03-01", date_to="2024-03-01"), {"kjt"}),
    (SearchFilter(date_to="2025-06-09", access=["internal"]), {"memo"}),
    (SearchFilter(), {"kjt", "draft", "undated"}),
    (SearchFilter(access=[]), {"kjt", "draft", "memo", "undated"}),
]


def test_filters_restrict_every_search_mode(shared: Fixture) -> None:
    for flt, expected in FILTERS:
        for mode in MODES:
            assert doc_ids(search(shared, "政策", mode, flt)) == expected, (flt, mode)
        assert shared.store.count(flt) == sum(len(CORPUS[d][1]) for d in expected), flt


def test_a_public_caller_never_sees_internal_chunks(shared: Fixture) -> None:
    memo = "内部政策：科研经费管理细则"
    for mode in MODES:
        for flt in (SearchFilter(), SearchFilter(doc_ids=["memo"]), SearchFilter(issuers=["省科技厅"])):
            assert all(h.payload["access"] == "public" for h in search(shared, memo, mode, flt)), (flt, mode)
        assert search(shared, memo, mode, SearchFilter(access=["public", "internal"]))[0].payload["text"] == memo


def test_count_without_filter_counts_every_committed_chunk(shared: Fixture) -> None:
    assert shared.store.count() == 7
    assert shared.store.count(SearchFilter()) == 6  # public only


def test_scroll_chunks_in_chunk_order(fx: Fixture) -> None:
    fields, _ = CORPUS["kjt"]
    texts = [f"第{i}段政策" for i in range(7)]
    vectors = {t: near(fx.vectors["数据中心政策：绿色低碳"], seed=i) for i, t in enumerate(texts)}
    points = chunk_points("long", fields, texts, vectors)
    fx.store.upsert_chunks(points[4:] + points[:2])
    fx.store.upsert_chunks(points[2:4])
    fx.store.set_committed("long")
    scrolled = list(fx.store.scroll_chunks("long"))
    assert [h.payload["chunk_index"] for h in scrolled] == list(range(7))
    assert [h.id for h in scrolled] == [p.id for p in points]
    assert [h.payload["chunk_index"] for h in fx.store.scroll_chunks("memo")] == [0]  # scrolling ignores access
    assert list(fx.store.scroll_chunks("no-such-doc")) == []


def test_document_records(fx: Fixture) -> None:
    record = fx.store.get_document("draft")
    assert record == {"title": "title draft", "source": "draft.txt", "chunks": 2, "doc_id": "draft"}
    assert fx.store.get_document("missing") is None
    fx.store.upsert_document("draft", {"title": "renamed", "source": "a.txt"})
    listed = fx.store.list_documents()
    assert [d["doc_id"] for d in listed] == ["draft", "kjt", "memo", "undated"]  # by source
    assert listed[0] == {"title": "renamed", "source": "a.txt", "doc_id": "draft"}


def test_data_survives_reopening(fx: Fixture) -> None:
    fx.store.upsert_document("kjt", {"title": "kept", "source": "kjt.txt"})
    later = fx.reopen()
    assert later.count(SearchFilter(access=[])) == 7
    assert later.get_document("kjt") == {"title": "kept", "source": "kjt.txt", "doc_id": "kjt"}
    later.ensure_collection(DIM)  # idempotent on an existing store
    target = "数据中心政策：绿色低碳"
    assert later.search(near(fx.vectors[target]), ENCODER.encode_query(target), None, 1)[0].payload["text"] == target


def test_a_store_built_for_another_dimension_is_refused(shared: Fixture) -> None:
    with pytest.raises(StoreMismatch, match="16-dimensional"):
        shared.store.ensure_collection(DIM * 2)
    with pytest.raises(StoreMismatch, match="query vector"):
        shared.store.search(np.ones(DIM * 2, np.float32), None, None, 3, mode="dense")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "dense", "dense": None}, "dense search needs a dense query vector"),
        ({"mode": "sparse", "sparse": None}, "sparse search needs a sparse query vector"),
        ({"mode": "fuzzy"}, "search mode must be"),
        ({"limit": 0}, "at least 1"),
        ({"weights": (0.0, 0.0)}, "fusion weights"),
        ({"flt": SearchFilter(date_from="2024/01/01")}, "date_from must be an ISO date"),
        ({"flt": SearchFilter(date_from="2025-01-01", date_to="2024-01-01")}, "is after date_to"),
    ],
)
def test_bad_search_requests_are_explained(shared: Fixture, kwargs: dict, message: str) -> None:
    request = {
        "dense": near(shared.vectors["数据中心政策：绿色低碳"]),
        "sparse": ENCODER.encode_query("政策"),
        "flt": None,
        "limit": 3,
        "mode": "hybrid",
        **kwargs,
    }
    with pytest.raises(StoreError, match=message):
        shared.store.search(**request)


def test_incomplete_chunks_are_refused(shared: Fixture) -> None:
    point = chunk_points("x", {}, ["政策"], {"政策": near(shared.vectors["数据中心政策：绿色低碳"])})[0]
    with pytest.raises(StoreError, match="needs both a dense and a sparse vector"):
        shared.store.upsert_chunks([StoredPoint(point.id, point.payload, point.dense, None)])
    with pytest.raises(StoreError, match="no doc_id"):
        shared.store.upsert_chunks([StoredPoint(point.id, {"text": "政策"}, point.dense, point.sparse)])


@pytest.mark.parametrize("engine", ["edge", "server"])
def test_an_empty_store_reads_as_empty(engine: str, tmp_path: Path) -> None:
    store = EdgeStore(tmp_path, "fresh") if engine == "edge" else ServerStore(QdrantClient(":memory:"), "fresh")
    try:
        assert store.search(np.ones(DIM, np.float32), ENCODER.encode_query("政策"), None, 3) == []
        assert store.count() == 0
        assert store.list_documents() == []
        assert store.get_document("x") is None
        assert list(store.scroll_chunks("x")) == []
        assert store.delete_uncommitted() == 0
        assert store.delete_document("x") == 0
        with pytest.raises(StoreError, match="ensure_collection first"):
            store.upsert_chunks(chunk_points("x", {}, ["政策"], {"政策": np.ones(DIM, np.float32)}))
    finally:
        store.close()


HOLD_STORE = """
import sys
from pathlib import Path
from assistant.retrieval.edge_store import EdgeStore
from assistant.retrieval.store import StoreBusy
try:
    store = EdgeStore(Path(sys.argv[1]), "test")
except StoreBusy as exc:
    print("busy:" + str(exc), flush=True)
    sys.exit(0)
print("opened", flush=True)
sys.stdin.readline()
store.close()
"""


def run_holder(path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def test_a_second_process_gets_store_busy(tmp_path: Path) -> None:
    path = tmp_path / "qdrant"
    store = EdgeStore(path, "test")
    other = run_holder(path)
    out, _ = other.communicate(timeout=60)
    assert out.strip() == "busy:" + busy_message(path)
    assert "is in use by another process" in out and "ASSISTANT_QDRANT_URL" in out
    store.close()

    other = run_holder(path)  # the lock went with close()
    assert other.stdout is not None and other.stdout.readline().strip() == "opened"
    with pytest.raises(StoreError, match="is in use by another process"):
        EdgeStore(path, "test")
    other.communicate("\n", timeout=60)
    EdgeStore(path, "test").close()


def test_open_store_picks_the_engine(tmp_path: Path) -> None:
    embedded = open_store(Settings(data_dir=tmp_path, dense_weight=2.0))
    try:
        assert isinstance(embedded, EdgeStore)
        assert embedded.path == tmp_path / "qdrant"
        assert embedded.weights == (2.0, 1.0)
    finally:
        embedded.close()
    # qdrant-client checks the server version in a background thread and warns when nothing answers.
    before = set(threading.enumerate())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Failed to obtain server version")
        server = open_store(Settings(data_dir=tmp_path, qdrant_url="http://127.0.0.1:1", collection="c"))
        for thread in set(threading.enumerate()) - before:
            thread.join(timeout=30)
    assert isinstance(server, ServerStore) and server.collection == "c"
    server.close()
