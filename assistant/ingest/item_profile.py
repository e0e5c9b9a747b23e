"""What a service item is for, in plain words: text the search indexes see beside the item's passage.

A citizen asks "驾照想多加一个能开的车型" for 机动车驾驶证增加准驾车型; neither the dense nor the
keyword side links the two well from the record alone. Each catalogue item therefore gets a short
search note, derived deterministically and cheaply at ingest:

- the plain words of every line of the maintained alias list (``data/item_aliases.txt``) whose
  pattern matches the item name: everyday names, abbreviations and typical situations;
- the other names the catalogue itself gives the item (``matter_daily``, ``matter_short``, the task
  and catalogue names when they differ);
- who it serves (individuals, or companies and organisations) and its themes.

The note is indexed (embedded and keyword-encoded with the passage) but never shown or cited: the
passage a citizen reads stays the record's own verbatim text, so nothing in an answer is invented.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

_NONE_VALUES = {"", "无", "null", "none", "暂无", "/"}
# Catalogue fields that hold other names of the item, most colloquial first.
_OTHER_NAME_KEYS = ("matter_daily", "matter_short", "TASK_NAME", "parentCatalogName", "CATANAME")
_WORD_SPLIT = re.compile(r"[、，,;；\s]+")
_PERSON = "自然人"
_GENERIC_THEMES = {"其他"}
_PROGRESS = "进度"


class BadAliasList(AssistantError):
    """The alias list has a line that is not ``pattern<TAB>words`` with a valid regular expression."""


@dataclass(frozen=True)
class AliasRule:
    pattern: re.Pattern[str]
    words: tuple[str, ...]


@dataclass(frozen=True)
class AliasList:
    """Lines of ``pattern<TAB>word、word…``; an item gets the words of every line matching its name."""

    rules: tuple[AliasRule, ...]

    @property
    def digest(self) -> str:
        """Identifies the list's content: a document id folds it in, so an edited list re-ingests records."""
        text = "\n".join(f"{r.pattern.pattern}\t{'、'.join(r.words)}" for r in self.rules)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @classmethod
    def parse(cls, text: str, source: str = "alias list") -> AliasList:
        rules = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.rstrip()
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            pattern, tab, words = line.partition("\t")
            parsed = tuple(w for w in _WORD_SPLIT.split(words) if w)
            if not tab or not pattern.strip() or not parsed:
                raise BadAliasList(f"{source}:{number}: expected 'pattern<TAB>word、word…', got {line!r}")
            try:
                rules.append(AliasRule(re.compile(pattern.strip()), parsed))
            except re.error as exc:
                raise BadAliasList(f"{source}:{number}: bad pattern {pattern!r} ({exc})") from exc
        return cls(tuple(rules))

    @classmethod
    def load(cls, path: Path | None = None) -> AliasList:
        """The maintained list shipped with the package, or a file in the same format."""
        if path is not None:
            return cls.parse(path.read_text(encoding="utf-8"), str(path))
        bundled = resources.files("assistant.ingest").joinpath("data/item_aliases.txt")
        return cls.parse(bundled.read_text(encoding="utf-8"), "item_aliases.txt")

    def words_for(self, name: str) -> list[str]:
        return _unique(w for rule in self.rules if rule.pattern.search(name) for w in rule.words)


@lru_cache(maxsize=1)
def default_aliases() -> AliasList:
    return AliasList.load()


def search_note(row: Mapping[str, Any], aliases: AliasList | None = None) -> str:
    """The plain-words note of a catalogue row ("" when there is nothing to add)."""
    name = _text(row.get("matter_name")) or ""
    lines = []
    plain = (aliases or default_aliases()).words_for(_action_part(name))
    if plain:
        lines.append("通俗说法：" + "、".join(plain))
    others = [n for n in _other_names(row) if n != name]
    if others:
        lines.append("又称：" + "、".join(others))
    audience = _audience(row.get("service_object_name"))
    if audience:
        lines.append("办理人：" + audience)
    themes = [t for t in _list(row.get("theme_category")) if t not in _GENERIC_THEMES]
    if themes:
        lines.append("主题：" + "、".join(themes))
    return "\n".join(lines)


def _action_part(name: str) -> str:
    """The part of a name the plain words are looked up for.

    An item that only tracks another's progress ("办理往来港澳通行证个人游签注进度查询") takes the
    words of tracking alone: the plain words of its object ("去香港自由行") belong to the item that
    does the thing, and would otherwise pull the progress query above it.
    """
    at = name.find(_PROGRESS)
    return name[at:] if at > 0 else name


def _other_names(row: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for key in _OTHER_NAME_KEYS:
        value = _text(row.get(key))
        if value:
            names.extend(w for w in _WORD_SPLIT.split(value) if len(w) > 1)
    return _unique(names)


def _audience(value: Any) -> str:
    objects = _list(value)
    if not objects:
        return ""
    if objects == [_PERSON]:
        return "个人"
    return "个人、企业和单位" if _PERSON in objects else "企业和单位"


def _list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [t for t in (_text(v) for v in items) if t]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip().strip('“”"')
    return None if text.lower() in _NONE_VALUES else text


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
