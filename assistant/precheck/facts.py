"""Facts read out of a material's text: identity numbers, names, validity dates, seal and signature marks.

OCR drops the spaces between a label and its value ("姓名张三"), so every pattern allows none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from assistant.cases.identifiers import IdentityKind

_PERSON_LABEL = r"(?:公民身份号码|身份证号码|身份证号|身份证件号码|证件号码)"
_CODE_LABEL = r"(?:统一社会信用代码|社会信用代码|信用代码)"
_ID_SHAPE = re.compile(r"(?<![0-9A-Z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_CODE_SHAPE = re.compile(r"(?<![0-9A-Z])([0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10})(?![0-9A-Z])")
_LABELLED_ID = re.compile(_PERSON_LABEL + r"[:：\s]*([0-9Xx]{15,20})")
_LABELLED_CODE = re.compile(_CODE_LABEL + r"[:：\s]*([0-9A-Za-z]{15,20})")
_NAME = re.compile(r"(?:姓名|申请人姓名|申请人|法定代表人|持证人)[:：\s]*([\u4e00-\u9fa5·]{2,5})")
_ORG = re.compile(
    r"(?:名称|单位名称|企业名称|申请单位)[:：\s]*([\u4e00-\u9fa5（）()]{4,40}(?:公司|中心|厂|院|所|站|社|局|学校|医院|合作社))"
)
_DATE = r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?"
_VALIDITY = re.compile(
    r"(?:有效期限|有效期至|有效期|营业期限|截止日期|有效日期)[:：\s]*(?:自\s*)?(?:"
    + _DATE
    + r")?\s*(?:至|到|-|—|－|~)?\s*(?:"
    + _DATE
    + r"|(长期))"
)
_SEAL = re.compile(r"盖章|公章|印章|（章）|\(章\)|签章")
_SIGNATURE = re.compile(r"签名|签字|签署|手印|指印|捺印")
_NEXT_LABEL = re.compile(r"性别|民族|出生|住址|签名|签字|日期|电话|身份")
_NAME_STOPWORDS = {"签名", "签字", "盖章", "日期", "性别", "民族", "住址", "出生"}


@dataclass(frozen=True)
class Identifier:
    kind: IdentityKind
    number: str
    labelled: bool  # found after its label (公民身份号码, 统一社会信用代码), not only by its shape


@dataclass
class Facts:
    identifiers: list[Identifier] = field(default_factory=list)
    person_names: list[str] = field(default_factory=list)
    organisation_names: list[str] = field(default_factory=list)
    valid_until: list[date] = field(default_factory=list)  # end dates of validity periods (长期: none)
    asks_seal: bool = False
    asks_signature: bool = False


def read_facts(text: str) -> Facts:
    facts = Facts()
    seen: set[str] = set()
    for kind, pattern in (("person", _LABELLED_ID), ("enterprise", _LABELLED_CODE)):
        for match in pattern.finditer(text):
            number = match.group(1).upper()
            if number not in seen:
                seen.add(number)
                facts.identifiers.append(Identifier(kind, number, labelled=True))  # type: ignore[arg-type]
    for match in _ID_SHAPE.finditer(text):
        number = match.group(1).upper()
        if number not in seen and _plausible_birth(number):
            seen.add(number)
            facts.identifiers.append(Identifier("person", number, labelled=False))
    for match in _CODE_SHAPE.finditer(text):
        number = match.group(1)
        if number not in seen and not number.isdigit():
            seen.add(number)
            facts.identifiers.append(Identifier("enterprise", number, labelled=False))
    names = (_NEXT_LABEL.split(m.group(1))[0] for m in _NAME.finditer(text))
    facts.person_names = _unique(n for n in names if len(n) >= 2 and n not in _NAME_STOPWORDS)
    facts.organisation_names = _unique(m.group(1) for m in _ORG.finditer(text))
    for match in _VALIDITY.finditer(text):
        end = _date(match.group(4), match.group(5), match.group(6))
        if end is not None:
            facts.valid_until.append(end)
    facts.asks_seal = bool(_SEAL.search(text))
    facts.asks_signature = bool(_SIGNATURE.search(text))
    return facts


def same_name(a: str, b: str) -> bool:
    return _plain(a) == _plain(b)


def _plain(value: str) -> str:
    return re.sub(r"[\s·()（）]", "", value)


def _plausible_birth(number: str) -> bool:
    return _date(number[6:10], number[10:12], number[12:14]) is not None


def _date(year: str | None, month: str | None, day: str | None) -> date | None:
    if not (year and month and day):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _unique(values: object) -> list[str]:
    result: list[str] = []
    for value in values:  # type: ignore[attr-defined]
        if value not in result:
            result.append(value)
    return result
