"""Small helpers shared by the benchmarks: percentiles and peak memory."""

from __future__ import annotations

import math
import os
from pathlib import Path

from assistant.config import Settings


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_ms(seconds: list[float]) -> dict[str, float]:
    """p50, p95 and max of durations given in seconds, in milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def peak_rss_mib(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process, this one by default; Linux only."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text(encoding="utf-8")
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(kib / 1024, 1)


def scratch_settings(settings: Settings, data_dir: Path) -> Settings:
    """``settings`` with a fresh, empty data directory that shares the installation's assembled models."""
    data_dir.mkdir(parents=True)
    settings.models_dir.mkdir(parents=True, exist_ok=True)  # never a dangling link: models are assembled there
    (data_dir / "models").symlink_to(settings.models_dir.resolve(), target_is_directory=True)
    return settings.model_copy(update={"data_dir": data_dir})


def directory_mib(path: Path) -> float:
    """Disk space the files under ``path`` take (allocated blocks: sparse files count what they use)."""
    blocks = sum(p.stat().st_blocks for p in path.rglob("*") if p.is_file())
    return round(blocks * 512 / 2**20, 1)
