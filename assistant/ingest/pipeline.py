"""From files to committed chunks in the store: load, clean, parse, chunk, embed, write.

A document is identified by the hash of its content (and its metadata sidecar), so ingesting the
same corpus twice changes nothing and an edited file replaces the chunks of its older version.
Chunks are written uncommitted and become searchable in one step once all are stored, so an
interrupted ingest leaves nothing half-stored (its leftovers are swept at the next ingest).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.config import Settings
from assistant.ingest.chunk import chunk_document, chunk_records
from assistant.ingest.clean import clean_text
from assistant.ingest.document import Chunk, LoadedDocument
from assistant.ingest.item_profile import default_aliases
from assistant.ingest.loaders import RECORD_SUFFIXES, IngestError, load_file, sidecar_path
from assistant.ingest.structure import parse_document
from assistant.models.embedding import Embedder
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import StoredPoint, VectorStore, chunk_point_id

Status = Literal["added", "unchanged", "replaced", "failed"]
ProgressCallback = Callable[[int, int], None]  # (chunks done, chunks total) of the current file


@dataclass
class FileOutcome:
    source: str
    status: Status
    doc_id: str | None = None
    title: str | None = None
    chunks: int = 0
    error: str | None = None


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status in ("added", "replaced"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.count("added"),
            "unchanged": self.count("unchanged"),
            "replaced": self.count("replaced"),
            "failed": self.count("failed"),
            "chunks": self.chunks,
            "seconds": round(self.seconds, 2),
            "files": [o.__dict__ for o in self.outcomes],
        }


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every file under named folders (sidecars and hidden files excluded)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not p.name.startswith(".")
                and not p.name.endswith(".meta.json")
                and p.name.lower() != "readme.md"
            )
        else:
            files.append(path)
    return files


def document_id(path: Path, recipe: str = "") -> str:
    """Content hash of the file, its metadata sidecar and ``recipe``: how the file's chunks are indexed,
    where that can change without the file changing (so that such a change re-ingests it)."""
    digest = hashlib.sha256(path.read_bytes())
    meta = sidecar_path(path)
    if meta.exists():
        digest.update(meta.read_bytes())
    if recipe:
        digest.update(recipe.encode("utf-8"))
    return digest.hexdigest()[:20]


def source_key(path: Path) -> str:
    """How a file is known across ingests: its path relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def corpus_terms(document: dict[str, Any], chunks: Sequence[Chunk]) -> list[str]:
    """Names the tokenizer must keep whole: the document title and, for records, each item's name."""
    names = [document.get("title") or "", *(c.metadata.get("title") or "" for c in chunks)]
    return [n for n in dict.fromkeys(n.strip() for n in names) if 2 <= len(n) <= 40]


