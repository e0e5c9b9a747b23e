"""The store on a Qdrant server or cluster, through qdrant-client: the same behaviour as the embedded one.

Chunks live in collection ``<collection>`` (named vectors "dense", "about" and "sparse", payload indexes),
document records in ``<collection>_documents``. Weighted RRF needs Qdrant server 1.16 or newer.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from assistant.retrieval.store import (
    ABOUT,
    BOOL_FIELDS,
    DATETIME_FIELDS,
    DENSE,
    KEYWORD_FIELDS,
    RRF_K,
    SPARSE,
    FusionWeights,
    Hit,
    SearchFilter,
    SearchMode,
    SparseVector,
    StoredPoint,
    StoreError,
    StoreMismatch,
    VectorStore,
    check_dense,
    chunk_parts,
    document_point_id,
    documents_collection,
    plan_search,
    rrf_weights,
)

_PAGE = 512
_INDEX_TYPES = {
    **dict.fromkeys(KEYWORD_FIELDS, models.PayloadSchemaType.KEYWORD),
    **dict.fromkeys(BOOL_FIELDS, models.PayloadSchemaType.BOOL),
    **dict.fromkeys(DATETIME_FIELDS, models.PayloadSchemaType.DATETIME),
}
_COMMITTED = models.FieldCondition(key="committed", match=models.MatchValue(value=True))
_UNCOMMITTED = models.FieldCondition(key="committed", match=models.MatchValue(value=False))
WRITTEN_AT = "written_at"  # chunk payload: when the chunk was written (Unix seconds), for the sweep's grace


@dataclass(frozen=True)
class CollectionLayout:
    """How new collections are laid out on a server or cluster; an existing collection keeps its own.

    ``on_disk`` keeps dense vectors, payloads and the sparse index memory-mapped from disk instead of in
    RAM, for corpora larger than memory. The document records get the same replication, one shard.
    """

    shards: int = 1
    replication_factor: int = 1
    write_consistency: int = 1
    on_disk: bool = False


class ServerStore(VectorStore):
    """Chunks and document records in two collections of a Qdrant server.

    Writes wait for the server to apply them and are serialised by a lock, which also keeps the
    in-process client (``QdrantClient(":memory:")``, which is not thread-safe) safe to share.

    Several processes (API replicas, a CLI ingest) may share the server, each knowing only its own
    ingests in flight: ``delete_uncommitted`` leaves chunks written in the last ``grace_seconds``,
    which may belong to another process's ingest that is still running.
    """

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        weights: FusionWeights = (1.0, 1.0),
        layout: CollectionLayout | None = None,
        grace_seconds: float = 0.0,
    ) -> None:
        self.client = client
        self.collection = collection
        self.documents = documents_collection(collection)
        self.weights = weights
        self.layout = layout or CollectionLayout()
        self.grace_seconds = grace_seconds
        self._write_lock = threading.RLock()
        self._in_flight: set[str] = set()  # documents with chunks written but not yet committed
        self._dim: int | None = None
        self._has_about = True  # until an existing collection made before ABOUT vectors says otherwise

    # --- writing -----------------------------------------------------------------------------

    def ensure_collection(self, dim: int) -> None:
        with self._write_lock:
            stored = self._stored_dim()
            if stored is None:
                on_disk = self.layout.on_disk
                self.client.create_collection(
                    self.collection,
                    vectors_config={
                        name: models.VectorParams(size=dim, distance=models.Distance.COSINE, on_disk=on_disk)
                        for name in (DENSE, ABOUT)
                    },
                    sparse_vectors_config={
                        SPARSE: models.SparseVectorParams(
                            modifier=models.Modifier.IDF, index=models.SparseIndexParams(on_disk=on_disk)
                        )
                    },
                    on_disk_payload=on_disk,
                    **self._replication(self.layout.shards),
                )
            elif stored != dim:
                raise StoreMismatch(
                    f"Qdrant collection {self.collection!r} holds {stored}-dimensional vectors but the embedding "
                    f"model makes {dim}-dimensional ones; use the model it was built with, or another collection"
                )
            self._dim = dim
            indexed = self.client.get_collection(self.collection).payload_schema
            with warnings.catch_warnings():
                # The in-process client warns that it ignores payload indexes; a server uses them.
                warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")
                for name, schema in _INDEX_TYPES.items():
                    if name not in indexed:
                        self.client.create_payload_index(self.collection, name, schema, wait=True)
            self._ensure_documents()

    def upsert_chunks(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        dim = self._chunk_dim()
        batch = []
        for point in points:
            dense, sparse, payload = chunk_parts(point, dim, self._has_about)
            vectors = {**dense, SPARSE: _sparse(sparse)}
            batch.append(models.PointStruct(id=point.id, vector=vectors, payload={**payload, WRITTEN_AT: time.time()}))
        with self._write_lock:
            self.client.upsert(self.collection, batch, wait=True)
            self._in_flight.update(str(point.payload["doc_id"]) for point in points)

    def set_committed(self, *doc_ids: str) -> None:
        self._chunk_dim()
        with self._write_lock:
            self.client.set_payload(self.collection, {"committed": True}, points=_doc_filter(*doc_ids), wait=True)
            self._in_flight.difference_update(doc_ids)

    def delete_uncommitted(self) -> int:
        with self._write_lock:
            if self._stored_dim() is None:
                return 0
            spared: list[Any] = [_match_any("doc_id", sorted(self._in_flight))] if self._in_flight else []
            if self.grace_seconds > 0:
                recent = models.Range(gte=time.time() - self.grace_seconds)
                spared.append(models.FieldCondition(key=WRITTEN_AT, range=recent))
            uncommitted = models.Filter(must=[_UNCOMMITTED], must_not=spared or None)
            gone = self.client.count(self.collection, count_filter=uncommitted, exact=True).count
            if gone:
                self.client.delete(self.collection, models.FilterSelector(filter=uncommitted), wait=True)
        return gone

    def delete_document(self, doc_id: str) -> int:
        gone = 0
        with self._write_lock:
            self._in_flight.discard(doc_id)
            if self._stored_dim() is not None:
                gone = self.client.count(self.collection, count_filter=_doc_filter(doc_id), exact=True).count
                self.client.delete(self.collection, models.FilterSelector(filter=_doc_filter(doc_id)), wait=True)
            if self.client.collection_exists(self.documents):
                self.client.delete(self.documents, models.PointIdsList(points=[document_point_id(doc_id)]), wait=True)
        return gone

    def upsert_documents(self, records: Mapping[str, dict[str, Any]]) -> None:
        points = [
            models.PointStruct(id=document_point_id(doc_id), vector={}, payload={**payload, "doc_id": doc_id})
            for doc_id, payload in records.items()
        ]
        with self._write_lock:
            self._ensure_documents()
            self.client.upsert(self.documents, points, wait=True)

    # --- reading -----------------------------------------------------------------------------

    def get_document(self, doc_id: str) -> dict[str, Any] | None:
        if not self.client.collection_exists(self.documents):
            return None
        found = self.client.retrieve(self.documents, [document_point_id(doc_id)], with_payload=True)
        return dict(found[0].payload or {}) if found else None

    def list_documents(self) -> list[dict[str, Any]]:
        if not self.client.collection_exists(self.documents):
            return []
        records = [dict(r.payload or {}) for r in self._scroll_all(self.documents, None)]
        return sorted(records, key=lambda d: (d.get("source") or "", d.get("doc_id") or ""))

    def search(
        self,
        dense: np.ndarray | None,
        sparse: SparseVector | None,
        flt: SearchFilter | None,
        limit: int,
        mode: SearchMode = "hybrid",
        prefetch_limit: int = 40,
        weights: FusionWeights | None = None,
    ) -> list[Hit]:
        weights = weights or self.weights
        run = plan_search(dense, sparse, limit, mode, prefetch_limit, weights)
        condition = _chunk_filter(flt)
        dim = self._stored_dim()
        if run is None or dim is None:
            return []
        queries: dict[str, Any] = {}
        if run in ("dense", "hybrid") and dense is not None:
            queries[DENSE] = check_dense(dense, dim, "the query vector")
        if run in ("sparse", "hybrid") and sparse is not None:
            queries[SPARSE] = _sparse(sparse)
        if run == "hybrid":
            candidates = max(prefetch_limit, limit)
            response = self.client.query_points(
                self.collection,
                prefetch=[
                    models.Prefetch(query=q, using=name, limit=candidates, filter=condition)
                    for name, q in queries.items()
                ],
                query=models.RrfQuery(rrf=models.Rrf(k=RRF_K, weights=rrf_weights(weights))),
                query_filter=condition,
                limit=limit,
                with_payload=True,
            )
        else:
            response = self.client.query_points(
                self.collection, query=queries[run], using=run, query_filter=condition, limit=limit, with_payload=True
            )
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def about_scores(self, dense: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        dim = self._stored_dim()
        if not ids or dim is None or not self._has_about:
            return {}
        response = self.client.query_points(
            self.collection,
            query=check_dense(dense, dim, "the query vector"),
            using=ABOUT,
            query_filter=models.Filter(must=[models.HasIdCondition(has_id=list(ids))]),
            limit=len(ids),
            with_payload=False,
        )
        return {str(p.id): float(p.score) for p in response.points}

    def retrieve(self, ids: Sequence[str]) -> list[Hit]:
        if not ids or self._stored_dim() is None:
            return []
        records = self.client.retrieve(self.collection, list(ids), with_payload=True, with_vectors=False)
        return [Hit(str(r.id), 0.0, dict(r.payload)) for r in records if (r.payload or {}).get("committed") is True]

    def count(self, flt: SearchFilter | None = None) -> int:
        condition = _chunk_filter(flt)
        if self._stored_dim() is None:
            return 0
        return self.client.count(self.collection, count_filter=condition, exact=True).count

    def scroll_chunks(self, doc_id: str) -> Iterator[Hit]:
        if self._stored_dim() is None:
            return
        records = self._scroll_all(self.collection, _chunk_filter(SearchFilter(doc_ids=[doc_id], access=[])))
        for record in sorted(records, key=lambda r: (r.payload or {}).get("chunk_index", 0)):
            yield Hit(str(record.id), 0.0, dict(record.payload or {}))

    def optimize(self) -> None:
        """A server builds its indexes in the background."""

    def close(self) -> None:
        self.client.close()

    # --- helpers -----------------------------------------------------------------------------

    def _stored_dim(self) -> int | None:
        """The chunk collection's dense dimension, or None while it does not exist."""
        if self._dim is None and self.client.collection_exists(self.collection):
            vectors = self.client.get_collection(self.collection).config.params.vectors
            if not isinstance(vectors, dict) or DENSE not in vectors:
                raise StoreMismatch(
                    f"Qdrant collection {self.collection!r} was not made by this product: it has no "
                    f"{DENSE!r} vector; choose another collection name"
                )
            self._dim = vectors[DENSE].size
            self._has_about = ABOUT in vectors
        return self._dim

    def _chunk_dim(self) -> int:
        dim = self._stored_dim()
        if dim is None:
            raise StoreError(f"Qdrant collection {self.collection!r} does not exist yet: call ensure_collection first")
        return dim

    def _ensure_documents(self) -> None:
        if not self.client.collection_exists(self.documents):
            # Records are payload only, but Qdrant wants some vector: an unused sparse one costs nothing.
            self.client.create_collection(
                self.documents,
                vectors_config={},
                sparse_vectors_config={"unused": models.SparseVectorParams()},
                **self._replication(1),
            )

    def _replication(self, shards: int) -> dict[str, int]:
        """Cluster arguments of ``create_collection``; none for a single server at the defaults."""
        layout = self.layout
        if (shards, layout.replication_factor, layout.write_consistency) == (1, 1, 1):
            return {}
        return {
            "shard_number": shards,
            "replication_factor": layout.replication_factor,
            "write_consistency_factor": layout.write_consistency,
        }

    def _scroll_all(self, collection: str, condition: models.Filter | None) -> Iterator[models.Record]:
        offset = None
        while True:
            records, offset = self.client.scroll(
                collection, scroll_filter=condition, limit=_PAGE, offset=offset, with_payload=True
            )
            yield from records
            if offset is None:
                return


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=[float(v) for v in vector.values])


def _match_any(key: str, values: list[str]) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchAny(any=values))


def _doc_filter(*doc_ids: str) -> models.Filter:
    """Every chunk of these documents, committed or not."""
    return models.Filter(must=[_match_any("doc_id", list(doc_ids))])


def _chunk_filter(flt: SearchFilter | None) -> models.Filter:
    """Committed chunks that pass ``flt``."""
    must: list[Any] = [_COMMITTED]
    must_not: list[Any] = []
    if flt is not None:
        flt.validate()
        must.extend(_match_any(key, values) for key, values in flt.matches())
        if excluded := flt.excluded_statuses():
            must_not.append(_match_any("status", excluded))
        if flt.date_from or flt.date_to:
            first, after_last = flt.date_bounds()
            must.append(models.FieldCondition(key="date", range=models.DatetimeRange(gte=first, lt=after_last)))
    return models.Filter(must=must, must_not=must_not or None)
