"""The local chat model: a GGUF file run in-process by llama.cpp (llama-cpp-python)."""

from __future__ import annotations

import codecs
import ctypes
import logging
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.models.cpu_repack import TensorOverride, repack_overrides, repacked_weights
from assistant.models.llm import ChatLLM, LLMError, Message
from assistant.models.prompt_lookup import PromptLookupDecoder

# Prompt tokens evaluated per llama.cpp batch: large batches make prompt processing fast on CPU.
PROMPT_BATCH_TOKENS = 512
_defaults_lock = threading.Lock()
log = logging.getLogger(__name__)


@contextmanager
def model_defaults(use_extra_bufts: bool, overrides: ctypes.Array[TensorOverride] | None = None) -> Iterator[None]:
    """Load a model with llama.cpp's CPU weight repacking (its "extra buffer types") on or off.

    llama-cpp-python's ``Llama`` does not expose the switch, so the defaults it starts from are
    adjusted for the duration of the load. On CPUs with AMX, llama.cpp 0.3.36's repacked buffers
    crashed generation with a segmentation fault on this project's machines; off is the safe default.
    ``overrides`` place chosen tensors in chosen buffer types (see ``cpu_repack``).
    """
    import llama_cpp.llama as llama_module

    low_level = llama_module.llama_cpp
    with _defaults_lock:
        original = low_level.llama_model_default_params

        def adjusted():
            params = original()
            params.use_extra_bufts = use_extra_bufts
            if overrides is not None:
                params.tensor_buft_overrides = ctypes.cast(overrides, ctypes.c_void_p)
            return params

        low_level.llama_model_default_params = adjusted
        try:
            yield
        finally:
            low_level.llama_model_default_params = original


