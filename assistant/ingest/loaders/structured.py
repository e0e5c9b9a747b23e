"""Structured record files: .json (an object or a list of objects), .jsonl (one object a line), .csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

# A module import, not a name import: records imports this package's errors, so either may load first.
from assistant.ingest import records as item_records
from assistant.ingest.document import Record
from assistant.ingest.errors import LoadError
from assistant.ingest.loaders.text import decode_text

# Keys under which a JSON export commonly nests its list of rows.
_LIST_KEYS = ("records", "items", "data", "rows")


def load_records(data: bytes, name: str, suffix: str) -> list[Record]:
    """Every row of the file as a Record; the first bad row stops the file, with its position named."""
    text = decode_text(data, name)
    rows = {".json": _json_rows, ".jsonl": _jsonl_rows, ".csv": _csv_rows}[suffix](text, name)
    records: list[Record] = []
    for where, row in rows:
        try:
            records.append(item_records.to_record(row))
        except item_records.InvalidRecord as exc:
            raise LoadError(f"{name}: {where}: {exc}") from exc
    if not records:
        raise LoadError(f"{name}: contains no records")
    return records


def _json_rows(text: str, name: str) -> Iterator[tuple[str, Any]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{name}: not valid JSON ({exc})") from exc
    if isinstance(value, dict):
        nested = next((value[k] for k in _LIST_KEYS if isinstance(value.get(k), list)), None)
        value = nested if nested is not None else [value]
    if not isinstance(value, list):
        raise LoadError(f"{name}: expected a JSON object or a list of objects, got {type(value).__name__}")
    for i, row in enumerate(value, 1):
        yield f"item {i}", row


def _jsonl_rows(text: str, name: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoadError(f"{name}: line {number} is not valid JSON ({exc.msg} at column {exc.colno})") from exc


def _csv_rows(text: str, name: str) -> Iterator[tuple[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise LoadError(f"{name}: the CSV has no header row")
    for row in reader:
        if None in row:
            raise LoadError(f"{name}: line {reader.line_num} has more cells than the header")
        yield f"line {reader.line_num}", row
