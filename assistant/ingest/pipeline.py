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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.config import Settings
from assistant.ingest.chunk import chunk_document, chunk_records
from assistant.ingest.clean import clean_text
from assistant.ingest.document import Chunk, LoadedDocument
from assistant.ingest.item_profile import default_aliases
from assistant.ingest.loaders import RECORD_SUFFIXES, IngestError, load_file, sidecar_path
from assistant.ingest.structure import NOT_YET_IN_FORCE, parse_document
from assistant.models.embedding import Embedder
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import StoredPoint, VectorStore, chunk_point_id
from assistant.text.region import canonical_region, region_of, region_of_number

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


@dataclass
class _Prepared:
    """A file loaded and chunked, waiting to be embedded and written."""

    doc_id: str
    source: str
    document: dict[str, Any]
    chunks: list[Chunk]
    record: dict[str, Any]


def _region(meta: dict[str, Any], document: dict[str, Any], *more: str) -> str | None:
    """The document's region: the sidecar's, else from its issuer, title, 文号 and other texts (region.py)."""
    if meta.get("region"):
        return canonical_region(meta["region"]) or meta["region"]
    return region_of(document.get("issuer"), document.get("title"), *more) or region_of_number(
        document.get("doc_number")
    )


def _status_by_date(effective: str | None) -> str | None:
    """尚未生效 for a document whose date in force is still ahead; nothing said otherwise."""
    return NOT_YET_IN_FORCE if effective and effective > date.today().isoformat() else None


