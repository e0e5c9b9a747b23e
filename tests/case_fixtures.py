"""Fixtures of the case tests: a small catalogue of real Guangdong records (copied at test time from
``../shared``, never committed) ingested once, and case services over it on SQLite and PostgreSQL.

Load with ``pytest_plugins = ["db_fixtures", "case_fixtures"]``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.components import Components
from assistant.config import Settings

REPO = Path(__file__).resolve().parents[1]
HK_PERMIT = "11440100007483172Q3440106043001"  # 办理往来港澳通行证 (广州市公安局)
HK_BUSINESS = "11440100007483172Q3440106043010"  # 办理往来港澳通行证商务签注
HK_QUESTION = "想去香港商务出差，要办什么证件？"
LICENSING_COUNT = 3


def shared_catalogue() -> Path:
    """The Guangdong catalogue beside the main checkout (a worktree's own parent may not hold ``shared``)."""
    common = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    roots = [REPO.parent, *([Path(common).parent.parent] if common else [])]
    for root in roots:
        path = root / "shared" / "data" / "gd_service_items" / "policy.jsonl"
        if path.exists():
            return path
    raise FileNotFoundError(f"no shared/data/gd_service_items/policy.jsonl beside {', '.join(map(str, roots))}")


@dataclass(frozen=True)
class CaseCatalogue:
    data_dir: Path
    licensing: tuple[str, ...]  # 行政许可 items with 法定 and 承诺 limits and several materials
    records: dict[str, dict]


@pytest.fixture(scope="session")
def case_catalogue(tmp_path_factory: pytest.TempPathFactory) -> CaseCatalogue:
    rows = [json.loads(line) for line in shared_catalogue().read_text(encoding="utf-8").splitlines() if line.strip()]
    licensing = [
        r
        for r in rows
        if r.get("matter_type") == "行政许可"
        and isinstance(r.get("material_intro"), list)
        and len(r["material_intro"]) >= 3
        and "工作日" in str(r.get("handle_time_limit"))
        and "工作日" in str(r.get("handle_time"))
    ][:LICENSING_COUNT]
    hk = [r for r in rows if r["TASK_CODE"] in (HK_PERMIT, HK_BUSINESS)]
    picked = licensing + hk
    source = tmp_path_factory.mktemp("case-source") / "items.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in picked), encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("case-data")
    components = Components(Settings(data_dir=data_dir))
    try:
        assert components.ingestor.ingest_paths([source]).count("added") == 1
    finally:
        components.close()
    return CaseCatalogue(data_dir, tuple(r["TASK_CODE"] for r in licensing), {r["TASK_CODE"]: r for r in picked})


def case_settings(catalogue: CaseCatalogue, database_url: str, materials: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": catalogue.data_dir,
        "database_url": database_url,
        "materials_path": materials,
        "max_file_mb": 1,
        "rate_limit_per_minute": 0,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def case_components(case_catalogue: CaseCatalogue, database_url: str, tmp_path: Path) -> Iterator[Components]:
    """Components over the small catalogue and an empty database of each engine (materials in a fresh folder)."""
    components = Components(case_settings(case_catalogue, database_url, tmp_path / "materials"))
    yield components
    components.close()
