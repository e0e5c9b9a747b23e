"""Life events ("一件事") and the catalogue items that make them up, from a maintained table.

The table (``data/life_events.json``) lists, per event, the words that signal it in a question and
its steps in the order people usually do them. A step names catalogue items by regular expressions
over the item name, so the same table works on any ingested copy of the catalogue; a step that no
ingested item matches is reported as missing rather than filled in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError


class BadEventTable(AssistantError):
    """The life-event table is not in the expected shape (the message names the event and field)."""


@dataclass(frozen=True)
class Step:
    title: str
    patterns: tuple[re.Pattern[str], ...]
    when: tuple[str, ...] = ()  # shown only for questions mentioning one of these (see ``applies``)
    group: str | None = None  # alternatives: if the question mentions no 'when' word of the group, all show

    def matches(self, item_name: str) -> bool:
        return any(p.search(item_name) for p in self.patterns)


@dataclass(frozen=True)
class LifeEvent:
    key: str
    label: str
    triggers: tuple[re.Pattern[str], ...]  # words or patterns that signal the event in a question
    steps: tuple[Step, ...]
    ask: str  # where to ask about this event when the catalogue falls short

    def trigger_score(self, question: str) -> int:
        """Characters of the question covered by this event's triggers (0: not this event)."""
        return sum(len(m.group()) for t in self.triggers if (m := t.search(question)))

    def steps_for(self, question: str) -> list[Step]:
        """The steps a question needs: unconditional ones, conditional ones it mentions, and every step of
        a group of alternatives when it mentions none of them (e.g. all 签注 kinds when no purpose is given)."""
        mentioned = {id(s) for s in self.steps if any(w in question for w in s.when)}
        groups_mentioned = {s.group for s in self.steps if s.group and id(s) in mentioned}
        return [
            s
            for s in self.steps
            if not s.when or id(s) in mentioned or (s.group is not None and s.group not in groups_mentioned)
        ]


@dataclass(frozen=True)
class EventTable:
    events: tuple[LifeEvent, ...]
    default_ask: str

    @classmethod
    def load(cls, path: Path | None = None) -> EventTable:
        """The maintained table shipped with the package, or a file in the same format."""
        if path is not None:
            text, source = path.read_text(encoding="utf-8"), str(path)
        else:
            text = resources.files("assistant.guides").joinpath("data/life_events.json").read_text(encoding="utf-8")
            source = "life_events.json"
        try:
            data = json.loads(text)
            return cls(tuple(_event(e) for e in data["events"]), str(data["default_ask"]))
        except (json.JSONDecodeError, KeyError, TypeError, re.error) as exc:
            raise BadEventTable(f"{source}: {exc}") from exc

    def match(self, question: str) -> LifeEvent | None:
        """The event whose trigger words cover most of the question (the first listed on a tie)."""
        best, best_score = None, 0
        for event in self.events:
            score = event.trigger_score(question)
            if score > best_score:
                best, best_score = event, score
        return best


def _event(data: dict[str, Any]) -> LifeEvent:
    steps = tuple(
        Step(
            title=s["title"],
            patterns=tuple(re.compile(p) for p in s["items"]),
            when=tuple(s.get("when", ())),
            group=s.get("group"),
        )
        for s in data["steps"]
    )
    if not steps or not data["triggers"]:
        raise KeyError(f"event {data.get('key')!r} needs 'triggers' and 'steps'")
    triggers = tuple(re.compile(t) for t in data["triggers"])
    return LifeEvent(data["key"], data["label"], triggers, steps, data["ask"])


@lru_cache(maxsize=1)
def default_events() -> EventTable:
    return EventTable.load()
