"""Sections and records cut into chunks sized for the embedding model.

Every chunk of a document starts with one line naming where it stands: the document title and its
heading path joined by " > ", e.g. "吉林省…实施意见 > 二、重点任务 > （一）… > 1.加快…". The embedding
and the sparse index both see that line, so a chunk about 算力联盟 is found by a question about the
document or the heading too, and an answer can cite the heading. ``Chunk.heading_path`` holds the path
without the title (the title travels in the document's payload).

- A section that fits is one chunk. A longer one is split with a RecursiveCharacterTextSplitter on
  Chinese boundaries (paragraph, line, 。；！？，、), with a small overlap inside the section only; every
  piece repeats the heading line.
- Tiny adjacent sections under the same parent (siblings, or a parent's lead paragraph and its first
  children) are merged while the result fits, with each sub-heading kept on its own line; the merged
  chunk's path is their common parent. Sections of different top-level headings never share a chunk.
- ``size`` bounds every chunk's length in characters, heading line included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.ingest.document import Chunk, ParsedDocument, Record, Section
from assistant.ingest.errors import IngestError
from assistant.text import statute

PATH_SEPARATOR = " > "
SEPARATORS = ["\n\n", "\n", "。", "；", "！", "？", "，", "、", " ", ""]
# A section shorter than this share of the chunk size may be merged with its neighbours.
_TINY_SHARE = 1 / 3
# An article stays whole up to this many chunk sizes (citizens ask about articles, not their halves).
STATUTE_SIZE_FACTOR = 3
# The heading line may take at most this share of a chunk; longer paths lose their top levels first.
_MAX_HEADING_SHARE = 1 / 2


class ChunkingError(IngestError):
    """Chunk size and overlap that cannot work together."""


def chunk_document(parsed: ParsedDocument, size: int, overlap: int) -> list[Chunk]:
    """Chunks of a parsed document, indexed 0..n-1 in reading order."""
    _check(size, overlap)
    if parsed.kind == "statute":
        return chunk_statute(parsed, size, overlap)
    chunks: list[Chunk] = []
    for group in _merge_tiny(parsed.sections, parsed.title, size):
        head = heading_line(parsed.title, group.path, size)
        body = group.body()
        pieces = [body] if len(_join(head, body)) <= size else _split(body, size - len(head) - 1, overlap)
        for piece in pieces:
            chunks.append(Chunk(text=_join(head, piece), heading_path=group.path, index=len(chunks)))
    return chunks


def chunk_statute(parsed: ParsedDocument, size: int, overlap: int) -> list[Chunk]:
    """One chunk per article (条) with its 款 and 项, opened by its citation name and chapter path:
    "《中华人民共和国行政许可法》第三十二条 > 第四章行政许可的实施程序 > 第一节申请与受理".

    Articles are never merged; one longer than ``STATUTE_SIZE_FACTOR`` × ``size`` is split, every
    piece under the same opening line and citation. Text outside articles (a preamble) is one chunk per
    section as in any document.
    """
    chunks: list[Chunk] = []
    for section in parsed.sections:
        article = next((h for h in reversed(section.heading_path) if statute.article_number(h)), None)
        if article is None:
            if not section.text:
                continue
            head = heading_line(parsed.title, section.heading_path, size)
            pieces = (
                [section.text]
                if len(_join(head, section.text)) <= size
                else _split(section.text, size - len(head) - 1, overlap)
            )
            for piece in pieces:
                chunks.append(Chunk(text=_join(head, piece), heading_path=section.heading_path, index=len(chunks)))
            continue
        number = statute.article_number(article) or 0
        label = statute.article_label(number)  # "第12条" in the text is cited and looked up as 第十二条
        citation = statute.citation_name(parsed.title, label)
        chapters = section.heading_path[: section.heading_path.index(article)]
        head = _shorten(PATH_SEPARATOR.join((citation, *chapters)), int(size * _MAX_HEADING_SHARE))
        body = f"{article} {section.text}".strip()
        limit = size * STATUTE_SIZE_FACTOR
        pieces = [body] if len(_join(head, body)) <= limit else _split(body, limit - len(head) - 1, overlap)
        metadata = {"article": label, "article_no": number, "citation": citation}
        for piece in pieces:
            chunks.append(Chunk(_join(head, piece), section.heading_path, len(chunks), dict(metadata)))
    return chunks


def chunk_records(records: Sequence[Record], size: int, overlap: int) -> list[Chunk]:
    """One chunk per record; a record longer than ``size`` is split and every piece keeps its first
    line (the 事项名称 line of a service item, the title of a generic record) at the top. The first
    piece is indexed with the record's search note (outside ``size``: the note is never shown); the
    others are indexed as they read, so that the piece holding, say, the materials still outranks its
    siblings for a question about them. The first piece also carries its ``about_text``: the first
    line and the note alone, what the record is for."""
    _check(size, overlap)
    chunks: list[Chunk] = []
    for record in records:
        metadata = {"title": record.title, **record.fields}
        first, _, rest = record.text.partition("\n")
        if len(record.text) <= size:
            pieces = [record.text]
        elif not rest:
            pieces = _split(first, size, overlap)
        else:
            top = _shorten(first, int(size * _MAX_HEADING_SHARE))
            pieces = [_join(top, piece) for piece in _split(rest, size - len(top) - 1, overlap)]
        for number, piece in enumerate(pieces):
            noted = number == 0 and bool(record.search_note)
            chunks.append(
                Chunk(
                    text=piece,
                    heading_path=(record.title,),
                    index=len(chunks),
                    # The note travels as metadata too: relevance checks can see what made the piece match.
                    metadata={**metadata, "search_note": record.search_note} if noted else dict(metadata),
                    search_text=with_note(piece, record.search_note) if noted else "",
                    about_text=about_text(record.text, record.search_note) if number == 0 else "",
                )
            )
    return chunks


def with_note(piece: str, note: str) -> str:
    """A record piece as the indexes see it: its first line, then the record's search note, then the rest.

    "" without a note (the piece is indexed as it is). The note goes under the name line so that the
    name and its plain words open the text the embedding model reads.
    """
    if not note:
        return ""
    first, _, rest = piece.partition("\n")
    return "\n".join(part for part in (first, note, rest) if part)


def about_text(text: str, note: str) -> str:
    """What a record is for, as its ABOUT vector reads it: the first line of its text (the name), then the note."""
    first = text.partition("\n")[0]
    return "\n".join(part for part in (first, note) if part)


def heading_line(title: str, path: tuple[str, ...], size: int) -> str:
    """The line that opens a chunk: title and heading path, cut from the top to fit its share of ``size``."""
    parts = [p for p in (title, *path) if p]
    limit = int(size * _MAX_HEADING_SHARE)
    while len(parts) > 1 and len(PATH_SEPARATOR.join(parts)) > limit:
        parts.pop(0)
    return _shorten(PATH_SEPARATOR.join(parts), limit)


@dataclass
class _Group:
    """Consecutive sections that become one chunk (or, for a single long section, several)."""

    sections: list[Section]
    path: tuple[str, ...]

    def body(self) -> str:
        """Member texts, each under the sub-heading that is not already in the group's path."""
        parts: list[str] = []
        for section in self.sections:
            parts.extend(section.heading_path[len(self.path) :])
            if section.text:
                parts.append(section.text)
        return "\n".join(parts)

    def render(self, head: str) -> str:
        return _join(head, self.body())

    def is_tiny(self, limit: float) -> bool:
        """Whether every member is small enough to share a chunk with its neighbours."""
        return all(len(s.text) + len(s.heading_path[-1] if s.heading_path else "") < limit for s in self.sections)


