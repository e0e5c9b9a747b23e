"""Tune the evidence thresholds on evaluation sets: decline the unanswerable, keep the answerable.

Each row's evidence signals are collected once; then every combination of thresholds on a grid is scored.
The pick declines the largest share of unanswerable questions while wrongly declining at most
``max_false_declines`` of the answerable ones whose passage was retrieved (a miss is a retrieval
failure, not the decision's); ties go to fewer false declines, then to the
stricter dense and ABOUT thresholds and the lower overlap threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.eval.harness import RowResult
from assistant.retrieval.evidence import EvidenceSignals, EvidenceThresholds

DENSE_GRID: list[float | None] = [round(0.80 + 0.005 * i, 3) for i in range(31)] + [None]
OVERLAP_GRID = [round(0.01 * i, 2) for i in range(101)]
ABOUT_GRID: list[float | None] = [round(0.88 + 0.005 * i, 3) for i in range(13)] + [None]


@dataclass(frozen=True)
class Calibration:
    thresholds: EvidenceThresholds
    declined_unanswerable: float  # share of unanswerable rows declined
    false_declines: float  # share of answerable, retrieved rows declined
    answerable: int
    unanswerable: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "dense": self.thresholds.dense,
            "overlap": self.thresholds.overlap,
            "about": self.thresholds.about,
            "declined_unanswerable": round(self.declined_unanswerable, 4),
            "false_declines": round(self.false_declines, 4),
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
        }

    def env_lines(self) -> str:
        return (
            f"ASSISTANT_EVIDENCE_DENSE={'' if self.thresholds.dense is None else self.thresholds.dense}\n"
            f"ASSISTANT_EVIDENCE_OVERLAP={self.thresholds.overlap}\n"
            f"ASSISTANT_EVIDENCE_ABOUT={'' if self.thresholds.about is None else self.thresholds.about}"
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


def calibrate(results: Sequence[RowResult], max_false_declines: float = 0.05) -> Calibration:
    """The best thresholds on the grid for these rows (see the module docstring)."""
    if not any(r.signals for r in results):
        raise ValueError("no evidence signals in the results: evaluate with a Searcher first")
    grid = [
        EvidenceThresholds(dense, overlap, about)
        for dense in DENSE_GRID
        for overlap in OVERLAP_GRID
        for about in ABOUT_GRID
    ]
    candidates = [score(thresholds, results) for thresholds in grid]
    allowed = [c for c in candidates if c.false_declines <= max_false_declines]
    return max(
        allowed,
        key=lambda c: (
            c.declined_unanswerable,
            -c.false_declines,
            c.thresholds.dense or 2.0,
            c.thresholds.about or 2.0,
            -c.thresholds.overlap,
        ),
    )


def _declined_share(signals: Sequence[EvidenceSignals], thresholds: EvidenceThresholds) -> float:
    return sum(1 for s in signals if not thresholds.judge(s)) / len(signals) if signals else 0.0
