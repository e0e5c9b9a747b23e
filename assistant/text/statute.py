"""Laws and regulations (法律、行政法规、地方性法规、规章): articles, their citation names and the law's history.

A statute is a text whose body is a run of articles (第X条), grouped in 编 > 章 > 节. Each article,
with its 款 (paragraphs) and 项 (（一）（二）… items), is one passage cited as 《title》第X条. The
lines under the title that tell the law's history ("2003年8月27日…通过", "（…根据…修正）") become
metadata: ``amendments`` (the 修正/修订 lines) and, with "本法自…起施行", ``effective_date``.
Article numbers are compared as integers, so "第32条" in a question finds 第三十二条.
"""

from __future__ import annotations

import re
from datetime import date as Date

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL = "一二三四五六七八九十百千零〇两"
ARTICLE_LABEL = re.compile(rf"^第([{NUMERAL}\d]+)条(?:之([{NUMERAL}]+))?")
# Titles of statutes end with one of these (法, 条例, 规定, 办法, 细则, 规则, 决定, 解释, 准则, 章程).
LAW_SUFFIX = re.compile(r"(法|法典|条例|规定|办法|细则|规则|决定|解释|准则|章程)(?:（[^）]*）)?$")
# "行政许可法第三十二条", "《个人信息保护法》第13条", "民法典第一千零七十九条".
ARTICLE_REFERENCE = re.compile(
    rf"《?([\u4e00-\u9fff]{{1,40}}?(?:法|法典|条例|规定|办法|细则|规则|决定|解释))》?\s*第\s*([{NUMERAL}\d]+)\s*条"
)
_HISTORY = re.compile(r"^[（(]?\s*\d{4}\s*年.*(通过|修正|修订|修改|公布|发布|施行|批准)")
_BODY = re.compile(
    r"(全国|[\u4e00-\u9fff]{2,12}?(?:省|市|自治区|州|县))(?:第[一二三四五六七八九十]+届)?(人民代表大会常务委员会|人民代表大会)"
    r"|(国务院)(?=第|常务|令)|([\u4e00-\u9fff]{2,12}?(?:省|市|自治区)人民政府)"
)
_AMENDMENT = re.compile(r"修正|修订|修改")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_IN_FORCE_FROM = re.compile(r"自\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起\s*(?:施行|实施|生效)")
_IN_FORCE_LINE = re.compile(r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:起\s*)?(?:施行|实施|生效)$")


def parse_numeral(text: str) -> int | None:
    """An integer written in Arabic or Chinese numerals (三十二, 一百零五, 一千零七十九, 32); None if neither."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[char]
            current = 0
        else:
            return None
    return total + current


def chinese_numeral(number: int) -> str:
    """1..9999 in Chinese numerals as statutes write them: 三十二, 一百零五, 十二 (not 一十二)."""
    digits = "零一二三四五六七八九"
    parts: list[str] = []
    zero = False
    for unit, value in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = number // value % 10
        if digit == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(("" if unit == "十" and digit == 1 and not parts else digits[digit]) + unit)
    return "".join(parts) or "零"


def article_number(label: str) -> int | None:
    """The number of an article label ("第三十二条" → 32); None when ``label`` is not one."""
    match = ARTICLE_LABEL.match(label)
    return parse_numeral(match.group(1)) if match else None


def article_label(number: int) -> str:
    return f"第{chinese_numeral(number)}条"


def is_statute(title: str, article_lines: int, numbered_lines: int) -> bool:
    """Whether a text is a law or regulation: numbered articles under a statute-like title, and no more
    公文 headings (一、二、) than articles (a 办法 written as a 公文 keeps its headings).

    A 公文 that carries a regulation (关于印发《…办法》的通知) stays a 公文: its title is the notice's.
    One article is enough: a law library may keep one article per file.
    """
    return article_lines >= max(1, numbered_lines) and bool(LAW_SUFFIX.search(title))


def citation_name(title: str, label: str) -> str:
    """How an article is cited: 《中华人民共和国行政许可法》第三十二条."""
    return f"《{title}》{label}"


def short_names(title: str) -> list[str]:
    """Names a question may use for a statute: its title and the title without 中华人民共和国."""
    names = [title]
    if title.startswith("中华人民共和国") and len(title) > len("中华人民共和国") + 1:
        names.append(title.removeprefix("中华人民共和国"))
    return names


def article_reference(query: str) -> tuple[str, int] | None:
    """(statute name, article number) named in a question, e.g. ("行政许可法", 32); None when it names none."""
    match = ARTICLE_REFERENCE.search(query)
    if not match:
        return None
    number = parse_numeral(match.group(2))
    return (match.group(1), number) if number else None


def is_history_line(line: str) -> bool:
    """A line of the law's history under its title: "2003年8月27日 第十届…会议通过", "（…修正）"."""
    return bool(_HISTORY.match(line))


def enacting_body(history: list[str]) -> str | None:
    """The body that adopted or issued the statute, from its history ("…全国人民代表大会常务委员会第四次会议通过")."""
    for line in history:
        match = _BODY.search(_DATE.sub("", line).strip())
        if match:
            return "".join(part for part in match.groups() if part)
    return None


def amendments(history: list[str]) -> list[str]:
    """The history lines that record an amendment (修正/修订/修改), brackets removed."""
    return [line.strip("（）() ") for line in history if _AMENDMENT.search(line)]


def effective_date(history: list[str], body: str) -> str | None:
    """ISO date the statute takes effect: a "…施行" history line, else "本法自…起施行" in its text."""
    for line in history:
        match = _IN_FORCE_LINE.match(line.strip("（）() "))
        if match:
            return _iso(match.group(1))
    match = _IN_FORCE_FROM.search(body)
    return _iso(match.group(1)) if match else None


def _iso(text: str) -> str | None:
    match = _DATE.search(text)
    if not match:
        return None
    try:
        return Date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None
