"""Search over the store: query handling, hybrid retrieval, the evidence decision, citations.

One ``Searcher.search`` call: normalise the question, embed it, add domain synonyms to its keyword
side, fuse dense and sparse candidates in the store, optionally rerank, judge whether the corpus
holds evidence for it, and join each result's neighbouring chunks of the same section as context.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.models.embedding import Embedder
from assistant.retrieval.about import about_order
from assistant.retrieval.evidence import OVERLAP_DEPTH, EvidenceSignals, EvidenceThresholds, term_overlap
from assistant.retrieval.query import SynonymTable, default_synonyms, normalise_query
from assistant.retrieval.rerank import Reranker
from assistant.retrieval.results import SearchResult
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import Hit, SearchFilter, SearchMode, SparseVector, VectorStore, chunk_point_id
from assistant.text.region import NATIONAL, canonical_region, regions_named
from assistant.text.statute import article_label, article_reference

# Longest query accepted: a question, not a document (the answer layer has its own, stricter limit).
MAX_QUERY_CHARS = 2000
# Seconds between re-reads of the corpus vocabulary, so terms another process ingested stay whole here.
VOCABULARY_REFRESH_SECONDS = 60.0
# Candidates holding the article label a question names, among which its statute is picked.
ARTICLE_CANDIDATES = 50


class BadQuery(AssistantError):
    """The search request cannot be run as given (empty or oversized query, bad limits)."""


@dataclass
class SearchResponse:
    query: str
    results: list[SearchResult]
    evidence: bool
    signals: EvidenceSignals | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "evidence": self.evidence,
            "signals": self.signals.as_dict() if self.signals else None,
            "results": [r.as_dict() for r in self.results],
        }


class Searcher:
    def __init__(
        self,
        settings: Settings,
        store: VectorStore,
        embedder: Embedder,
        sparse: SparseEncoder,
        reranker: Reranker | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.sparse = sparse
        self.reranker = reranker
        self.thresholds = EvidenceThresholds.from_settings(settings)
        self.synonyms: SynonymTable = (
            SynonymTable.load(settings.synonyms_file) if settings.synonyms_file else default_synonyms()
        )
        self.sparse.add_words(self.synonyms.terms)
        self._vocabulary_read = float("-inf")
        self._vocabulary_lock = threading.Lock()

    def search(
        self,
        query: str,
        top_k: int | None = None,
        flt: SearchFilter | None = None,
        mode: SearchMode = "hybrid",
        query_handling: bool | None = None,
    ) -> SearchResponse:
        """The best ``top_k`` chunks for ``query`` and whether they are evidence enough to answer from.

        ``query_handling`` (default: the ``query_expansion`` setting) adds synonyms to the keyword side.
        A statute article the question names ("行政许可法第三十二条") comes first. Among the first
        ``region_depth`` results, documents of the region the question names (else of the filter's
        ``prefer_region``, the caller's own) come first, national ones next, then the rest, each group
        in its fused order; when neither names a place, national statute articles come before local
        ones (``_national_statutes_first``).
        """
        limit = top_k or self.settings.top_k
        text = checked_query(query, limit)
        self.refresh_vocabulary()
        flt = flt or SearchFilter()
        expand = self.settings.query_expansion if query_handling is None else query_handling
        dense = self.embedder.embed_query(text) if mode != "sparse" else None
        sparse = None
        if mode != "dense":
            sparse = self.sparse.encode_query(text, self.synonyms.expansions(text) if expand else ())
        about_depth = self.settings.about_depth if mode == "hybrid" else 0
        preferred = regions_named(text) or [r for r in [canonical_region(flt.prefer_region or "")] if r]
        region_depth = self.settings.region_depth
        fetch = max(
            limit, OVERLAP_DEPTH, about_depth, region_depth, self.settings.rerank_candidates if self.reranker else 0
        )
        hits = self.store.search(dense, sparse, flt, fetch, mode=mode, prefetch_limit=self.settings.prefetch_k)
        results = [SearchResult.from_hit(h) for h in hits]
        about: dict[str, float] = {}
        if about_depth and dense is not None:
            about = self.store.about_scores(dense, [r.chunk_id for r in results[:about_depth]])
            results = _ordered_by_about(results, about, about_depth)
        if self.reranker and results:
            results = self.reranker.rerank(text, results)
        results = self._named_article_first(text, dense, sparse, flt, mode, results)
        if region_depth and preferred:
            results = _preferring_regions(results, preferred, region_depth)
        elif region_depth:
            results = _national_statutes_first(results, region_depth)
        signals = self._signals(text, dense, flt, mode, hits, results, about)
        results = results[:limit]
        self._join_neighbours(results)
        return SearchResponse(query=text, results=results, evidence=self.thresholds.judge(signals), signals=signals)

    def _named_article_first(
        self,
        text: str,
        dense: Any,
        sparse: SparseVector | None,
        flt: SearchFilter,
        mode: SearchMode,
        results: list[SearchResult],
    ) -> list[SearchResult]:
        """``results`` with the article the question names (if it names one that is stored) in front.

        The article is looked up by its label in the payload; of the statutes holding it, the one whose
        title contains the name the question uses, the shortest such title first (行政许可法 is
        中华人民共和国行政许可法, not a regulation implementing it).
        """
        named = article_reference(text)
        if named is None:
            return results
        law, number = named
        article_filter = replace(flt, articles=[article_label(number)])
        hits = self.store.search(
            dense, sparse, article_filter, ARTICLE_CANDIDATES, mode=mode, prefetch_limit=self.settings.prefetch_k
        )
        found = [SearchResult.from_hit(h) for h in hits if law in (h.payload.get("doc_title") or "")]
        if not found:
            return results
        best = min(found, key=lambda r: len(r.doc_title)).doc_title
        first = sorted((r for r in found if r.doc_title == best), key=lambda r: r.chunk_index)
        ids = {r.chunk_id for r in first}
        return first + [r for r in results if r.chunk_id not in ids]

    def refresh_vocabulary(self, force: bool = False) -> None:
        """Feed the tokenizer the corpus's own terms (titles, service-item names) so they stay whole.

        The ingest pipeline stores them in each document record; re-read now and then, so terms of
        documents another replica ingested are known here too.
        """
        with self._vocabulary_lock:
            now = time.monotonic()
            if not force and now - self._vocabulary_read < VOCABULARY_REFRESH_SECONDS:
                return
            self._vocabulary_read = now
        terms: list[str] = []
        for record in self.store.list_documents():
            terms.append(record.get("title") or "")
            terms.extend(record.get("terms") or [])
        self.sparse.add_words(terms)

    def _signals(
        self,
        text: str,
        dense: Any,
        flt: SearchFilter,
        mode: SearchMode,
        hits: list[Hit],
        results: list[SearchResult],
        about: dict[str, float],
    ) -> EvidenceSignals:
        dense_top = None
        if dense is not None:
            if mode == "dense":
                dense_top = hits[0].score if hits else 0.0
            else:
                best = self.store.search(dense, None, flt, 1, mode="dense")
                dense_top = best[0].score if best else 0.0
        terms = self.sparse.tokens(text)
        alternatives = {t: self.synonyms.alternatives(t) for t in terms}
        # A service item's plain-words search note (indexed, never shown) counts as its text here too.
        texts = [f"{r.text}\n{r.fields.get('search_note') or ''}" for r in results[:OVERLAP_DEPTH]]
        overlap = term_overlap(terms, texts, alternatives)
        about_top = max((about[r.chunk_id] for r in results[:OVERLAP_DEPTH] if r.chunk_id in about), default=None)
        return EvidenceSignals(dense_top=dense_top, overlap=overlap, about_top=about_top)

    def _join_neighbours(self, results: list[SearchResult]) -> None:
        """Set each result's ``context`` to it plus up to ``context_neighbours`` chunks each side of one section."""
        reach = self.settings.context_neighbours
        if reach == 0 or not results:
            return
        wanted = {
            chunk_point_id(r.doc_id, i)
            for r in results
            for i in range(r.chunk_index - reach, r.chunk_index + reach + 1)
            if i >= 0 and i != r.chunk_index
        }
        found = {h.id: h.payload for h in self.store.retrieve(sorted(wanted))}
        for r in results:
            parts = []
            for i in range(r.chunk_index - reach, r.chunk_index + reach + 1):
                neighbour = found.get(chunk_point_id(r.doc_id, i), {})
                if i == r.chunk_index:
                    parts.append(r.text)
                elif neighbour.get("section") == r.section:
                    parts.append(_without_heading_line(neighbour.get("text", ""), r))
            r.context = "\n".join(p for p in parts if p)


def _preferring_regions(results: list[SearchResult], preferred: list[str], depth: int) -> list[SearchResult]:
    """The first ``depth`` results regrouped: ``preferred`` regions first, national (or unknown) next, then others."""

    def group(result: SearchResult) -> int:
        region = result.fields.get("region")
        if region in preferred:
            return 0
        return 1 if region in (NATIONAL, None) else 2

    return sorted(results[:depth], key=group) + results[depth:]


def _national_statutes_first(results: list[SearchResult], depth: int) -> list[SearchResult]:
    """The statute articles among the first ``depth`` results with the national ones first.

    A question that names no place asks about the rule that holds everywhere; in a law library the
    local regulations of many provinces and cities repeat or refine it in nearly the same words, and
    the encoders cannot tell them apart. They follow, in their fused order; other passages (公文,
    service items) keep their places.
    """
    top = results[:depth]
    slots = [i for i, r in enumerate(top) if r.fields.get("article")]
    national = sorted((top[i] for i in slots), key=lambda r: r.fields.get("region") not in (NATIONAL, None))
    for slot, result in zip(slots, national, strict=True):
        top[slot] = result
    return top + results[depth:]


def _ordered_by_about(results: list[SearchResult], scores: dict[str, float], depth: int) -> list[SearchResult]:
    """The first ``depth`` results with their records ordered by what each is for (``retrieval/about.py``)."""
    top = {r.chunk_id: r for r in results[:depth]}
    return [top[i] for i in about_order(list(top), scores)] + results[depth:]


def _without_heading_line(text: str, result: SearchResult) -> str:
    """A neighbour's text without the "title > path" line every chunk starts with (the result has it)."""
    first, _, rest = text.partition("\n")
    return rest if rest and first and result.text.startswith(first) else text


def checked_query(query: str, limit: int) -> str:
    if not isinstance(query, str) or not query.strip():
        raise BadQuery("the query is empty: give a question or keywords to search for")
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"the query is {len(query)} characters long; the most a search takes is {MAX_QUERY_CHARS}")
    if not 1 <= limit <= 100:
        raise BadQuery(f"top_k must be between 1 and 100, got {limit}")
    return normalise_query(query)
