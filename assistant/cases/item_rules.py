"""What a catalogue record says about handling its item: the rules every case of it follows.

Like a case type, these live apart from each case's facts: the materials checklist (one slot per
listed material), the 法定 and 承诺 time limits in working days, the item's kind and its 受理条件.
The Guangdong catalogue gives materials by name only ("营业执照（复印件）", "居民身份证"), so the
original/copy requirement and the count are read from the name where it says so; a slot is required
unless its name marks it optional (如有, 如涉及, 可选, 非必要 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Form = Literal["original", "copy", "either"]

# 行政许可法 §42: a decision within 20 working days of acceptance, when the item itself gives no limit.
LICENSING_DEFAULT_DAYS = 20
_DAYS = re.compile(r"(\d+)\s*[（(]?\s*工作日")
_OPTIONAL = re.compile(r"如有|如涉及|如涉|若有|可选|选填|非必要|需要时|必要时|如需")
_COPY = re.compile(r"复印件|影印件|扫描件")
_ORIGINAL = re.compile(r"原件")
_COUNT = re.compile(r"([一二两三四五六七八九十\d]+)\s*份")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NONE = {"", "无", "暂无", "/"}


@dataclass(frozen=True)
class ChecklistSlot:
    """One line of an item's materials list."""

    index: int
    name: str
    required: bool
    form: Form
    count: int


@dataclass(frozen=True)
class ItemRules:
    item_id: str
    name: str
    department: str
    matter_type: str
    legal_days: int | None  # 法定办结时限 (handle_time), working days; None where the record gives none
    promised_days: int | None  # 承诺办结时限 (handle_time_limit), working days
    checklist: tuple[ChecklistSlot, ...] = field(default_factory=tuple)
    accept_standard: str = ""

    @property
    def is_licensing(self) -> bool:
        return self.matter_type == "行政许可"

    @property
    def decision_days(self) -> int | None:
        """Working days from acceptance to decision the law allows: the item's 法定 limit, else §42's default."""
        if self.legal_days is not None:
            return self.legal_days
        return LICENSING_DEFAULT_DAYS if self.is_licensing else None

    @property
    def target_days(self) -> int | None:
        """The limit that drives a case's light: the promised one, else the legal one."""
        return self.promised_days if self.promised_days is not None else self.decision_days

    @classmethod
    def from_fields(cls, fields: dict[str, Any], name: str) -> ItemRules:
        """Rules from a stored catalogue record's fields (see assistant/ingest/records.py for their names)."""
        materials = fields.get("materials") or []
        names = [str(m).strip() for m in (materials if isinstance(materials, list) else [materials])]
        slots = tuple(_slot(i, n) for i, n in enumerate(n for n in names if n not in _NONE))
        return cls(
            item_id=str(fields.get("item_id") or ""),
            name=name,
            department=str(fields.get("dept") or ""),
            matter_type=str(fields.get("matter_type") or ""),
            legal_days=working_days(fields.get("legal_time_limit")),
            promised_days=working_days(fields.get("promised_time_limit")),
            checklist=slots,
            accept_standard=str(fields.get("basis") or ""),
        )


def working_days(value: Any) -> int | None:
    """``"20(工作日)"`` → 20; ``"无"`` or nothing → None."""
    match = _DAYS.search(str(value or ""))
    return int(match.group(1)) if match else None


def _slot(index: int, name: str) -> ChecklistSlot:
    copy, original = bool(_COPY.search(name)), bool(_ORIGINAL.search(name))
    form: Form = "either" if copy == original else ("copy" if copy else "original")
    count_match = _COUNT.search(name)
    count = 1
    if count_match:
        raw = count_match.group(1)
        count = int(raw) if raw.isdigit() else _CN_DIGITS.get(raw, 1)
    return ChecklistSlot(index=index, name=name, required=not _OPTIONAL.search(name), form=form, count=count)
