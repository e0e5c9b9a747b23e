"""The shapes a document takes on its way from a file to chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Section:
    """A run of body text under one heading path, e.g. ("二、重点任务", "（一）夯实…", "1.加快…")."""

    heading_path: tuple[str, ...]
    text: str


@dataclass
class Record:
    """One structured record (a service item): a readable passage plus the fields it came from."""

    title: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    # Indexed with the text but never shown: plain words for finding the record (see item_profile).
    search_note: str = ""


@dataclass
class LoadedDocument:
    """What a loader returns: either free text (to be cleaned and parsed) or structured records."""

    source: str
    text: str = ""
    records: list[Record] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedDocument:
    """A cleaned document with its official-document elements and its heading structure."""

    title: str
    sections: list[Section]
    issuer: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    doc_number: str | None = None  # 发文字号, e.g. 吉科发〔2026〕12号
    status: str | None = None  # e.g. 征求意见稿, 现行有效, 已废止
    kind: str | None = None  # "statute" for laws and regulations (one passage per article)
    amendments: list[str] = field(default_factory=list)  # a statute's 修正/修订 history lines
    effective_date: str | None = None  # ISO 施行日期


@dataclass
class Chunk:
    """A piece of a document sized for the embedding model, with where it stands in the document."""

    text: str
    heading_path: tuple[str, ...]
    index: int
    metadata: dict[str, Any] = field(default_factory=dict)
    search_text: str = ""  # what the indexes see when it differs from ``text`` (text + a record's search note)
    about_text: str = ""  # a record head's name line and search note: what the record is for (ABOUT vector)

    @property
    def indexed_text(self) -> str:
        return self.search_text or self.text

    @property
    def section(self) -> str:
        return "".join(self.heading_path)
