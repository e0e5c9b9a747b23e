"""One materials checklist for several items: the same document asked by several items is listed once.

Two lines are the same document when they read the same once numbering, spaces, width and closing
punctuation are set aside ("1. 居民身份证；" and "居民身份证"). Nothing looser is folded: "身份证" and
"代办人身份证" stay apart, because a checklist that merged them would drop a document an item needs.
Every line keeps the citation numbers of all items that ask for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

_NUMBERING = re.compile(r"^\s*(?:[（(]?[0-9０-９]{1,3}[)）.、．]|[一二三四五六七八九十]+[、.．])\s*")
_EDGE_PUNCTUATION = "。；;，,、.：: \u3000"
_SPACE = re.compile(r"\s+")


@dataclass
class MaterialLine:
    text: str
    items: list[int] = field(default_factory=list)  # citation numbers of the items that need it

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "items": list(self.items)}


def clean_material(text: str) -> str:
    """The material as shown: the catalogue's wording, without numbering and surrounding punctuation."""
    return _NUMBERING.sub("", text.strip()).strip(_EDGE_PUNCTUATION)


def material_key(text: str) -> str:
    """What two lines must share to be one document: the cleaned text, width normalised, without spaces."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", clean_material(text)))


def merge_materials(per_item: Iterable[tuple[int, list[str]]]) -> list[MaterialLine]:
    """``(citation number, materials)`` per item, in guide order → the merged checklist, first-seen order."""
    lines: dict[str, MaterialLine] = {}
    for n, materials in per_item:
        for material in materials:
            key = material_key(material)
            if not key:
                continue
            line = lines.setdefault(key, MaterialLine(clean_material(material)))
            if n not in line.items:
                line.items.append(n)
    return list(lines.values())
