"""Questions that ask for a field of a service item, answered from the item's record without the model.

"法律援助需要什么材料？" asks for what the catalogue record already lists; the model would only copy
it, slower and less exactly. When the best search result is a service item and the question asks
for its materials, place, time limit, phone, fee or conditions, the answer is the record's own
values, cited to it. A question asking for a field the record does not hold goes to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.records import ITEM_NAME_LABEL
from assistant.retrieval.search import SearchResult


@dataclass(frozen=True)
class AskedField:
    name: str  # what the answer calls it
    cues: re.Pattern[str]  # question wording that asks for it
    keys: tuple[str, ...]  # the record's payload fields holding it, preferred first
    labels: tuple[str, ...]  # else its passage lines "label：value"


FIELDS = (
    AskedField(
        "申请材料",
        re.compile(r"材料|带什么|提交什么|准备什么|带哪些|交哪些|要交什么|证件"),
        ("materials",),
        ("申请材料",),
    ),
    AskedField("办理地点", re.compile(r"在哪|哪里|地点|地址|去哪|哪个办公室|窗口在"), ("location",), ("办理地点",)),
    AskedField(
        "办结时限",
        re.compile(r"多久|时限|几天|多少天|多长时间|几个工作日|期限|多少个工作日"),
        ("promised_time_limit", "legal_time_limit"),
        ("承诺办结时限", "法定办结时限"),
    ),
    AskedField("咨询电话", re.compile(r"电话|联系方式|热线|号码"), ("phone",), ("咨询电话",)),
    AskedField("收费", re.compile(r"费用|收费|多少钱|交钱|要钱|免费"), ("fee",), ("收费标准", "收费")),
    AskedField(
        "受理条件", re.compile(r"条件|资格|哪些人可以|谁可以|什么情况下"), ("conditions",), ("受理条件", "设定依据")
    ),
)
_TIME_NAMES = {"promised_time_limit": "承诺办结时限", "legal_time_limit": "法定办结时限"}


def asked_fields(question: str) -> list[AskedField]:
    return [f for f in FIELDS if f.cues.search(question)]


def is_service_item(result: SearchResult) -> bool:
    return result.text.startswith(f"{ITEM_NAME_LABEL}：")


def field_answer(question: str, item: SearchResult) -> str | None:
    """The answer from ``item``'s record (cited as [1]), or None when the question asks for no field it holds."""
    wanted = asked_fields(question)
    if not wanted or not is_service_item(item):
        return None
    parts = []
    for asked in wanted:
        value = _value(asked, item)
        if value is None:
            return None
        parts.append(value)
    return "\n".join(parts)


def _value(asked: AskedField, item: SearchResult) -> str | None:
    name = item.title
    if asked.keys == ("materials",) and isinstance(item.fields.get("materials"), list):
        lines = "\n".join(f"{i}. {m}" for i, m in enumerate(item.fields["materials"], start=1))
        return f"办理“{name}”需要提交以下申请材料[1]：\n{lines}"
    found = [(key, item.fields[key]) for key in asked.keys if item.fields.get(key)]
    if found:
        said = "；".join(f"{_TIME_NAMES.get(key, asked.name)}为{value}" for key, value in found)
        return f"“{name}”的{said}[1]。"
    lines = dict(_labelled_lines(item.context or item.text))
    for label in asked.labels:
        if lines.get(label):
            return f"“{name}”的{label}：{lines[label]}[1]"
    return None


def _labelled_lines(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        label, colon, value = line.partition("：")
        if colon and 0 < len(label) <= 8:
            pairs.append((label.strip(), value.strip()))
    return pairs
