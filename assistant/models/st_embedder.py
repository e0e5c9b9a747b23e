"""Embeddings from any local sentence-transformers model (bge, text2vec, m3e, an e5 conversion …)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.config import set_offline_switches
from assistant.models.embedding import BatchingEmbedder, EmbeddingError, TextKind

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# e5 models are trained with these prefixes; an e5 conversion does not always carry them as prompts.
E5_PROMPTS: dict[TextKind, str] = {"query": "query: ", "passage": "passage: "}
# sentence-transformers' own names for a passage prompt, in the order it looks for them.
_PASSAGE_PROMPT_NAMES = ("document", "passage", "corpus")


class SentenceTransformerEmbedder(BatchingEmbedder):
    """A sentence-transformers model loaded from a local folder (or the local HF cache), never downloaded.

    The model's own "query" and "document"/"passage"/"corpus" prompts are used when it defines
    them; ``default_prompts`` fill in for a model that defines none (e.g. e5's prefixes).
    Texts longer than the model's ``max_seq_length`` are truncated by the model.
    """

    def __init__(
        self,
        model: str,
        batch_size: int,
        threads: int = 0,
        backend_label: str = "sentence-transformers",
        default_prompts: dict[TextKind, str] | None = None,
    ) -> None:
        super().__init__(batch_size)
        self._model = _load_model(model, threads)
        self._prompts = _prompts_of(self._model, default_prompts or {})
        self.name = f"{backend_label}/{model}"
        self.dim = int(self._model.get_embedding_dimension())
        self.max_tokens = self._model.max_seq_length

    def _encode(self, texts: list[str], kind: TextKind) -> np.ndarray:
        encode = self._model.encode_query if kind == "query" else self._model.encode_document
        return encode(
            texts,
            prompt=self._prompts[kind],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self._prompts["passage"] + text, verbose=False)["input_ids"])


def _load_model(model: str, threads: int) -> SentenceTransformer:
    set_offline_switches()  # before the first import of the Hugging Face libraries
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads or os.cpu_count() or 1)
    folder = Path(model).expanduser()
    try:
        return SentenceTransformer(str(folder) if folder.exists() else model, device="cpu", local_files_only=True)
    except Exception as exc:
        if folder.exists():
            raise EmbeddingError(f"could not load a sentence-transformers model from {folder}: {exc}") from exc
        raise EmbeddingError(
            f"embedding model {model!r} is neither a local folder nor in the local Hugging Face cache, and models "
            "are never downloaded: set ASSISTANT_EMBEDDING_MODEL to a folder holding a sentence-transformers model"
        ) from exc


def _prompts_of(model: SentenceTransformer, defaults: dict[TextKind, str]) -> dict[TextKind, str]:
    """The prefix put before queries and before passages: the model's own prompts first."""
    own = {name: text for name, text in model.prompts.items() if text}
    passage = next((own[name] for name in _PASSAGE_PROMPT_NAMES if name in own), None)
    return {
        "query": own.get("query", defaults.get("query", "")),
        "passage": passage if passage is not None else defaults.get("passage", ""),
    }