def _doc_ids_by_source(records: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Document ids per source key, read once per ingest run instead of once per file."""
    found: dict[str, list[str]] = {}
    for record in records:
        found.setdefault(record.get("source") or "", []).append(record["doc_id"])
    return found


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
        """Ingest every file; one bad file is reported and never stops the rest.

        Small files are embedded and written together, up to ``ingest_step`` chunks at a time (a corpus
        of one article per file costs per chunk, not per file): a step is one embedding call and a few
        store writes. Each file still gets its own outcome, pending record and replacement.
        """
        started = time.perf_counter()
        self.store.ensure_collection(self.embedder.dim)
        self.store.delete_uncommitted()
        summary = IngestSummary()
        by_source = _doc_ids_by_source(self.store.list_documents())
        batch: dict[str, _Prepared] = {}  # by doc_id
        batch_chunks = 0

        def report(outcome: FileOutcome) -> None:
            summary.outcomes.append(outcome)
            if on_file:
                on_file(outcome)

        def flush() -> None:
            nonlocal batch_chunks
            for outcome in self._write(list(batch.values()), by_source, on_progress):
                report(outcome)
            batch.clear()
            batch_chunks = 0

        for path in expand_paths(paths):
            prepared = self._prepare_file(path, source_key(path), access)
            if isinstance(prepared, FileOutcome):
                report(prepared)
                continue
            twin = batch.get(prepared.doc_id)
            if twin is not None:  # the same content twice in one batch: stored once, as when ingested in turn
                report(FileOutcome(prepared.source, "unchanged", twin.doc_id, twin.document["title"], len(twin.chunks)))
                continue
            if batch and batch_chunks + len(prepared.chunks) > self.settings.ingest_step:
                flush()  # a step stays within ``ingest_step`` chunks: one embedding call, sorted by length
            batch[prepared.doc_id] = prepared
            batch_chunks += len(prepared.chunks)
        flush()
        summary.seconds = time.perf_counter() - started
        return summary

    def ingest_file(
        self,
        path: Path,
        source: str,
        access: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> FileOutcome:
        prepared = self._prepare_file(path, source, access)
        if isinstance(prepared, FileOutcome):
            return prepared
        by_source = _doc_ids_by_source(d for d in self.store.list_documents() if d.get("source") == source)
        return self._write([prepared], by_source, on_progress)[0]

    def _prepare_file(self, path: Path, source: str, access: str | None) -> _Prepared | FileOutcome:
        """The file loaded and chunked, or its outcome when there is nothing to write (unchanged or failed)."""
        try:
            return self._prepare(path, source, access)
        except IngestError as exc:
            return FileOutcome(source=source, status="failed", error=str(exc))
        except OSError as exc:
            return FileOutcome(source=source, status="failed", error=f"{source}: cannot read ({exc.strerror})")

    def _prepare(self, path: Path, source: str, access: str | None) -> _Prepared | FileOutcome:
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
        return _Prepared(doc_id, source, document, chunks, record)

    def _write(
        self, batch: Sequence[_Prepared], by_source: dict[str, list[str]], on_progress: ProgressCallback | None
    ) -> list[FileOutcome]:
        """Embed and store the chunks of ``batch`` together, then commit them.

        The records go first, marked pending, so that a run killed at any later point leaves records
        that `docs delete` reaches and that the next run takes as not yet ingested; a file's chunks
        become searchable (and its older version goes) only once all of them are stored. Records,
        commits and final records are one store write each for the whole batch.
        """
        if not batch:
            return []
        self.store.upsert_documents({file.doc_id: {**file.record, "pending": True} for file in batch})
        pairs = [(file, chunk) for file in batch for chunk in file.chunks]
        written: dict[str, int] = {}
        step = self.settings.ingest_step
        for start in range(0, len(pairs), step):
            part = pairs[start : start + step]
            self.store.upsert_chunks(self._points(part))
            for file, _ in part:
                written[file.doc_id] = written.get(file.doc_id, 0) + 1
            if on_progress and len(batch) == 1:
                on_progress(written[batch[0].doc_id], len(batch[0].chunks))
        self.store.set_committed(*(file.doc_id for file in batch))
        outcomes = []
        for file in batch:
            replaced = [d for d in by_source.get(file.source, []) if d != file.doc_id]
            for old in replaced:
                self.store.delete_document(old)
            by_source[file.source] = [file.doc_id]
            status: Status = "replaced" if replaced else "added"
            outcomes.append(FileOutcome(file.source, status, file.doc_id, file.document["title"], len(file.chunks)))
        self.store.upsert_documents({file.doc_id: file.record for file in batch})
        return outcomes

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
                "effective_date": meta.get("effective_date"),
                "doc_type": meta.get("doc_type") or "service_items",
            }
            chunks = chunk_records(loaded.records, size, overlap)
            areas = [str(c.metadata.get("area") or "") for c in chunks[:1]]
            document["region"] = _region(meta, document, *areas)
        else:
            parsed = parse_document(clean_text(loaded.text), meta)
            document = {
                "title": parsed.title,
                "issuer": parsed.issuer,
                "date": parsed.date,
                "doc_number": parsed.doc_number,
                "status": parsed.status or _status_by_date(parsed.effective_date),
                "effective_date": parsed.effective_date,
                "amendments": parsed.amendments,
                "doc_type": meta.get("doc_type") or parsed.kind,
            }
            document["region"] = _region(meta, document)
            chunks = chunk_document(parsed, size, overlap)
        document["access"] = meta.get("access") or "public"
        return document, chunks

    def _points(self, part: Sequence[tuple[_Prepared, Chunk]]) -> list[StoredPoint]:
        """Store points of chunks of one or more files, embedded in one call."""
        dense = self.embedder.embed_passages([chunk.indexed_text for _, chunk in part])
        heads = [(file, chunk) for file, chunk in part if chunk.about_text]
        # Read as queries: an about text is matched against questions as an equal, not as a passage.
        about_vectors = self.embedder.embed_queries([chunk.about_text for _, chunk in heads])
        about = {(f.doc_id, c.index): v for (f, c), v in zip(heads, about_vectors, strict=True)}
        return [
            StoredPoint(
                id=chunk_point_id(file.doc_id, chunk.index),
                payload=self._payload(file.doc_id, file.source, file.document, chunk),
                dense=vector,
                sparse=self.sparse.encode_passage(chunk.indexed_text),
                about=about.get((file.doc_id, chunk.index)),
            )
            for (file, chunk), vector in zip(part, dense, strict=True)
        ]

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
            "region": document.get("region"),
            "effective_date": document.get("effective_date"),
            "doc_type": document.get("doc_type"),
            "access": document.get("access", "public"),
            "committed": False,
        }
