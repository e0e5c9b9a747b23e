"""Guides for a life event or goal ("一件事"): the catalogue items to do, in order, with one materials list.

``GuideService.guide(question)`` is the one core function behind ``POST /v1/guide``, ``assistant guide``
and the chat's guide card. It never asks a language model: every line of a guide is a catalogue
record's own field, cited by number, or a step title from the maintained event table marked missing
when no ingested item matches it.

1. A question that names a known life event (``events.py``) gets that event's steps; each step lists
   the catalogue items its patterns match (one per name: the first ingested; records of the same
   name elsewhere are listed as ``also_at``).
2. Any other question is searched. When the search finds evidence, the found service items whose name
   or indexed plain words contain the most of the question's whole topic words, and at least half of
   them, become the steps, best first (at most ``MAX_SEARCHED_ITEMS``).
3. Nothing found: an honest "not found" that says where to ask.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer.types import AI_LABEL
from assistant.errors import AssistantError
from assistant.guides.catalogue import Catalogue, CatalogueItem
from assistant.guides.events import EventTable, LifeEvent, Step, default_events
from assistant.guides.materials import MaterialLine, merge_materials
from assistant.retrieval.citation import Citation
from assistant.retrieval.search import Searcher
from assistant.retrieval.store import SearchFilter

MAX_QUESTION_CHARS = 500
SEARCH_DEPTH = 10  # results looked at for a question that names no known event
MAX_SEARCHED_ITEMS = 5
# Words of a question that say nothing about its topic; the rest must meet an item for it to count.
_NON_TOPIC = frozenset(
    {
        *("办理", "办", "申请", "需要", "手续", "要办", "哪些", "什么", "怎么", "怎么办", "怎样", "如何", "一下"),
        *("可以", "材料", "流程", "事情", "事项", "服务", "政府", "部门", "广东", "广东省", "我想", "想要", "要求"),
        *("条件", "准备", "东西", "哪里", "在哪", "去哪", "了解", "问问", "相关", "关于", "现在", "我们"),
        *("他们", "家里", "一个", "一张", "一只", "一份", "知道", "不知道", "收到", "请问", "时候", "是不是"),
        *("能不能", "有没有", "还能", "还要", "之前", "以后", "已经", "自己"),
    }
)
_PUNCTUATION = re.compile(r"[\s，。？！、；：,.?!;:]+")


class BadGuideQuestion(AssistantError):
    """The question is empty or too long to make a guide from."""


@dataclass
class GuideItem:
    """A catalogue item in a guide, with the fields a person needs to go and do it."""

    n: int  # its citation number
    name: str
    item_id: str | None
    dept: str | None
    area: str | None
    location: str | None
    legal_time_limit: str | None
    promised_time_limit: str | None
    phone: str | None
    complaint_phone: str | None
    materials: list[str]
    online_booking: str | None
    courier: str | None
    url: str | None
    also_at: list[str] = field(default_factory=list)  # other departments or places with a record of this name

    @classmethod
    def of(cls, n: int, item: CatalogueItem, others: list[CatalogueItem]) -> GuideItem:
        f = item.fields
        return cls(
            n=n,
            name=item.name,
            item_id=f.get("item_id"),
            dept=f.get("dept"),
            area=f.get("area"),
            location=f.get("location"),
            legal_time_limit=f.get("legal_time_limit"),
            promised_time_limit=f.get("promised_time_limit"),
            phone=f.get("phone"),
            complaint_phone=f.get("complaint_phone"),
            materials=item.materials,
            online_booking=f.get("online_booking"),
            courier=f.get("courier"),
            url=f.get("url"),
            also_at=_other_places(item, others),
        )


@dataclass
class GuideStep:
    n: int
    title: str
    items: list[int]  # citation numbers; empty when the catalogue lacks the step
    missing: bool = False
    note: str | None = None


@dataclass
class Guide:
    question: str
    found: bool
    title: str
    event: str | None  # key of the life event, None for a searched guide
    steps: list[GuideStep]
    items: list[GuideItem]
    materials: list[MaterialLine]
    citations: list[Citation]
    missing: list[str]  # titles of steps the catalogue has no item for
    where_to_ask: str
    label: str = AI_LABEL

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["materials"] = [m.as_dict() for m in self.materials]
        return data

    def as_text(self) -> str:
        """The guide as plain lines, each item line and material line ending with its citation numbers."""
        if not self.found:
            return f"{self.title}\n可以咨询：{self.where_to_ask}\n\n{self.label}"
        by_n = {i.n: i for i in self.items}
        lines = [self.title, ""]
        for step in self.steps:
            if step.missing:
                lines.append(f"{step.n}. {step.title}：{step.note}")
                continue
            lines.append(f"{step.n}. {step.title}")
            for n in step.items:
                lines.append(f"   - {_item_line(by_n[n])} [{n}]")
        if self.materials:
            lines += ["", "材料清单（同一份材料只列一次）："]
            lines += [f"- {m.text} " + "".join(f"[{n}]" for n in m.items) for m in self.materials]
        lines += ["", "来源："] + [f"[{c.n}] {c.title}（{by_n[c.n].dept or ''}）" for c in self.citations]
        return "\n".join([*lines, "", self.label])


class GuideService:
    def __init__(self, searcher: Searcher, catalogue: Catalogue, events: EventTable | None = None) -> None:
        self.searcher = searcher
        self.catalogue = catalogue
        self.events = events or default_events()

    def guide(self, question: str, access: list[str] | None = None) -> Guide:
        """The guide for ``question`` over the items the caller may read (``access`` levels; None = public)."""
        question = checked_question(question)
        access = ["public"] if access is None else access
        items = self.catalogue.items(access)
        event = self.events.match(question)
        if event is not None:
            guide = self._event_guide(question, event, items)
            if guide.found:
                return guide
        return self._searched_guide(question, items, access, event)

    def _event_guide(self, question: str, event: LifeEvent, items: list[CatalogueItem]) -> Guide:
        planned: list[tuple[Step, list[list[CatalogueItem]]]] = [
            (step, _by_name([i for i in items if step.matches(i.name)])) for step in event.steps_for(question)
        ]
        title = f"一件事：{event.label}"
        return _assemble(question, title, event.key, event.ask, [(s.title, groups) for s, groups in planned])

    def _searched_guide(
        self, question: str, items: list[CatalogueItem], access: list[str], event: LifeEvent | None
    ) -> Guide:
        ask = event.ask if event else self.events.default_ask
        response = self.searcher.search(question, top_k=SEARCH_DEPTH, flt=SearchFilter(access=access))
        topics = self._topic_words(question)
        by_name = {g[0].name: g for g in _by_name(items)}
        names = [n for n in dict.fromkeys(r.title for r in response.results) if n in by_name]
        met = {n: _topics_met(by_name[n][0], topics) for n in names}
        best = max(met.values(), default=0)
        # Evidence for the question, and items meeting most of it, at least half: one shared word is not a match.
        enough = response.evidence and best > 0 and 2 * best >= len(topics)
        groups = [by_name[n] for n in names if enough and met[n] == best]
        steps = [(g[0].name, [g]) for g in groups[:MAX_SEARCHED_ITEMS]]
        return _assemble(question, f"与“{question}”有关的办事事项", None, ask, steps)

    def _topic_words(self, question: str) -> list[str]:
        """The question's content words, whole: a piece of a longer word ("房产" of "房产证") is dropped, so
        an item must meet what was asked, not a fragment of it."""
        words = self.searcher.sparse.tokens(_PUNCTUATION.sub(" ", question))
        content = [w for w in dict.fromkeys(words) if len(w) >= 2 and w not in _NON_TOPIC]
        return [w for w in content if not any(w != other and w in other for other in content)]


def checked_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise BadGuideQuestion("the question is empty: describe what you want to get done, e.g. 我在工作中受伤了")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadGuideQuestion(
            f"the question is {len(question)} characters long; a guide takes at most {MAX_QUESTION_CHARS}"
        )
    return question.strip()


def _topics_met(item: CatalogueItem, topics: list[str]) -> int:
    """How many of the question's topic words an item's name or indexed plain words contain."""
    text = item.name + str(item.fields.get("search_note") or "")
    return sum(1 for t in topics if t in text)


def _by_name(items: list[CatalogueItem]) -> list[list[CatalogueItem]]:
    """Items grouped by name, first-seen order: one guide entry per name, the rest listed as ``also_at``."""
    groups: dict[str, list[CatalogueItem]] = {}
    for item in items:
        groups.setdefault(item.name, []).append(item)
    return list(groups.values())


def _assemble(
    question: str, title: str, event: str | None, ask: str, planned: list[tuple[str, list[list[CatalogueItem]]]]
) -> Guide:
    """Number the items in step order, cite each, merge their materials; steps without items are missing."""
    steps: list[GuideStep] = []
    guide_items: list[GuideItem] = []
    citations: list[Citation] = []
    numbers: dict[str, int] = {}
    for step_title, groups in planned:
        refs = []
        for first, *others in groups:
            if first.name not in numbers:
                n = len(guide_items) + 1
                numbers[first.name] = n
                guide_items.append(GuideItem.of(n, first, others))
                citations.append(Citation.from_result(n, first.result))
            refs.append(numbers[first.name])
        if refs:
            steps.append(GuideStep(len(steps) + 1, step_title, refs))
        else:
            note = f"政务服务事项目录中没有这一事项，请咨询{ask}"
            steps.append(GuideStep(len(steps) + 1, step_title, [], missing=True, note=note))
    if not guide_items:
        not_found = f"政务服务事项目录中没有找到与“{question}”对应的事项。"
        return Guide(question, False, not_found, event, [], [], [], [], [], ask)
    materials = merge_materials((i.n, i.materials) for i in guide_items)
    missing = [s.title for s in steps if s.missing]
    return Guide(question, True, title, event, steps, guide_items, materials, citations, missing, ask)


def _other_places(item: CatalogueItem, others: list[CatalogueItem]) -> list[str]:
    """ "department：place" of same-name records that are not where ``item`` is done."""

    def place(i: CatalogueItem) -> str:
        return "：".join(str(v) for v in (i.fields.get("dept"), i.fields.get("location")) if v)

    own = place(item)
    return [p for p in dict.fromkeys(place(o) for o in others) if p and p != own]


def _item_line(item: GuideItem) -> str:
    parts = [item.name, item.dept or ""]
    for label, value in (
        ("地点", item.location),
        ("法定时限", item.legal_time_limit),
        ("承诺时限", item.promised_time_limit),
        ("电话", item.phone),
    ):
        if value:
            parts.append(f"{label}：{value}")
    return "；".join(p for p in parts if p)