class IngestPipeline:
    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder, sparse: SparseEncoder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        # Record files are re-ingested when the alias list their search notes come from changes.
        self._record_recipe = f"aliases={default_aliases().digest};about"
        self.sparse = sparse

    def ingest_paths(
        self,
        paths: Sequence[Path],
        access: str | None = None,
        on_file: Callable[[FileOutcome], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> IngestSummary:
        """Ingest every file; one bad file is reported and never stops the rest."""
        started = time.perf_counter()
        self.store.ensure_collection(self.embedder.dim)
        self.store.delete_uncommitted()
        summary = IngestSummary()
        for path in expand_paths(paths):
            outcome = self.ingest_file(path, source=source_key(path), access=access, on_progress=on_progress)
            summary.outcomes.append(outcome)
            if on_file:
                on_file(outcome)
        summary.seconds = time.perf_counter() - started
        return summary

    def ingest_file(
        self,
        path: Path,
        source: str,
        access: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> FileOutcome:
        try:
            return self._ingest(path, source, access, on_progress)
        except IngestError as exc:
            return FileOutcome(source=source, status="failed", error=str(exc))
        except OSError as exc:
            return FileOutcome(source=source, status="failed", error=f"{source}: cannot read ({exc.strerror})")

    def _ingest(self, path: Path, source: str, access: str | None, on_progress: ProgressCallback | None) -> FileOutcome:
        doc_id = document_id(path, self._record_recipe if path.suffix.lower() in RECORD_SUFFIXES else "")
        existing = self.store.get_document(doc_id)
        if existing is not None and not existing.get("pending"):
            return FileOutcome(source, "unchanged", doc_id, existing.get("title"), existing.get("chunks", 0))
        loaded = load_file(path, max_bytes=self.settings.max_file_mb * 1024 * 1024)
        document, chunks = self._chunk(loaded)
        if access:
            document["access"] = access
        if not chunks:
            raise IngestError(f"{source}: no text found to ingest")
        terms = corpus_terms(document, chunks)
        # Keep the corpus's own names whole in the keyword index; the searcher reads them back from the record.
        self.sparse.add_words(terms)
        record = {
            **document,
            "doc_id": doc_id,
            "source": source,
            "chunks": len(chunks),
            "terms": terms,
            "embedder": self.embedder.name,
            "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        # The record goes first, marked pending, so that a run killed at any later point leaves a record
        # that `docs delete` reaches and that the next run of this file takes as not yet ingested.
        self.store.upsert_document(doc_id, {**record, "pending": True})
        self._write_chunks(doc_id, source, document, chunks, on_progress)
        self.store.set_committed(doc_id)
        replaced = [d for d in self.store.list_documents() if d.get("source") == source and d["doc_id"] != doc_id]
        for old in replaced:
            self.store.delete_document(old["doc_id"])
        self.store.upsert_document(doc_id, record)
        status: Status = "replaced" if replaced else "added"
        return FileOutcome(source, status, doc_id, document["title"], len(chunks))

    def _chunk(self, loaded: LoadedDocument) -> tuple[dict[str, Any], list[Chunk]]:
        """Document-level metadata and the chunks of a loaded file."""
        size, overlap = self.settings.chunk_size, self.settings.chunk_overlap
        meta = loaded.metadata
        if loaded.records:
            document = {
                "title": meta.get("title") or Path(loaded.source).stem,
                "issuer": meta.get("issuer"),
                "date": meta.get("date"),
                "doc_number": meta.get("doc_number"),
                "status": meta.get("status"),
                "doc_type": meta.get("doc_type") or "service_items",
            }
            chunks = chunk_records(loaded.records, size, overlap)
        else:
            parsed = parse_document(clean_text(loaded.text), meta)
            document = {
                "title": parsed.title,
                "issuer": parsed.issuer,
                "date": parsed.date,
                "doc_number": parsed.doc_number,
                "status": parsed.status,
                "doc_type": meta.get("doc_type"),
            }
            chunks = chunk_document(parsed, size, overlap)
        document["access"] = meta.get("access") or "public"
        return document, chunks

    def _write_chunks(
        self,
        doc_id: str,
        source: str,
        document: dict[str, Any],
        chunks: list[Chunk],
        on_progress: ProgressCallback | None,
    ) -> None:
        total = len(chunks)
        step = self.settings.ingest_step
        for start in range(0, total, step):
            batch = chunks[start : start + step]
            dense = self.embedder.embed_passages([c.indexed_text for c in batch])
            heads = [c for c in batch if c.about_text]
            # Read as queries: an about text is matched against questions as an equal, not as a passage.
            about_vectors = self.embedder.embed_queries([c.about_text for c in heads])
            about = dict(zip((c.index for c in heads), about_vectors, strict=True))
            points = [
                StoredPoint(
                    id=chunk_point_id(doc_id, chunk.index),
                    payload=self._payload(doc_id, source, document, chunk),
                    dense=vector,
                    sparse=self.sparse.encode_passage(chunk.indexed_text),
                    about=about.get(chunk.index),
                )
                for chunk, vector in zip(batch, dense, strict=True)
            ]
            self.store.upsert_chunks(points)
            if on_progress:
                on_progress(min(start + len(batch), total), total)

    @staticmethod
    def _payload(doc_id: str, source: str, document: dict[str, Any], chunk: Chunk) -> dict[str, Any]:
        """What a search result needs to cite the chunk, plus the fields filters use."""
        return {
            **chunk.metadata,
            "kind": "chunk",
            "doc_id": doc_id,
            "chunk_index": chunk.index,
            "text": chunk.text,
            "heading_path": list(chunk.heading_path),
            "section": chunk.section,
            "doc_title": document["title"],
            "title": chunk.metadata.get("title") or document["title"],
            "source": source,
            "issuer": document.get("issuer"),
            "date": document.get("date"),
            "doc_number": document.get("doc_number"),
            "status": document.get("status"),
            "access": document.get("access", "public"),
            "committed": False,
        }