class LlamaCppLLM(ChatLLM):
    """One loaded model; one generation at a time (llama.cpp's context holds a single sequence).

    The prompt is rendered with the chat template stored in the GGUF file, so counting a prompt's tokens
    and generating from it use the very same tokens. llama.cpp keeps the previous prompt's evaluated
    tokens and only evaluates the part after the longest common prefix, which is why callers keep the
    start of their prompts stable.
    """

    max_concurrent = 1

    def __init__(
        self,
        model_path: Path,
        context_tokens: int,
        threads: int,
        cpu_repack: bool = False,
        prompt_lookup: int = 0,
        flash_attention: bool = False,
        decode_repack: bool = False,
    ) -> None:
        """``prompt_lookup`` > 0: greedy replies guess up to that many tokens from the prompt per model step.

        See ``PromptLookupDecoder``: the text is unchanged, an answer that copies its passages gets several
        tokens per step. Replies at a temperature above 0 are sampled by llama.cpp as usual.
        ``decode_repack`` (with ``prompt_lookup``): those greedy replies are decoded by a second copy of the
        model whose weights are repacked for llama.cpp's CPU kernels (``cpu_repack``); prompts are still
        read by the first, where they read faster.
        """
        super().__init__()
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as e:
            raise LLMError(
                "the llama-cpp backend needs llama-cpp-python: pip install -e '.[llm]' "
                "(or set ASSISTANT_LLM_BACKEND=openai to use a server)"
            ) from e

        def load(batch: int, overrides: ctypes.Array[TensorOverride] | None = None) -> Llama:
            try:
                with model_defaults(use_extra_bufts=cpu_repack, overrides=overrides):
                    return Llama(
                        model_path=str(model_path),
                        n_ctx=context_tokens,
                        n_threads=threads,
                        n_threads_batch=threads,
                        n_batch=batch,
                        flash_attn=flash_attention,
                        verbose=False,
                    )
            except ValueError as e:
                raise LLMError(f"llama.cpp could not load {model_path}: {e}") from e

        self._llama = load(PROMPT_BATCH_TOKENS)
        self._decoder = None
        if prompt_lookup and decode_repack and not cpu_repack:
            try:
                weights = repacked_weights(model_path)
                if weights:
                    self._decoder = load(prompt_lookup + 1, repack_overrides(weights))
            except (RuntimeError, ValueError) as e:  # no repacking buffer in this build, an odd header
                log.warning("decoding on the plain weights: %s", e)
        template = self._llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise LLMError(f"{model_path.name} has no chat template in its metadata; use an instruct (chat) GGUF")
        self._template = Jinja2ChatFormatter(
            template=template, eos_token=self._token_text(self._llama.token_eos()), bos_token=self._bos_text()
        )
        self._bos = self._llama.tokenize(b"", add_bos=True, special=True)  # [] for models that add no BOS
        self._lookup = PromptLookupDecoder(self._llama, prompt_lookup, self._decoder) if prompt_lookup else None
        self._lock = threading.Lock()
        self.name = model_path.stem
        self.context_tokens = context_tokens

    @property
    def repacked_decoding(self) -> bool:
        """Whether greedy replies are decoded on a second copy of the model with repacked weights."""
        return self._decoder is not None

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_prompt_tokens(self, messages: list[Message]) -> int:
        return len(self._prompt_tokens(messages))

    def busy(self) -> bool:
        return self._lock.locked()

    def close(self) -> None:
        with self._lock:  # never under a generation in progress
            self._llama.close()
            if self._decoder is not None:
                self._decoder.close()

    def _stream(
        self, messages: list[Message], max_tokens: int, temperature: float, stop: list[str]
    ) -> Generator[str, None, None]:
        tokens = self._prompt_tokens(messages)
        room = self.context_tokens - len(tokens)
        if room < 1:
            raise LLMError(
                f"the prompt takes {len(tokens)} tokens but the context window holds {self.context_tokens}; "
                "shorten it or raise ASSISTANT_LLM_CONTEXT"
            )
        return self._generate(tokens, min(max_tokens, room), temperature, stop)

    def _generate(
        self, tokens: list[int], max_tokens: int, temperature: float, stop: list[str]
    ) -> Generator[str, None, None]:
        # The lock is held from the first piece until the generator finishes or is closed; closing it closes
        # llama.cpp's own generator, which evaluates nothing more.
        with self._lock:
            if self._lookup is not None and temperature == 0:
                yield from _until_stop(self._texts(self._lookup.generate(tokens, max_tokens)), stop)
                return
            pieces = self._llama.create_completion(
                tokens, max_tokens=max_tokens, temperature=temperature, stop=stop, stream=True
            )
            try:
                for piece in pieces:
                    text = piece["choices"][0]["text"]
                    if text:
                        yield text
            finally:
                pieces.close()

    def _texts(self, tokens: Iterable[int]) -> Iterator[str]:
        """Each token's text; a character split across tokens comes out whole with the token that ends it."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for token in tokens:
            text = decoder.decode(self._llama.detokenize([token]))
            if text:
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail

    def _prompt_tokens(self, messages: list[Message]) -> list[int]:
        prompt = self._template(messages=messages).prompt
        tokens = self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        return tokens if tokens[: len(self._bos)] == self._bos else self._bos + tokens

    def _token_text(self, token: int) -> str:
        return self._llama.detokenize([token], special=True).decode("utf-8", errors="replace")

    def _bos_text(self) -> str:
        bos = self._llama.token_bos()
        return self._token_text(bos) if bos >= 0 else ""


def _until_stop(pieces: Iterable[str], stop: list[str]) -> Iterator[str]:
    """``pieces`` up to the first stop string, which is left out; text that may begin one is held back."""
    if not stop:
        yield from pieces
        return
    held = ""
    for piece in pieces:
        held += piece
        found = [i for i in (held.find(s) for s in stop) if i >= 0]
        if found:
            if cut := held[: min(found)]:
                yield cut
            return
        keep = max((n for s in stop for n in range(1, len(s)) if held.endswith(s[:n])), default=0)
        if len(held) > keep:
            yield held[: len(held) - keep]
            held = held[len(held) - keep :]
    if held:
        yield held
