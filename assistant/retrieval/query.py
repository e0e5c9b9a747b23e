"""Query handling for Chinese government language, before a query reaches the store.

Normalisation makes full-width letters, digits and spaces half-width (Chinese punctuation stays) and
collapses whitespace, so "ＣＰＡ　考试" and "CPA 考试" search alike; passages get the same at ingest.
Synonym expansion adds the other members of a domain group (医保 → 医疗保险 ...) to the keyword
side only: dense embeddings already place such paraphrases close together, while BM25 cannot
match a word that is not literally in the passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from assistant.text.characters import normalise_characters

_SPACES = re.compile(r"\s+")


def normalise_query(text: str) -> str:
    """Characters normalised as passages are at ingest, whitespace collapsed, ends trimmed."""
    return _SPACES.sub(" ", normalise_characters(text)).strip()


@dataclass(frozen=True)
class SynonymTable:
    """Groups of equivalent terms; lookups are case-insensitive."""

    groups: tuple[tuple[str, ...], ...]

    @classmethod
    def load(cls, path: Path | None = None) -> SynonymTable:
        """The maintained list shipped with the package, or a file in the same format."""
        text = (
            path.read_text(encoding="utf-8")
            if path
            else resources.files("assistant.retrieval").joinpath("data/synonyms.txt").read_text(encoding="utf-8")
        )
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                terms = tuple(dict.fromkeys(normalise_query(t) for t in line.split()))
                if len(terms) > 1:
                    groups.append(terms)
        return cls(tuple(groups))

    @property
    def terms(self) -> list[str]:
        """Every term of every group (for the tokenizer's dictionary, so none is split)."""
        return [t for group in self.groups for t in group]

    def expansions(self, query: str) -> list[str]:
        """Terms of every group with a member in the query, except the ones the query already contains."""
        lowered = query.lower()
        found: dict[str, None] = {}
        for group in self.groups:
            if any(_contains(lowered, term.lower()) for term in group):
                for term in group:
                    if term.lower() not in lowered:
                        found[term] = None
        return list(found)

    def alternatives(self, term: str) -> list[str]:
        """Other members of the groups ``term`` belongs to (for term matching in retrieved text)."""
        key = term.lower()
        return [t for group in self.groups if key in (m.lower() for m in group) for t in group if t.lower() != key]


def _contains(text: str, term: str) -> bool:
    """Substring match, but a Latin term must stand alone ("AI" is not inside "EMAIL")."""
    if term.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text) is not None
    return term in text


@lru_cache(maxsize=1)
def default_synonyms() -> SynonymTable:
    return SynonymTable.load()
