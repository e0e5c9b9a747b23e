"""Search latency of the embedded store at a given corpus size, query embedding included.

    .venv/bin/python -m bench.search_latency --chunks 20000 [--base 1000] [--queries 40] [--json]

The store is filled with ``--chunks`` passages made from the service catalogue as bench.embed renders
it. Only ``--base`` distinct passages are embedded with the real model (embedding 100k passages takes
hours on 2 cores); every further passage repeats one of them with its vector moved by a little noise,
so the store keeps the clustering of real text. Sparse vectors come from the passages' text. After
writing, the store builds its indexes (``optimize``), as an operator does after a large ingest.

The questions of eval/catalogue_qa.jsonl then go through ``Searcher.search`` (normalise, embed,
hybrid search, evidence decision, neighbour context) and, separately, through the store alone with
precomputed query vectors. Reported: p50/p95 of both, write and index times, disk use, peak memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.components import Components
from assistant.config import get_settings
from assistant.retrieval.store import SearchFilter, StoredPoint, chunk_point_id
from bench.embed import service_items
from bench.stats import directory_mib, latency_ms, peak_rss_mib, scratch_settings

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "eval" / "catalogue_qa.jsonl"
CHUNKS_PER_DOCUMENT = 50
NOISE = 0.02
_WRITE_BATCH = 512


def chunk_payload(doc_id: str, index: int, text: str) -> dict[str, Any]:
    """The payload fields the searcher and its citations read, as the ingest pipeline writes them."""
    title = text.split("\n", 1)[0][:40]
    return {
        "kind": "chunk",
        "doc_id": doc_id,
        "chunk_index": index,
        "text": text,
        "heading_path": [title],
        "section": title,
        "doc_title": f"政务服务事项汇编（{doc_id}）",
        "title": title,
        "source": f"bench/{doc_id}.jsonl",
        "access": "public",
    }


def fill_store(components: Components, chunks: int, base: int) -> dict[str, float]:
    """Write ``chunks`` synthetic passages (see the module docstring) and build the indexes."""
    settings, store, sparse = components.settings, components.store, components.sparse
    texts = service_items(10_000, settings.chunk_size)[:base]
    started = time.perf_counter()
    vectors = components.embedder.embed_passages(texts)
    embed_s = time.perf_counter() - started
    sparse_vectors = [sparse.encode_passage(text) for text in texts]
    rng = np.random.default_rng(7)
    store.ensure_collection(components.embedder.dim)

    started = time.perf_counter()
    for first in range(0, chunks, CHUNKS_PER_DOCUMENT):
        doc_id = f"bench{first // CHUNKS_PER_DOCUMENT:05d}"
        points = []
        for index, n in enumerate(range(first, min(first + CHUNKS_PER_DOCUMENT, chunks))):
            vector = vectors[n % base] if n < base else vectors[n % base] + rng.normal(0, NOISE, vectors.shape[1])
            vector = (vector / np.linalg.norm(vector)).astype(np.float32)
            payload = chunk_payload(doc_id, index, texts[n % base])
            points.append(StoredPoint(chunk_point_id(doc_id, index), payload, vector, sparse_vectors[n % base]))
        for start in range(0, len(points), _WRITE_BATCH):
            store.upsert_chunks(points[start : start + _WRITE_BATCH])
        store.set_committed(doc_id)
        store.upsert_document(doc_id, {"title": points[0].payload["doc_title"], "chunks": len(points)})
    write_s = time.perf_counter() - started
    started = time.perf_counter()
    store.optimize()
    optimize_s = time.perf_counter() - started
    return {"embed_base_s": round(embed_s, 1), "write_s": round(write_s, 1), "optimize_s": round(optimize_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000, help="passages in the store")
    parser.add_argument("--base", type=int, default=1000, help="distinct passages embedded with the real model")
    parser.add_argument("--queries", type=int, default=40, help="questions timed (from eval/catalogue_qa.jsonl)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="scratch folder")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()

    data_dir = args.out / f"search-{args.chunks}"
    shutil.rmtree(data_dir, ignore_errors=True)
    components = Components(scratch_settings(get_settings(), data_dir))
    try:
        build = fill_store(components, args.chunks, min(args.base, args.chunks))
        questions = [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
        questions = questions[: args.queries]
        searcher, store, settings = components.searcher, components.store, components.settings
        for question in questions[:3]:  # warm-up: vocabulary read, caches, first-call costs
            searcher.search(question)
        full, store_only = [], []
        for question in questions:
            started = time.perf_counter()
            searcher.search(question)
            full.append(time.perf_counter() - started)
        for question in questions:
            dense = components.embedder.embed_query(question)
            sparse = components.sparse.encode_query(question)
            started = time.perf_counter()
            store.search(dense, sparse, SearchFilter(), settings.top_k, prefetch_limit=settings.prefetch_k)
            store_only.append(time.perf_counter() - started)
        chunks = store.count(SearchFilter(access=[]))
    finally:
        components.close()
    results = {
        "chunks": chunks,
        "base": min(args.base, args.chunks),
        "queries": len(questions),
        "search": latency_ms(full),
        "store_only": latency_ms(store_only),
        **build,
        "disk_mib": directory_mib(data_dir / "qdrant"),
        "peak_rss_mib": peak_rss_mib(),
        "embedding_backend": components.settings.embedding_backend,
    }
    shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        print(
            f"{chunks} chunks: search p50 {results['search']['p50_ms']} ms, p95 {results['search']['p95_ms']} ms "
            f"(store alone p50 {results['store_only']['p50_ms']} ms); written in {build['write_s']} s, "
            f"indexed in {build['optimize_s']} s, {results['disk_mib']} MiB on disk, "
            f"peak RSS {results['peak_rss_mib']} MiB"
        )


if __name__ == "__main__":
    main()
