"""Metadata sidecars: ``<file>.meta.json`` next to a document overrides what parsing finds.

The sidecar is where a person states facts a text may not carry reliably (the issuer of a draft, the
access level of an internal file), so its keys are checked strictly: a typo must not be ignored silently.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from assistant.ingest.errors import LoadError

METADATA_KEYS = ("title", "issuer", "date", "doc_number", "status", "access", "doc_type", "region", "effective_date")
ACCESS_LEVELS = ("public", "internal")


def sidecar_path(path: Path) -> Path:
    """Where the metadata of ``path`` lives: ``x.txt`` -> ``x.txt.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def read_sidecar(path: Path) -> dict[str, str]:
    """The sidecar metadata of ``path`` (empty when it has none); null values are dropped."""
    meta_path = sidecar_path(path)
    if not meta_path.exists():
        return {}
    name = meta_path.name
    try:
        raw: Any = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"{name}: not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise LoadError(f"{name}: must be a JSON object with keys {', '.join(METADATA_KEYS)}")
    unknown = sorted(set(raw) - set(METADATA_KEYS))
    if unknown:
        raise LoadError(f"{name}: unknown keys {', '.join(unknown)} (allowed: {', '.join(METADATA_KEYS)})")
    meta: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise LoadError(f"{name}: '{key}' must be a non-empty string, got {value!r}")
        meta[key] = value.strip()
    for key in ("date", "effective_date"):
        if key in meta:
            _check_iso_date(name, key, meta[key])
    if "access" in meta and meta["access"] not in ACCESS_LEVELS:
        raise LoadError(f"{name}: 'access' must be one of {', '.join(ACCESS_LEVELS)}, got {meta['access']!r}")
    return meta


def _check_iso_date(name: str, key: str, value: str) -> None:
    try:
        valid = len(value) == 10 and date.fromisoformat(value).isoformat() == value
    except ValueError:
        valid = False
    if not valid:
        raise LoadError(f"{name}: '{key}' must be a real date written yyyy-mm-dd, got {value!r}")
