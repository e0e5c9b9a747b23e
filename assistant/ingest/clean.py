"""Repair the damage text extraction does to Chinese documents, and normalise what is safe to normalise.

Extraction from PDF breaks lines where the page did, splits words with stray spaces ("人工 智能",
"实 施方案"), and leaves page numbers and running headers in the text. ``clean_text`` returns one
paragraph per line:

- Wrapped lines are joined only when the text shows a fixed-width layout (many lines of about the same
  display width, as in a PDF page); text whose lines are already paragraphs (HTML, docx, most .txt) is
  never re-flowed. In such a layout a line is joined to the next when it does not end a sentence, is
  not a heading, the next is not a heading or a date, and the line is either full width or itself a
  continuation (a paragraph broken at a page end goes on after a short line).
- Spaces are removed between Chinese characters, and between Chinese and digits ("2021 年" -> "2021年");
  spaces between Latin words and numbers stay ("GB/T 9704").
- Page numbers ("- 3 -", "— 3 —", "第3页", a lone number) go; in paginated text, short lines repeated
  on three or more pages (running headers and footers) go too.
- Full-width letters, digits and a few symbols (％＋．／) become ASCII; Chinese punctuation stays, and
  an ASCII comma, colon or semicolon between Chinese text becomes its Chinese form.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from assistant.ingest.structure import is_heading, parse_date
from assistant.text.characters import normalise_characters

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese punctuation: CJK symbols, full-width forms, curly quotes, ellipsis and dashes.
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef\u2018\u2019\u201c\u201d\u2026\u2014"
_CJKISH = f"[{_CJK}{_CJK_PUNCT}]"

_SPACE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"(?<={_CJKISH}) +(?={_CJKISH}|\d)"), ""),
    (re.compile(rf"(?<=\d) +(?={_CJKISH})"), ""),
    (re.compile(r"(?<=[(\[（【《“‘]) +"), ""),
    (re.compile(r" +(?=[)\]）】》”’])"), ""),
    (re.compile(rf"(?<=[\w{_CJK_PUNCT}]),\s*(?=[{_CJK}])"), "，"),
    (re.compile(rf"(?<=[{_CJK}]):\s*(?=[{_CJK}\d])"), "："),
    (re.compile(rf"(?<=[{_CJK}]);\s*(?=[{_CJK}])"), "；"),
    (re.compile(r" {2,}"), " "),
)
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－−~～]*\s*\d{1,4}\s*[-—–－−~～]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)$"
)
_RUNNING_LINE_MAX = 40
_RUNNING_LINE_MIN_REPEATS = 3
_SENTENCE_ENDS = "。！？；：!?;:…"
_CLOSERS = "”’）)」』】》\"'"

# Fixed-width layout detection: the reference width is this percentile of line widths, and the text
# counts as wrapped when this share of its lines lies within the band around it.
_WIDTH_PERCENTILE = 0.9
_FULL_LINE = 0.8
_BAND = (0.8, 1.15)
_MIN_WRAPPED_SHARE = 0.4
_MIN_LINES = 5
_WIDTH_RANGE = (30, 200)  # display columns (a Chinese character is two)


def clean_text(text: str) -> str:
    """The text as clean paragraphs, one per line (see the module docstring for what is repaired)."""
    text = normalise_characters(text.replace("\r\n", "\n").replace("\r", "\n"))
    paginated = "\f" in text
    lines = [_fix_spacing(line.strip()) for line in text.replace("\f", "\n").split("\n")]
    lines = [line for line in lines if line]
    page_numbers = sum(1 for line in lines if _PAGE_NUMBER.match(line))
    lines = [line for line in lines if not _PAGE_NUMBER.match(line)]
    if paginated or page_numbers >= 2:
        lines = _drop_running_lines(lines)
    return "\n".join(_join_wrapped(lines))


def _fix_spacing(line: str) -> str:
    for pattern, replacement in _SPACE_RULES:
        line = pattern.sub(replacement, line)
    return line


def _drop_running_lines(lines: list[str]) -> list[str]:
    """Remove headers and footers: short non-heading lines that repeat on many pages."""
    counts = Counter(lines)
    running = {
        line
        for line, n in counts.items()
        if n >= _RUNNING_LINE_MIN_REPEATS and len(line) <= _RUNNING_LINE_MAX and not is_heading(line)
    }
    return [line for line in lines if line not in running]


def display_width(text: str) -> int:
    """Columns the text takes in print: two for a wide (Chinese) character, one otherwise."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap_width(lines: list[str]) -> int | None:
    """The page's line width when the lines look wrapped at a fixed width, else None."""
    widths = sorted(display_width(line) for line in lines)
    if len(widths) < _MIN_LINES:
        return None
    width = widths[min(len(widths) - 1, int(len(widths) * _WIDTH_PERCENTILE))]
    if not _WIDTH_RANGE[0] <= width <= _WIDTH_RANGE[1]:
        return None
    in_band = sum(1 for w in widths if _BAND[0] * width <= w <= _BAND[1] * width)
    return width if in_band >= _MIN_WRAPPED_SHARE * len(widths) else None


def _join_wrapped(lines: list[str]) -> list[str]:
    width = _wrap_width(lines)
    if width is None:
        return lines
    paragraphs: list[str] = []
    continued = False  # whether the last line was joined onto a previous one
    previous = ""
    for line in lines:
        full = display_width(previous) >= _FULL_LINE * width
        if paragraphs and (full or continued) and _continues(previous, line):
            paragraphs[-1] = _glue(paragraphs[-1], line)
            continued = True
        else:
            paragraphs.append(line)
            continued = False
        previous = line
    return paragraphs


def _continues(line: str, following: str) -> bool:
    """Whether ``following`` may continue the sentence ``line`` leaves open."""
    return (
        not line.rstrip(_CLOSERS).endswith(tuple(_SENTENCE_ENDS))
        and not is_heading(line)
        and not is_heading(following)
        and parse_date(following) is None
    )


def _glue(left: str, right: str) -> str:
    """Join two pieces of one paragraph: a space only between Latin letters or digits."""
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return _fix_spacing(left + right)
