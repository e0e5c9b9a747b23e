"""The embedding interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Literal

import numpy as np

from assistant.errors import AssistantError

TextKind = Literal["query", "passage"]


class EmbeddingError(AssistantError):
    """An embedding backend could not be set up or was given something it cannot embed."""


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    Backends own their model's conventions (e5's "query: "/"passage: " prefixes, batching,
    truncation to the model window), so callers only say whether a text is a query or a passage.
    """

    name: str
    dim: int
    # Tokens the model reads in one pass (its window), or None when the model has no window.
    max_tokens: int | None

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors for passages to be stored."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """Return a (dim,) float32 unit vector for a search query."""

    @abstractmethod
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) array of unit vectors for short texts read the way a query is.

        For texts compared with questions as equals, such as what a record is for: e5 reads these
        with its query prefix (its symmetric use), not as passages.
        """

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage (prefix and special tokens included)."""


class BatchingEmbedder(Embedder):
    """An Embedder whose backend encodes lists: this class checks input, batches and normalises.

    Subclasses implement ``_encode`` for one batch; the vectors it returns need not be
    normalised or float32, that is done here once for every backend.
    """

    def __init__(self, batch_size: int) -> None:
        if batch_size < 1:
            raise EmbeddingError(f"embedding batch size must be at least 1, got {batch_size}")
        self.batch_size = batch_size

    @abstractmethod
    def _encode(self, texts: list[str], kind: TextKind) -> np.ndarray:
        """Return an (len(texts), dim) array for one batch of texts of the same kind."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed_all(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed_all(texts, "query")

    def embed_query(self, text: str) -> np.ndarray:
        return _unit_rows(self._encode([_checked_text(text, "query")], "query"))[0]

    def _embed_all(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        checked = [_checked_text(t, f"{kind} {i}") for i, t in enumerate(texts)]
        if not checked:
            return np.empty((0, self.dim), dtype=np.float32)
        batches = [
            self._encode(checked[start : start + self.batch_size], kind)
            for start in range(0, len(checked), self.batch_size)
        ]
        return _unit_rows(np.concatenate(batches, axis=0))


def _checked_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise EmbeddingError(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise EmbeddingError(f"{what} is empty: there is nothing to embed")
    return text


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))
