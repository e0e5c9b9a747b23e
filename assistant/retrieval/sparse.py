"""Keyword side of hybrid search: Chinese text to BM25-weighted sparse vectors.

Passages get BM25 term-frequency weights; queries get weight 1 per distinct term. The IDF half of
BM25 is not computed here: the store's sparse vector uses Qdrant's IDF modifier, which applies it
from the stored collection at query time, so the weights stored for a passage never go stale.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import Counter
from collections.abc import Iterable

import jieba

from assistant.retrieval.store import SparseVector

K1 = 1.2
B = 0.75
# Document length normalisation needs an average passage length. A corpus-wide average would change
# as documents come and go, and with it every stored vector; a fixed figure keeps each passage's
# vector a function of its own text only, so ingestion stays incremental. 200 is about what a
# 400-character chunk (the default chunk size) yields after filtering.
AVG_PASSAGE_TOKENS = 200.0
# Weight of a query term that came from synonym expansion rather than from the person's words: it
# widens recall without letting a synonym outrank the literal word.
EXPANSION_WEIGHT = 0.5

# Function words and question words that carry no topic (single characters, then words); the rest is kept.
STOPWORDS = frozenset("的地得了着过和与及或等是在为对将把被并其之于以而由从向这那个也就都吗呢吧啊么我你您") | frozenset(
    {"以及", "或者", "请问", "怎么", "怎样", "如何", "什么", "哪些", "哪个", "哪里", "我们"}
)

_tokenizer: jieba.Tokenizer | None = None
_tokenizer_lock = threading.Lock()
_added_words: set[str] = set()  # words already in the shared tokenizer's dictionary


def _shared_tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process, initialised quietly on first use.

    It is private to this module (not jieba's global one) so words added for the corpus do not leak
    into other jieba users, and shared by every encoder so passages and queries split alike.
    """
    global _tokenizer
    with _tokenizer_lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _tokenizer = tokenizer
        return _tokenizer


def term_id(term: str) -> int:
    """A stable uint32 id for a term: the same in every process and Python version (unlike hash())."""
    return zlib.crc32(term.encode("utf-8"))


class SparseEncoder:
    """Tokenises with jieba's search mode and hashes terms into sparse vectors."""

    def add_words(self, words: Iterable[str]) -> None:
        """Keep these terms (document titles, service-item names) whole when tokenising.

        The dictionary is shared by every encoder in the process. Add the same words before encoding
        passages and queries, or the two sides split the terms differently.
        """
        tokenizer = _shared_tokenizer()
        with _tokenizer_lock:
            new = {w.strip() for w in words} - _added_words - {""}
            _added_words.update(new)
        for word in new:
            tokenizer.add_word(word)

    def tokens(self, text: str) -> list[str]:
        """Lower-cased search-mode tokens, without punctuation, whitespace and stopwords.

        Search mode also emits the shorter dictionary words inside long ones, so "公共服务平台"
        matches a query for "公共服务" as well as the whole term.
        """
        return [
            token
            for token in (raw.strip().lower() for raw in _shared_tokenizer().lcut_for_search(text))
            if token and token not in STOPWORDS and any(ch.isalnum() for ch in token)
        ]

    def encode_passage(self, text: str) -> SparseVector:
        """BM25 term weights tf*(k1+1)/(tf+k1*(1-b+b*dl/avgdl)) for a passage to be stored."""
        counts = Counter(self.tokens(text))
        length_norm = K1 * (1 - B + B * sum(counts.values()) / AVG_PASSAGE_TOKENS)
        return _to_vector({term: tf * (K1 + 1) / (tf + length_norm) for term, tf in counts.items()})

    def encode_query(self, text: str, expansions: Iterable[str] = ()) -> SparseVector:
        """Weight 1 per distinct query term, ``EXPANSION_WEIGHT`` per new term of the expansions.

        The store multiplies in each term's IDF.
        """
        weights = dict.fromkeys(self.tokens(" ".join(expansions)), EXPANSION_WEIGHT)
        weights.update(dict.fromkeys(self.tokens(text), 1.0))
        return _to_vector(weights)


def _to_vector(weights: dict[str, float]) -> SparseVector:
    """Sum weights of terms whose ids collide, and order by id."""
    by_id: dict[int, float] = {}
    for term, weight in weights.items():
        key = term_id(term)
        by_id[key] = by_id.get(key, 0.0) + weight
    ordered = sorted(by_id)
    return SparseVector(indices=ordered, values=[by_id[i] for i in ordered])
