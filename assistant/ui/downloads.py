"""Files the page hands a person to download (a .docx, a case's materials and notices): copies written
under one temporary folder of the process, removed when it exits, each under the name it is saved as."""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')


def safe_name(name: str, fallback: str) -> str:
    """``name`` without characters a file system or a download header would refuse (at most 80 of them)."""
    return _UNSAFE_FILE_CHARS.sub("_", name)[:80] or fallback


def download_copy(folder: str, name: str, data: bytes) -> str:
    """The path of a copy of ``data`` saved as ``name`` in ``folder`` (one per thing downloaded; a copy
    downloaded again overwrites the last)."""
    place = Path(_downloads().name, *folder.split("/"))
    place.mkdir(parents=True, exist_ok=True)
    path = place / name
    path.write_bytes(data)
    return str(path)


@functools.cache
def _downloads() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="assistant-downloads-")
