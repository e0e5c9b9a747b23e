"""Ingesting uploaded files: checked, written to a scratch folder with their sidecars, ingested one by one.

Knows nothing of HTTP: the documents router hands it names and bytes. An upload is known in the
store as ``upload/NAME``, so uploading an edited file under the same name replaces the older one.
A ``NAME.meta.json`` uploaded alongside ``NAME`` is its metadata sidecar, as on disk.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from assistant.errors import AssistantError
from assistant.ingest.loaders import SUPPORTED_SUFFIXES, UnsupportedFormat, sidecar_path
from assistant.ingest.pipeline import FileOutcome, IngestPipeline, ProgressCallback

SOURCE_PREFIX = "upload/"
# (file name, chunks embedded so far, chunks of that file): how far the file being ingested has got.
UploadProgress = Callable[[str, int, int], None]
_SIDECAR_SUFFIX = ".meta.json"


class UploadError(AssistantError):
    """An upload cannot be ingested as it is (no name, duplicate names, only sidecars)."""


class UploadTooLarge(AssistantError):
    """An uploaded file is larger than ``max_file_mb``."""


@dataclass
class UploadedFile:
    name: str
    data: bytes


class UploadIngestor:
    """Ingests uploads with the shared pipeline, one upload at a time."""

    def __init__(self, pipeline: IngestPipeline, max_file_mb: int) -> None:
        self.pipeline = pipeline
        self.max_file_mb = max_file_mb
        self._lock = threading.Lock()

    def ingest(
        self, files: Sequence[UploadedFile], access: str | None = None, on_progress: UploadProgress | None = None
    ) -> list[FileOutcome]:
        """Check every file first (nothing is ingested if one is unacceptable), then ingest each document."""
        names = self._checked_names(files)
        documents = [name for name in names if not _is_sidecar(name)]
        with self._lock, tempfile.TemporaryDirectory(prefix="assistant-upload-") as scratch:
            folder = Path(scratch)
            for file, name in zip(files, names, strict=True):
                (folder / name).write_bytes(file.data)
            self.pipeline.store.ensure_collection(self.pipeline.embedder.dim)
            return [
                self.pipeline.ingest_file(
                    folder / name, source=SOURCE_PREFIX + name, access=access, on_progress=_per_file(on_progress, name)
                )
                for name in documents
            ]

    def _checked_names(self, files: Sequence[UploadedFile]) -> list[str]:
        names = [_plain_name(f.name) for f in files]
        documents = [name for name in names if not _is_sidecar(name)]
        if not documents:
            raise UploadError("no document was uploaded (metadata sidecars alone describe nothing)")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UploadError(f"the same file name was uploaded twice: {', '.join(duplicates)}")
        described = {sidecar_path(Path(name)).name for name in documents}
        orphans = [name for name in names if _is_sidecar(name) and name not in described]
        if orphans:
            raise UploadError(f"{orphans[0]} is a metadata sidecar, but the file it describes was not uploaded")
        for file, name in zip(files, names, strict=True):
            check_size(name, len(file.data), self.max_file_mb)
        for name in documents:
            suffix = PurePath(name).suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                raise UnsupportedFormat(
                    f"{name}: unsupported file type '{suffix or '(none)'}' (supported: {', '.join(SUPPORTED_SUFFIXES)})"
                )
        return names


def check_size(name: str, size: int, max_file_mb: int) -> None:
    """Raise UploadTooLarge for a file over the limit; callers check before they read a file into memory."""
    if size > max_file_mb * 1024 * 1024:
        mib = size / 1024 / 1024
        raise UploadTooLarge(f"{name} is {mib:.1f} MiB; the limit is {max_file_mb} MiB (ASSISTANT_MAX_FILE_MB)")


def _per_file(on_progress: UploadProgress | None, name: str) -> ProgressCallback | None:
    """The pipeline's progress callback for one file, reporting under that file's name."""
    if on_progress is None:
        return None
    return lambda done, total: on_progress(name, done, total)


def _is_sidecar(name: str) -> bool:
    return name.endswith(_SIDECAR_SUFFIX)


def _plain_name(name: str) -> str:
    """The file name without any folder part a client sent; refuses names that are empty or hidden."""
    plain = PurePath(name.replace("\\", "/")).name.strip()
    if not plain or plain.startswith("."):
        raise UploadError(f"unusable file name {name!r}: give each file a name such as policy.docx")
    return plain
