"""Cheap validation of the committed retrieval evaluation sets under eval/ (see eval/README.md)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EVAL_DIR = REPO / "eval"
SEEDS_DIR = REPO.parent / "shared" / "seeds"
CATALOGUE = REPO.parent / "shared" / "data" / "gd_service_items" / "policy.jsonl"

SEEDS_QA = "seeds_qa.jsonl"
CATALOGUE_QA = "catalogue_qa.jsonl"
COLLOQUIAL = "catalogue_colloquial.jsonl"
UNANSWERABLE = "catalogue_unanswerable.jsonl"

SEED_KINDS = {"fact", "colloquial", "unanswerable"}
CATALOGUE_FIELDS = {"materials", "location", "phone", "time_limit", "conditions", "basis", "courier"}
SPLITS = {"dev", "holdout"}


def squash(text: str) -> str:
    """The hit rule compares texts with all whitespace removed."""
    return re.sub(r"\s+", "", text)


def load(name: str) -> list[dict[str, Any]]:
    lines = (EVAL_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def record_text(value: Any) -> str:
    """Every string in a catalogue record, joined: the most a record's passage can contain."""
    if isinstance(value, dict):
        return "".join(record_text(v) for v in value.values())
    if isinstance(value, list):
        return "".join(record_text(v) for v in value)
    return "" if value is None else str(value)


def seed_texts() -> list[str]:
    corpus = sorted((REPO / "policy_corpus").glob("*.txt"))
    files = corpus or sorted(SEEDS_DIR.glob("*.txt"))
    if not files:
        pytest.skip("no policy_corpus/*.txt and no ../shared/seeds to check the seed keys against")
    return [squash(path.read_text(encoding="utf-8")) for path in files]


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict[str, Any]]:
    if not CATALOGUE.exists():
        pytest.skip(f"catalogue not present at {CATALOGUE}")
    with CATALOGUE.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return {r["TASK_CODE"]: r for r in records}


@pytest.mark.parametrize("name", [SEEDS_QA, CATALOGUE_QA, COLLOQUIAL, UNANSWERABLE])
def test_every_row_has_a_question_and_string_keys(name: str) -> None:
    for row in load(name):
        assert isinstance(row["q"], str) and row["q"].strip(), row
        assert isinstance(row["keys"], list), row
        assert all(isinstance(k, str) and squash(k) for k in row["keys"]), row


@pytest.mark.parametrize("name", [SEEDS_QA, CATALOGUE_QA, COLLOQUIAL, UNANSWERABLE])
def test_no_duplicate_questions(name: str) -> None:
    duplicates = [q for q, n in Counter(row["q"] for row in load(name)).items() if n > 1]
    assert not duplicates


def test_seed_set_size_and_mix() -> None:
    rows = load(SEEDS_QA)
    kinds = Counter(row["kind"] for row in rows)
    assert set(kinds) == SEED_KINDS
    assert len(rows) >= 45
    assert kinds["fact"] >= 12 and kinds["colloquial"] >= 12 and kinds["unanswerable"] >= 12
    for row in rows:
        assert (row["kind"] == "unanswerable") == (row["keys"] == []), row


def test_seed_keys_are_short_and_occur_in_the_seed_documents() -> None:
    texts = seed_texts()
    for row in load(SEEDS_QA):
        for key in row["keys"]:
            assert 6 <= len(squash(key)) <= 20, (row["q"], key)
            assert any(squash(key) in text for text in texts), (row["q"], key)


def test_catalogue_set_size_and_fields() -> None:
    rows = load(CATALOGUE_QA)
    assert len(rows) >= 110
    for row in rows:
        assert row["field"] in CATALOGUE_FIELDS, row
        assert row["keys"], row
        assert all(6 <= len(squash(k)) <= 20 for k in row["keys"]), row
    assert len({row["item_id"] for row in rows}) >= 100


def test_catalogue_keys_occur_in_their_own_record(catalogue: dict[str, dict[str, Any]]) -> None:
    for row in load(CATALOGUE_QA):
        record = catalogue[row["item_id"]]
        assert record["matter_name"] == row["item_name"], row
        text = squash(record_text(record))
        for key in row["keys"]:
            assert squash(key) in text, (row["q"], key)


def test_colloquial_set_size_and_splits() -> None:
    rows = load(COLLOQUIAL)
    assert len(rows) >= 90
    splits = Counter(row["split"] for row in rows)
    assert set(splits) == SPLITS
    assert splits["dev"] > splits["holdout"] > 0


def test_colloquial_split_is_per_item() -> None:
    """All questions about one item name sit in the same split, so tuning on dev cannot see a holdout item."""
    split_of: dict[str, set[str]] = {}
    for row in load(COLLOQUIAL):
        split_of.setdefault(row["item_name"], set()).add(row["split"])
    assert all(len(splits) == 1 for splits in split_of.values())


def test_colloquial_questions_do_not_quote_the_item_name() -> None:
    for row in load(COLLOQUIAL):
        name = row["item_name"]
        assert row["keys"] == [name], row
        pieces = [name[i : i + 4] for i in range(len(name) - 3)]
        assert not [p for p in pieces if p in row["q"]], row


def test_colloquial_targets_exist_in_the_catalogue(catalogue: dict[str, dict[str, Any]]) -> None:
    for row in load(COLLOQUIAL):
        assert catalogue[row["item_id"]]["matter_name"] == row["item_name"], row


def test_unanswerable_catalogue_questions_have_no_keys_and_spread_over_topics(
    catalogue: dict[str, dict[str, Any]],
) -> None:
    rows = load(UNANSWERABLE)
    assert len(rows) >= 40 and all(row["keys"] == [] for row in rows)
    topics = Counter(row["topic"] for row in rows)
    assert max(topics.values()) <= 3
    # The service a question asks for is not an item: no item name holds its topic label.
    names = {record["matter_name"] for record in catalogue.values()}
    assert not [t for t in topics if any(t in name for name in names)]
