"""Heading numbers of the four body levels (一、 → （一） → 1. → （1）): writing them and reading them back.

``read_heading`` recognises the correct forms and the common wrong ones ("1、", "(一)", "一.", "第一，")
so the checker can name the fault and the repair step can renumber what a model wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = "零一二三四五六七八九"
_CN = "一二三四五六七八九十百零〇两"


def chinese_number(n: int) -> str:
    """1..999 in Chinese numerals as headings write them: 十, 十一, 二十, 一百零五."""
    if not 1 <= n <= 999:
        raise ValueError(f"heading numbers run from 1 to 999, got {n}")
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    text = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and units:
        text += "零"
    return text + (_DIGITS[units] if units else "")


def parse_chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (一 .. 九百九十九); None when ``text`` is not one."""
    if not text or any(ch not in _CN for ch in text):
        return None
    total, current = 0, 0
    for ch in text.replace("两", "二").replace("〇", "零"):
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS.index(ch)
    total += current
    return total or None


def heading_number(level: int, n: int) -> str:
    """The number of the ``n``-th heading of ``level`` (1..4): 一、 （一） 1. （1）."""
    if level == 1:
        return f"{chinese_number(n)}、"
    if level == 2:
        return f"（{chinese_number(n)}）"
    if level == 3:
        return f"{n}."
    if level == 4:
        return f"（{n}）"
    raise ValueError(f"heading levels run from 1 to 4, got {level}")


@dataclass(frozen=True)
class HeadingMark:
    """A heading number found at the start of a line."""

    level: int  # 1..4, the level its form stands for
    n: int  # its value
    marker: str  # the characters as written, e.g. "（一）" or "1、"
    proper: bool  # written in the standard form
    rest: str  # the line after the marker

    @property
    def expected(self) -> str:
        return heading_number(self.level, self.n)


_CN_NUM = f"[{_CN}]{{1,4}}"
# Order matters: the parenthesised forms first, so "（1）" is not read as a bare number.
_FORMS: tuple[tuple[int, re.Pattern[str], bool], ...] = (
    (2, re.compile(f"^（({_CN_NUM})）(?![、，.．])"), True),
    (2, re.compile(f"^[（(]({_CN_NUM})[）)][、，.．]?"), False),
    (4, re.compile(r"^（(\d{1,3})）(?![、，.．])"), True),
    (4, re.compile(r"^[（(](\d{1,3})[）)][、，.．]?"), False),
    (1, re.compile(f"^({_CN_NUM})、"), True),
    (1, re.compile(f"^第({_CN_NUM})[、，,.．：:]"), False),
    (1, re.compile(f"^({_CN_NUM})[.．，,：:](?=\\S)"), False),
    (3, re.compile(r"^(\d{1,3})\.(?!\d)"), True),
    (3, re.compile(r"^(\d{1,3})(?:[、．，,]|\s+(?=\S))(?!\d)"), False),
)


def read_heading(line: str) -> HeadingMark | None:
    """The heading number ``line`` starts with (after its indent), or None."""
    text = line.lstrip(" \u3000\t")
    for level, pattern, proper in _FORMS:
        m = pattern.match(text)
        if not m:
            continue
        raw = m.group(1)
        n = int(raw) if raw.isdigit() else parse_chinese_number(raw)
        if not n:
            continue
        rest = text[m.end() :]
        if not rest.strip():  # a bare number is not a heading
            return None
        return HeadingMark(level=level, n=n, marker=m.group(0), proper=proper, rest=rest)
    return None
