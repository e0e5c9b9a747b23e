"""Read a file into a LoadedDocument: free text (txt, md, html, docx, pdf) or records (json, jsonl, csv).

``load_file`` is the one entry point. It checks size and emptiness, dispatches on the suffix, and merges
the ``<file>.meta.json`` sidecar into the document's metadata. Loaders also leave a ``title_hint`` in the
metadata (an HTML ``<title>``, a docx title, a Markdown ``#`` heading, else the file name), which
``parse_document`` uses only when the text itself does not show a title.
"""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.document import LoadedDocument
from assistant.ingest.errors import IngestError, LoadError, UnsupportedFormat
from assistant.ingest.loaders.html import html_to_text
from assistant.ingest.loaders.pdf import pdf_to_text
from assistant.ingest.loaders.sidecar import METADATA_KEYS, read_sidecar, sidecar_path
from assistant.ingest.loaders.structured import load_records
from assistant.ingest.loaders.text import decode_text, markdown_to_text
from assistant.ingest.loaders.word import docx_to_text

__all__ = [
    "METADATA_KEYS",
    "SUPPORTED_SUFFIXES",
    "IngestError",
    "LoadError",
    "UnsupportedFormat",
    "load_file",
    "sidecar_path",
]

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
RECORD_SUFFIXES = (".json", ".jsonl", ".csv")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + RECORD_SUFFIXES
TITLE_HINT = "title_hint"


def load_file(path: Path, max_bytes: int) -> LoadedDocument:
    """Load one file; raise UnsupportedFormat or LoadError (both IngestError) with a one-line reason."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "without a suffix"
        raise UnsupportedFormat(f"{name}: unsupported file type {shown} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    if not path.is_file():
        raise LoadError(f"{name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise LoadError(f"{name}: the file is empty")
    if size > max_bytes:
        raise LoadError(f"{name}: {_size(size)} is larger than the {_size(max_bytes)} limit (ASSISTANT_MAX_FILE_MB)")
    data = path.read_bytes()
    metadata = read_sidecar(path)
    if suffix in RECORD_SUFFIXES:
        return LoadedDocument(source=str(path), records=load_records(data, name, suffix), metadata=metadata)
    text, hint = _text_of(data, name, suffix)
    if not text.strip():
        raise LoadError(f"{name}: contains no text")
    return LoadedDocument(source=str(path), text=text, metadata={TITLE_HINT: hint or path.stem, **metadata})


def _text_of(data: bytes, name: str, suffix: str) -> tuple[str, str | None]:
    """The document's text and a title hint from its format, when the format has one."""
    if suffix == ".txt":
        return decode_text(data, name), None
    if suffix == ".md":
        return markdown_to_text(decode_text(data, name))
    if suffix in (".html", ".htm"):
        return html_to_text(data, name)
    if suffix == ".docx":
        return docx_to_text(data, name)
    return pdf_to_text(data, name), None


def _size(size: int) -> str:
    mib = 1024 * 1024
    return f"{size / mib:.1f} MiB" if size >= mib else f"{size} bytes"
