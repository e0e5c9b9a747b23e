"""Tune the evidence thresholds on evaluation sets: decline the unanswerable, keep the answerable.

Each row's evidence signals are collected once; then every pair of thresholds on a grid is scored.
The pick declines the largest share of unanswerable questions while wrongly declining at most
``max_false_declines`` of the answerable ones whose passage was retrieved (a miss is a retrieval
failure, not the decision's); ties go to fewer false declines, then to the lower thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.eval.harness import RowResult
from assistant.retrieval.evidence import EvidenceSignals, EvidenceThresholds

DENSE_GRID = [round(0.70 + 0.01 * i, 2) for i in range(21)] + [0.0]
OVERLAP_GRID = [round(0.05 * i, 2) for i in range(21)]


@dataclass(frozen=True)
class Calibration:
    thresholds: EvidenceThresholds
    declined_unanswerable: float  # share of unanswerable rows declined
    false_declines: float  # share of answerable, retrieved rows declined
    answerable: int
    unanswerable: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "min_dense": self.thresholds.min_dense,
            "min_overlap": self.thresholds.min_overlap,
            "declined_unanswerable": round(self.declined_unanswerable, 4),
            "false_declines": round(self.false_declines, 4),
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
        }

    def env_lines(self) -> str:
        return (
            f"ASSISTANT_EVIDENCE_MIN_DENSE={self.thresholds.min_dense}\n"
            f"ASSISTANT_EVIDENCE_MIN_OVERLAP={self.thresholds.min_overlap}"
        )


def score(thresholds: EvidenceThresholds, results: Sequence[RowResult]) -> Calibration:
    kept = [r.signals for r in results if r.row.answerable and r.rank is not None and r.signals is not None]
    absent = [r.signals for r in results if not r.row.answerable and r.signals is not None]
    return Calibration(
        thresholds=thresholds,
        declined_unanswerable=_declined_share(absent, thresholds),
        false_declines=_declined_share(kept, thresholds),
        answerable=len(kept),
        unanswerable=len(absent),
    )


def calibrate(results: Sequence[RowResult], max_false_declines: float = 0.03) -> Calibration:
    """The best thresholds on the grid for these rows (see the module docstring)."""
    if not any(r.signals for r in results):
        raise ValueError("no evidence signals in the results: evaluate with a Searcher first")
    candidates = [
        score(EvidenceThresholds(min_dense, min_overlap), results)
        for min_dense in DENSE_GRID
        for min_overlap in OVERLAP_GRID
    ]
    allowed = [c for c in candidates if c.false_declines <= max_false_declines]
    return max(
        allowed,
        key=lambda c: (c.declined_unanswerable, -c.false_declines, -c.thresholds.min_dense, -c.thresholds.min_overlap),
    )


def _declined_share(signals: Sequence[EvidenceSignals], thresholds: EvidenceThresholds) -> float:
    return sum(1 for s in signals if not thresholds.judge(s)) / len(signals) if signals else 0.0