def _merge_tiny(sections: Sequence[Section], title: str, size: int) -> list[_Group]:
    tiny = size * _TINY_SHARE
    groups: list[_Group] = []
    for section in sections:
        alone = _Group([section], section.heading_path)
        previous = groups[-1] if groups else None
        if previous is not None and alone.is_tiny(tiny) and previous.is_tiny(tiny):
            merged = _merged(previous, section)
            if merged is not None and len(merged.render(heading_line(title, merged.path, size))) <= size:
                groups[-1] = merged
                continue
        groups.append(alone)
    return groups


def _merged(group: _Group, section: Section) -> _Group | None:
    """The group with ``section`` added, when all members stay within one level of a shared, non-root parent."""
    members = [*group.sections, section]
    common = _common_prefix(group.path, section.heading_path)
    if not common or any(len(m.heading_path) > len(common) + 1 for m in members):
        return None
    return _Group(members, common)


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _split(text: str, budget: int, overlap: int) -> list[str]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=budget,
        chunk_overlap=min(overlap, budget // 2),
        separators=SEPARATORS,
        keep_separator="end",
    )
    return splitter.split_text(text)


def _join(head: str, body: str) -> str:
    return "\n".join(part for part in (head, body) if part)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check(size: int, overlap: int) -> None:
    if size < 20:
        raise ChunkingError(f"chunk size must be at least 20 characters, got {size}")
    if not 0 <= overlap < size // 2:
        raise ChunkingError(f"chunk overlap must be between 0 and half the chunk size ({size}), got {overlap}")
