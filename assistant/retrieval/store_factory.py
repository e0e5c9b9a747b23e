"""The one place that chooses the storage engine."""

from __future__ import annotations

from qdrant_client import QdrantClient

from assistant.config import Settings
from assistant.retrieval.edge_store import EdgeStore
from assistant.retrieval.server_store import CollectionLayout, ServerStore
from assistant.retrieval.store import VectorStore


def open_store(settings: Settings) -> VectorStore:
    """A Qdrant server when ASSISTANT_QDRANT_URL is set, else the embedded store under the data directory.

    The embedded store raises StoreBusy when another process has it open.
    """
    weights = (settings.dense_weight, settings.sparse_weight)
    if settings.qdrant_url:
        client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key)
        layout = CollectionLayout(
            shards=settings.qdrant_shards,
            replication_factor=settings.qdrant_replication_factor,
            write_consistency=settings.qdrant_write_consistency,
            on_disk=settings.qdrant_on_disk,
        )
        grace = settings.uncommitted_grace_minutes * 60
        return ServerStore(client, settings.collection, weights=weights, layout=layout, grace_seconds=grace)
    return EdgeStore(settings.store_dir, settings.collection, weights=weights)
