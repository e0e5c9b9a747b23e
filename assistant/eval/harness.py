"""Retrieval evaluation: recall@k, MRR and the evidence decision over a QA set.

A QA row is ``{"q": question, "keys": [...]}``. A retrieved text is a hit when it contains one of
the keys, whitespace ignored on both sides. An empty key list marks a question this corpus cannot
answer: the search must then say ``evidence: false``.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.retrieval.evidence import EvidenceSignals
from assistant.retrieval.search import Searcher
from assistant.retrieval.store import SearchFilter, SearchMode

RECALL_AT = (1, 3, 5, 10)
_SPACE = re.compile(r"\s+")


class BadQAFile(AssistantError):
    """The QA file could not be read as the expected JSON lines."""


@dataclass
class QARow:
    q: str
    keys: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return bool(self.keys)


@dataclass
class RowResult:
    row: QARow
    rank: int | None  # 1-based rank of the first hit among the retrieved texts
    evidence: bool
    seconds: float
    top_titles: list[str]
    signals: EvidenceSignals | None = None


def load_qa(path: Path, split: str | None = None) -> list[QARow]:
    """Read a JSON-lines QA file, saying which line is wrong when one is; ``split``: only its rows."""
    if not path.is_file():
        raise BadQAFile(f"no such QA file: {path}")
    rows: list[QARow] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadQAFile(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("q"), str) or not isinstance(data.get("keys"), list):
            raise BadQAFile(f'{path}:{number}: expected an object with "q" (string) and "keys" (list)')
        rows.append(QARow(q=data["q"], keys=[str(k) for k in data["keys"]], extra=data))
    if not rows:
        raise BadQAFile(f"{path}: no questions in the file")
    if split is None:
        return rows
    chosen = [row for row in rows if row.extra.get("split") == split]
    if not chosen:
        present = sorted({str(row.extra["split"]) for row in rows if "split" in row.extra})
        raise BadQAFile(f"{path}: no questions in split {split!r} (splits in the file: {', '.join(present) or 'none'})")
    return chosen


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def first_hit_rank(texts: Sequence[str], keys: Sequence[str]) -> int | None:
    squashed_keys = [_squash(k) for k in keys]
    for rank, text in enumerate(texts, 1):
        squashed = _squash(text)
        if any(k and k in squashed for k in squashed_keys):
            return rank
    return None


@dataclass
class EvalReport:
    results: list[RowResult]
    top_k: int

    @property
    def answerable(self) -> list[RowResult]:
        return [r for r in self.results if r.row.answerable]

    @property
    def unanswerable(self) -> list[RowResult]:
        return [r for r in self.results if not r.row.answerable]

    def recall(self, k: int) -> float:
        rows = self.answerable
        return sum(1 for r in rows if r.rank is not None and r.rank <= k) / len(rows) if rows else 0.0

    @property
    def mrr(self) -> float:
        rows = self.answerable
        return sum(1 / r.rank for r in rows if r.rank) / len(rows) if rows else 0.0

    @property
    def declined_unanswerable(self) -> float | None:
        rows = self.unanswerable
        return sum(1 for r in rows if not r.evidence) / len(rows) if rows else None

    @property
    def declined_answerable(self) -> float | None:
        rows = self.answerable
        return sum(1 for r in rows if not r.evidence) / len(rows) if rows else None

    def latency_ms(self, quantile: float) -> float:
        times = sorted(r.seconds for r in self.results)
        if len(times) == 1:
            return times[0] * 1000
        return statistics.quantiles(times, n=100, method="inclusive")[int(quantile * 100) - 1] * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "questions": len(self.results),
            "answerable": len(self.answerable),
            "unanswerable": len(self.unanswerable),
            **{f"recall@{k}": round(self.recall(k), 4) for k in RECALL_AT if k <= self.top_k},
            "mrr": round(self.mrr, 4),
            "declined_unanswerable": _round(self.declined_unanswerable),
            "declined_answerable": _round(self.declined_answerable),
            "latency_p50_ms": round(self.latency_ms(0.5), 1),
            "latency_p95_ms": round(self.latency_ms(0.95), 1),
        }

    def misses(self) -> list[dict[str, Any]]:
        """Answerable rows not found in the top k, unanswerable rows not declined, answerable rows declined."""
        out = []
        for r in self.results:
            if r.row.answerable and (r.rank is None or not r.evidence):
                reason = "not retrieved" if r.rank is None else "wrongly declined"
            elif not r.row.answerable and r.evidence:
                reason = "not declined"
            else:
                continue
            out.append({"q": r.row.q, "keys": r.row.keys, "reason": reason, "rank": r.rank, "top": r.top_titles[:3]})
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "misses": self.misses()}

    def as_table(self) -> str:
        lines = ["| metric | value |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in self.summary().items()]
        misses = self.misses()
        if misses:
            lines += ["", f"misses ({len(misses)}):"]
            for m in misses:
                keys = ", ".join(m["keys"]) or "—"
                lines.append(f"- [{m['reason']}] {m['q']}  (keys: {keys}; top: {m['top']})")
        return "\n".join(lines)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evaluate(
    searcher: Searcher,
    rows: Sequence[QARow],
    top_k: int = 10,
    mode: SearchMode = "hybrid",
    flt: SearchFilter | None = None,
    query_handling: bool | None = None,
) -> EvalReport:
    results = []
    for row in rows:
        started = time.perf_counter()
        response = searcher.search(row.q, top_k=top_k, flt=flt, mode=mode, query_handling=query_handling)
        seconds = time.perf_counter() - started
        texts = [r.text for r in response.results]
        titles = [r.title for r in response.results]
        rank = first_hit_rank(texts, row.keys)
        results.append(RowResult(row, rank, response.evidence, seconds, titles, response.signals))
    return EvalReport(results, top_k)
