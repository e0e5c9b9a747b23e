"""Optional second stage: re-order fused candidates with a cross-encoder.

Off by default: no Chinese cross-encoder ships offline. A user with one on disk (for example a
bge-reranker folder) sets ``ASSISTANT_RERANKER_MODEL`` to its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.retrieval.results import SearchResult


class RerankerError(AssistantError):
    """The configured reranker cannot be loaded."""


class Reranker(Protocol):
    def rerank(self, query: str, results: list[SearchResult]) -> list[SearchResult]:
        """The same results, best first by the reranker's judgement, scores replaced by its own."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder (never fetched from a hub)."""

    def __init__(self, model_path: str, threads: int = 0) -> None:
        if not Path(model_path).is_dir():
            raise RerankerError(
                f"ASSISTANT_RERANKER_MODEL={model_path!r} is not a folder; point it at a local "
                "sentence-transformers cross-encoder, or unset it to search without reranking"
            )
        import torch
        from sentence_transformers import CrossEncoder

        if threads:
            torch.set_num_threads(threads)
        try:
            self.model = CrossEncoder(model_path, device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise RerankerError(f"cannot load the cross-encoder in {model_path}: {exc}") from exc

    def rerank(self, query: str, results: list[SearchResult]) -> list[SearchResult]:
        if not results:
            return results
        scores = self.model.predict([(query, r.text) for r in results], convert_to_numpy=True)
        for result, score in zip(results, scores, strict=True):
            result.score = round(float(score), 6)
        return sorted(results, key=lambda r: r.score, reverse=True)


def get_reranker(settings: Settings) -> Reranker | None:
    if not settings.reranker_model:
        return None
    return CrossEncoderReranker(settings.reranker_model, settings.embedding_threads)
