"""Greedy decoding that guesses the next tokens from the prompt and checks the guess in one model step.

An answer copies long stretches of its passages. After each token, the last few tokens are looked up in
the prompt (and the reply so far); the tokens that followed them there are the guess. The model evaluates
the chosen token and the guess in one batch, which on a CPU costs little more than one token, and every
guessed token that greedy decoding would itself have chosen is kept, up to the first that differs, where
the model's own choice is taken instead. The text is the text plain greedy decoding gives.

llama-cpp-python's own prompt-lookup draft model needs ``logits_all``: it computes and copies the logits
of every prompt token (151,936 floats each for Qwen) and holds an n_ctx x vocabulary array, which made
prompt reading, the larger part of the wait, slower than the guesses saved. Here only the positions
being checked ask llama.cpp for logits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from llama_cpp import Llama

# Lengths of the tail looked up, longest first: one token matches too often to be a useful guess.
NGRAM_SIZES = (3, 2)
FIRST_GUESS_TOKENS = 4


class NgramIndex:
    """Where each n-gram of the token sequence last ended, kept up to date as tokens are added."""

    def __init__(self, tokens: list[int]) -> None:
        self.tokens: list[int] = []
        self._ends: dict[tuple[int, ...], int] = {}
        self.extend(tokens)

    def extend(self, tokens: list[int]) -> None:
        for token in tokens:
            # An n-gram is recorded once the token after it arrives: the tail never finds itself.
            before = len(self.tokens)
            self.tokens.append(token)
            for n in NGRAM_SIZES:
                if before >= n:
                    self._ends[tuple(self.tokens[before - n : before])] = before

    def guess(self, count: int) -> list[int]:
        """The ``count`` tokens that followed the latest earlier occurrence of the sequence's tail."""
        for n in NGRAM_SIZES:
            if len(self.tokens) <= n:
                continue
            end = self._ends.get(tuple(self.tokens[-n:]))
            if end is not None:
                return self.tokens[end : end + count]
        return []


class PromptLookupDecoder:
    """Greedy generation on a loaded ``Llama`` with prompt-lookup guesses of up to ``guess_tokens`` tokens.

    Checking a guess of k tokens costs more than one step (on 2 cores about 1.7x for 4 tokens, 3.5x for
    10), so the guess grows while guesses are taken whole and shrinks when the first guessed token is
    wrong: a reply that stops copying costs little more than plain decoding.

    The ``Llama``'s record of evaluated tokens is kept in step, so its own prefix reuse (and this
    decoder's) skips the part of the next prompt that equals the previous one.
    """

    def __init__(self, llama: Llama, guess_tokens: int, decoder: Llama | None = None) -> None:
        """``decoder``: a second ``Llama`` on the same model file that does the decoding steps.

        ``llama`` reads the prompt and its evaluated state is copied into ``decoder``, so each can keep its
        weights in the layout that suits its part (see ``cpu_repack``). Both need the same context size
        and attention settings, which the copied state must fit.
        """
        from llama_cpp import llama_cpp
        from llama_cpp._internals import LlamaBatch

        self._is_eog = llama_cpp.llama_vocab_is_eog  # looked up once: it is called for every token
        self._reader = llama
        self._llama = decoder or llama
        self._guess_tokens = guess_tokens
        self._batch = LlamaBatch(n_tokens=guess_tokens + 1, embd=0, n_seq_max=1, verbose=False)
        self._vocab = llama.n_vocab()

    def generate(self, prompt: list[int], max_tokens: int) -> Iterator[int]:
        """Yield the reply's tokens, ending before the end-of-generation token or after ``max_tokens``."""
        self._read_prompt(prompt)
        first = self._best(self._reader, -1)
        if self._llama is not self._reader:
            _copy_sequence(self._reader, self._llama, prompt)
        try:
            yield from self._reply(NgramIndex(prompt), first, max_tokens)
        finally:
            # Their logits are no longer those of their last evaluated token.
            self._reader._requires_eval = self._llama._requires_eval = True

    def _reply(self, index: NgramIndex, token: int, max_tokens: int) -> Iterator[int]:
        produced = 0
        size = min(FIRST_GUESS_TOKENS, self._guess_tokens)
        while produced < max_tokens and not self._ends(token):
            yield token
            produced += 1
            index.extend([token])
            if produced == max_tokens:
                return
            guess = index.guess(min(size, max_tokens - produced))
            kept = self._check(token, guess)
            if guess and len(kept) > len(guess):
                size = min(size * 2, self._guess_tokens)
            elif guess and len(kept) == 1:
                size = max(size // 2, 1)
            for guessed in kept[:-1]:
                if self._ends(guessed):
                    return
                yield guessed
                produced += 1
            index.extend(kept[:-1])
            token = kept[-1]

    def _read_prompt(self, prompt: list[int]) -> None:
        """Evaluate what of ``prompt`` the context does not hold yet (at least its last token, for its logits)."""
        llama = self._reader
        same = min(llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], prompt), len(prompt) - 1)
        llama.n_tokens = same
        llama.eval(prompt[same:])  # drops the cached tokens after ``same`` first

    def _check(self, token: int, guess: list[int]) -> list[int]:
        """Evaluate ``token`` and the guess after it; the guessed tokens greedy decoding keeps, then its own next.

        The context is left holding ``token`` and the kept guesses; the returned list's last token is
        not evaluated yet.
        """
        llama = self._llama
        start = llama.n_tokens
        tokens = [token, *guess]
        batch = self._batch.batch
        batch.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            batch.token[i] = t
            batch.pos[i] = start + i
            batch.seq_id[i][0] = 0
            batch.n_seq_id[i] = 1
            batch.logits[i] = True
        llama._ctx.decode(self._batch)
        kept: list[int] = []
        for i in range(len(tokens)):
            best = self._best(llama, i)
            kept.append(best)
            if i == len(guess) or guess[i] != best:
                break
        evaluated = len(kept)  # ``token`` plus the guesses that matched
        llama.input_ids[start : start + evaluated] = tokens[:evaluated]
        llama.n_tokens = start + evaluated
        if evaluated < len(tokens):
            llama._ctx.kv_cache_seq_rm(0, llama.n_tokens, -1)
        return kept

    def _best(self, llama: Llama, i: int) -> int:
        logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(i), shape=(self._vocab,))
        return int(logits.argmax())

    def _ends(self, token: int) -> bool:
        return bool(self._is_eog(self._llama._model.vocab, token))


def _copy_sequence(source: Llama, target: Llama, prompt: list[int]) -> None:
    """Make ``target``'s context hold what ``source``'s holds (the evaluated ``prompt``): its keys and values."""
    import ctypes

    from llama_cpp import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(source.ctx, 0)
    state = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(source.ctx, state, size, 0)
    target._ctx.kv_cache_seq_rm(0, -1, -1)
    if llama_cpp.llama_state_seq_set_data(target.ctx, state, written, 0) != written:
        raise RuntimeError("llama.cpp could not copy the prompt's state between contexts")
    target.input_ids[: len(prompt)] = prompt
    target.n_tokens = len(prompt)
