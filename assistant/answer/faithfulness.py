"""Is the answer faithful to what its passages say? A check after generation, before the answer is final.

Small models copy the passages well but now and then flip a negation ("暂不征收" becomes "增收"),
change a number, name another place, repeat a sentence under a new heading, or pad with filler
("根据资料中的描述。"). ``review_answer`` aligns every sentence with the passage sentence it shares the
most wording with (character bigrams, as ``citations.py`` measures support) and compares the two:

- polarity: a negation (不/暂不/免/禁止/未/无 …) before words the other side has without one;
- numbers: an amount, date or percentage the cited passages do not contain;
- places: a province or city the cited passages do not name;
- repeats and filler: dropped.

A contradicted sentence is replaced with the source's own words when one passage sentence says the
same thing (the markers are kept); otherwise it is kept, marked ``（待核实）`` and reported.

``standing_notes`` adds what the answer must say whatever the model wrote: that a cited document is a
draft for comments, repealed or expired (with its date), and whose policy it is when the question
names a place the cited document does not belong to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from assistant.answer.citations import MARKER, SENTENCE, bigrams, content_chars, overlap
from assistant.retrieval.citation import Citation

FindingKind = Literal["polarity", "number", "place", "repeat", "filler", "status", "whose"]
FindingAction = Literal["replaced", "marked", "dropped", "noted"]
UNVERIFIED_MARK = "（待核实）"

# Negation cues, longest first so 暂不 is read before 不. A cue inside one of the words after it is no negation.
_NEGATIONS = (
    "暂不", "不得", "不予", "不再", "不能", "不需", "无需", "无须", "禁止", "严禁", "没有", "停止",
    "不", "未", "免", "无", "非",
)  # fmt: skip
_NOT_NEGATION = (
    "不断", "不仅", "不少", "不同", "不久", "不管", "不限于", "无论", "未来", "非常", "无锡", "未成年", "免疫",
    "无人机", "无障碍", "非公", "非遗", "非物质", "不动产", "无线",
)  # fmt: skip
_NEGATION = re.compile("|".join(map(re.escape, _NOT_NEGATION + _NEGATIONS)))
_WORDS = re.compile(r"[\u4e00-\u9fff0-9a-zA-Z]+")
# Words after a cue that make up what it negates; the shared part must be this long to count.
_PREDICATE_CHARS = 6
_MIN_SHARED = 3
# How far before the shared words a negation still applies to them ("不予以征收").
_CUE_REACH = 4
# An answer sentence and a passage sentence are about the same thing when this share of the answer's
# bigrams is in the passage sentence; a repair replaces the sentence with that passage sentence.
ALIGN_OVERLAP = 0.5
# A sentence repeats an earlier one of the answer when this share of its bigrams is in it.
REPEAT_OVERLAP = 0.8
_FILLER = re.compile(
    r"^(?:根据|依据|按照|参考)?(?:以上|上述|所给|提供的|给出的)?(?:资料|材料|信息|内容)(?:中)?(?:的)?"
    r"(?:描述|内容|信息|说明|规定|所述|提到的)?(?:如下|来看|可知)?$"
    r"|^(?:希望|以上)(?:对您有(?:所)?帮助|信息仅供参考)$"
)
# Numbers as written: 5,000 / 3.5 / ２０２７; a leading list number ("1." "2、" "（3）" "### 4.") is no claim.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LIST_NUMBER = re.compile(r"^\s*(?:[#>*\-]+\s*)*(?:\d{1,2}[.、．)）]|[（(]\d{1,2}[)）])\s*")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_CN_NUMBER = re.compile("[零一二两三四五六七八九十百千万亿]{2,}|[十百千]")
_SOURCE_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")

# Provincial-level places, and the cities of the provinces this product's corpora cover, with their province.
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古",
    "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)  # fmt: skip
CITIES = {
    **dict.fromkeys(("长春", "四平", "辽源", "通化", "白山", "松原", "白城", "延边", "珲春", "梅河口"), "吉林"),
    **dict.fromkeys(
        ("广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名", "惠州", "梅州", "汕尾",
         "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮"),
        "广东",
    ),
    "杭州": "浙江", "南京": "江苏", "苏州": "江苏", "武汉": "湖北", "成都": "四川", "西安": "陕西", "沈阳": "辽宁",
    "大连": "辽宁", "哈尔滨": "黑龙江", "郑州": "河南", "长沙": "湖南", "济南": "山东", "青岛": "山东", "厦门": "福建",
    "福州": "福建", "合肥": "安徽", "南昌": "江西", "昆明": "云南", "贵阳": "贵州", "南宁": "广西", "海口": "海南",
    "石家庄": "河北", "太原": "山西", "兰州": "甘肃", "西宁": "青海", "银川": "宁夏", "乌鲁木齐": "新疆",
    "拉萨": "西藏", "呼和浩特": "内蒙古",
}  # fmt: skip
# 吉林 is also a city; read as the province unless written 吉林市.
_PLACE = re.compile("|".join(sorted(map(re.escape, (*PROVINCES, *CITIES)), key=len, reverse=True)))
# Statuses of a document that is not (or no longer) in force, and what the answer says about each.
_NOT_IN_FORCE = (
    (("征求意见", "草案", "送审稿", "讨论稿"), "尚未正式施行"),
    (("废止", "失效", "撤销"), "已不再有效"),
)


@dataclass
class Finding:
    """Something the check found in the answer, and what it did about it."""

    kind: FindingKind
    action: FindingAction
    sentence: str  # the answer's sentence as the model wrote it (markers removed); a note's text for notes
    source: str = ""  # the passage's words it was checked against (the replacement, when replaced)
    detail: str = ""  # what differs, e.g. "原文：暂不征收" or "500 ≠ 原文 5000"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Review:
    text: str
    findings: list[Finding]


def review_answer(text: str, passages: Sequence[str], about: Sequence[str] = ()) -> Review:
    """Check ``text`` (markers ``[n]`` for ``passages[n - 1]``, already normalised) sentence by sentence.

    ``about[i]`` says what passage i is from (titles, issuer, region): numbers and places named there
    count as the passage's own ("吉林省" in an answer citing a passage of a 吉林省 document that says "全省").
    """
    sources = [_source_sentences(p) for p in passages]
    known = [f"{a}\n{p}" for a, p in zip([*about, *[""] * len(passages)], passages, strict=False)]
    everything = [s for per_passage in sources for s in per_passage]
    findings: list[Finding] = []
    seen: list[set[str]] = []

    def check(m: re.Match[str]) -> str:
        sentence = m.group(0)
        plain = MARKER.sub("", sentence).strip()
        content = content_chars(_LIST_NUMBER.sub("", plain))
        if not content:
            return sentence
        if _FILLER.match(content):
            findings.append(Finding("filler", "dropped", plain))
            return ""
        words = bigrams(content)
        if len(content) >= 6 and any(_same(words, earlier) for earlier in seen):
            findings.append(Finding("repeat", "dropped", plain))
            return ""
        seen.append(words)
        marked = [int(n) for n in MARKER.findall(sentence)]
        candidates = [s for n in dict.fromkeys(marked) for s in sources[n - 1]] if marked else everything
        cited_text = "\n".join(known[n - 1] for n in marked) if marked else "\n".join(known)
        best = max(candidates, key=lambda s: overlap(words, bigrams(content_chars(s))), default="")
        aligned = bool(best) and overlap(words, bigrams(content_chars(best))) >= ALIGN_OVERLAP
        problem = _contradiction(plain, best, cited_text, aligned)
        if problem is None:
            return sentence
        kind, detail = problem
        if aligned and kind != "number" or aligned and _numbers(best):
            findings.append(Finding(kind, "replaced", plain, best.strip(), detail))
            return _with_markers(best, sentence)
        findings.append(Finding(kind, "marked", plain, best.strip(), detail))
        return _marked(sentence)

    reviewed = SENTENCE.sub(check, text)
    reviewed = re.sub(r"\n{3,}", "\n\n", reviewed).strip()
    return Review(reviewed, findings)


def standing_notes(question: str, citations: Sequence[Citation]) -> list[Finding]:
    """What the answer must say about its sources: a status that is not in force, and whose policy it is.

    One note per document (or per other place): passages [1][2][3] of one draft get one note naming all three.
    """
    drafts: dict[tuple[str, str, str], list[Citation]] = {}
    for c in citations:
        for words, verdict in _NOT_IN_FORCE:
            if any(w in c.status for w in words):
                drafts.setdefault((c.cited_title, c.status, verdict), []).append(c)
                break
    notes = []
    for (title, status, verdict), cited in drafts.items():
        dated = f"，{cited[0].date}" if cited[0].date else ""
        text = f"{_markers(cited)}《{title}》为{status}{dated}，{verdict}，请以正式发布的文件为准。"
        notes.append(Finding("status", "noted", text, cited[0].title, status))
    asked = provinces_named(question)
    others: dict[str, list[Citation]] = {}
    for c in citations if asked else ():
        theirs = provinces_named(c.origin)
        if theirs and not theirs & asked:
            others.setdefault("、".join(sorted(theirs)), []).append(c)
    where = "、".join(sorted(asked))
    for whose, cited in others.items():
        text = f"{_markers(cited)}是{whose}的政策，并非{where}的规定；{where}的做法请以当地规定为准。"
        notes.append(Finding("whose", "noted", text, cited[0].title, f"{whose} ≠ {where}"))
    return notes


def _markers(citations: Sequence[Citation]) -> str:
    return "".join(f"[{c.n}]" for c in citations)


def with_notes(text: str, notes: Sequence[Finding]) -> str:
    """The answer opening with its notes ("请注意：…"), so no reader misses them."""
    if not notes:
        return text
    return "\n".join(f"请注意：{n.sentence}" for n in notes) + "\n\n" + text


def provinces_named(text: str) -> set[str]:
    """The provinces ``text`` names, a city counting as its province (吉林市 as 吉林)."""
    return {CITIES.get(name, name) for name in _PLACE.findall(text)}


def _contradiction(sentence: str, best: str, cited_text: str, aligned: bool) -> tuple[FindingKind, str] | None:
    if aligned:
        flipped = _polarity_flip(sentence, best)
        if flipped:
            return "polarity", flipped
    cited_numbers = _numbers(cited_text)
    for number in _numbers(_LIST_NUMBER.sub("", sentence), spelled=False):
        if number not in cited_numbers:
            return "number", f"{number} 不在所引原文中"
    cited_places = set(_PLACE.findall(cited_text))
    for place in _PLACE.findall(sentence):
        if place not in cited_places and CITIES.get(place, place) not in cited_places:
            return "place", f"{place} 不在所引原文中"
    return None


def _polarity_flip(sentence: str, source: str) -> str | None:
    """Words one side negates and the other states without a negation, as "原文：暂不征收" or "回答：不给予"."""
    for negated, plain, side in ((source, sentence, "原文"), (sentence, source, "回答")):
        for cue, words in _negated(negated):
            shared = _longest_shared(words, plain)
            if len(shared) < min(_MIN_SHARED, len(words)) or len(shared) < 2:
                continue
            if any(not _negation_before(negated, at) for at in _positions(negated, shared)):
                continue  # the negating side also says it plainly ("未按期的不予…，按期的给予…")
            if not any(_negation_before(plain, at) for at in _positions(plain, shared)):
                return f"{side}：{cue}{words}"
    return None


def _negated(text: str) -> list[tuple[str, str]]:
    """(cue, the words after it) for every negation in ``text``."""
    found = []
    for m in _NEGATION.finditer(text):
        if m.group(0) in _NOT_NEGATION:
            continue
        follows = _WORDS.match(text, m.end())
        if follows:
            found.append((m.group(0), follows.group(0)[:_PREDICATE_CHARS]))
    return found


def _negation_before(text: str, at: int) -> bool:
    window = text[max(0, at - _CUE_REACH) : at]
    return any(m.group(0) not in _NOT_NEGATION for m in _NEGATION.finditer(window))


def _longest_shared(words: str, text: str) -> str:
    """The longest start-anchored-or-not run of ``words`` found in ``text``."""
    best = ""
    for i in range(len(words)):
        for j in range(len(words), i + len(best), -1):
            if words[i:j] in text:
                best = words[i:j]
                break
    return best


def _positions(text: str, part: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(part), text)]


def _numbers(text: str, spelled: bool = True) -> set[str]:
    """The numbers in ``text`` as plain digits (5,000 → 5000, ２０２７ → 2027, and with ``spelled`` 十五 → 15).

    An answer's numbers are read as digits only: single characters such as 百 in 百姓 are no amounts.
    """
    text = unicodedata.normalize("NFKC", text)
    found = {m.group(0).replace(",", "").rstrip(".") for m in _NUMBER.finditer(MARKER.sub("", text))}
    if spelled:
        found |= {str(_chinese_number(m.group(0))) for m in _CN_NUMBER.finditer(text)}
    return {n.lstrip("0") or "0" for n in found}


def _chinese_number(text: str) -> int:
    """十五 → 15, 三百二十 → 320, 一千 → 1000, 两万 → 20000 (plain forms only; enough to match a source)."""
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in ("万", "亿"):
            total += (section + digit) * _CN_UNITS[ch]
            section, digit = 0, 0
        else:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return total + section + digit


def _source_sentences(passage: str) -> list[str]:
    return [s.strip() for s in _SOURCE_SENTENCE.findall(passage) if len(content_chars(s)) >= 4]


def _same(words: set[str], earlier: set[str]) -> bool:
    """The sentence adds nothing to an earlier one ("身份证复印件" after "身份证" does)."""
    return overlap(words, earlier) >= REPEAT_OVERLAP


def _with_markers(source: str, sentence: str) -> str:
    """``source`` in place of ``sentence``: its own words, ending with the sentence's markers and a full stop."""
    markers = "".join(dict.fromkeys(f"[{n}]" for n in MARKER.findall(sentence)))
    return source.rstrip("。！？!?；; ") + markers + "。"


def _marked(sentence: str) -> str:
    cut = len(sentence.rstrip("。！？!? \t"))
    return f"{sentence[:cut]}{UNVERIFIED_MARK}{sentence[cut:]}"
