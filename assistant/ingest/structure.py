"""The official-document elements of a cleaned text and its heading hierarchy.

Headings follow the 公文 numbering (GB/T 9704): 一、 > （一） > 1. > （1）, plus 第X章/节/条 of
regulations, circled numbers, and runs of paragraphs that open with a quoted label such as
“人工智能+政务服务”，… (sub-items of the heading above them). A heading that is a lead sentence
("1.加快智能算力基础设施建设。聚焦…") is split at its first full stop into heading and body.

The title, status line and document number are read from the head of the text and kept out of the
sections. The closing signature + date (and whatever follows it, such as 抄送) give the issuer and date
and stay searchable as a last section with an empty heading path ("when was the reply dated?").
Every line other than the head lands in exactly one section.
Sidecar metadata (``title``, ``issuer``, ``date``, ``doc_number``, ``status``) wins over parsed values.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date as Date
from typing import Any

from assistant.ingest.document import ParsedDocument, Section
from assistant.ingest.loaders import TITLE_HINT
from assistant.text import statute

_CN_NUM = "一二三四五六七八九十百千零〇两"
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}

# (rank, pattern): a smaller rank is a higher level. The match is the heading's label.
_HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"^第[{_CN_NUM}\d]+编")),
    (1, re.compile(rf"^第[{_CN_NUM}\d]+章")),
    (2, re.compile(rf"^第[{_CN_NUM}\d]+节")),
    (3, re.compile(rf"^第[{_CN_NUM}\d]+条")),
    (4, re.compile(rf"^[{_CN_NUM}]+[、．.]")),
    (5, re.compile(rf"^[（(]\s*[{_CN_NUM}]+\s*[）)]")),
    (6, re.compile(r"^\d{1,2}(?:[、．]|\.(?!\d))")),
    (7, re.compile(r"^(?:[（(]\s*\d{1,2}\s*[）)]|\d{1,2}[）)])")),
    (8, re.compile(r"^[\u2460-\u2473]")),
)
_ARTICLE_RANK = 3  # 第X条: the label alone is the heading, the rest of the line is body
_QUOTED_ITEM_RANK = 9
_QUOTED_ITEM = re.compile(r"^(“[^”]{1,30}”)[，,：:]\s*(.*)$")
# A heading longer than this is cut (with …) and its whole line is kept as body, so no text is lost.
MAX_HEADING_CHARS = 40
_SENTENCE_END = re.compile(r"[。！？!?]")

_STATUS_WORDS = ("征求意见稿", "送审稿", "讨论稿", "修订草案", "草案", "代拟稿", "审议稿", "试行草案")
# Validity a text or a law library may state of itself (in a title suffix or a line of its own).
_VALIDITY_WORDS = ("现行有效", "已修订", "已修正", "已修改", "已废止", "已失效", "失效", "部分失效", "尚未生效")
NOT_YET_IN_FORCE = "尚未生效"
_ANY_STATUS = "|".join(_STATUS_WORDS + _VALIDITY_WORDS)
_STATUS_LINE = re.compile(
    rf"^[（(【\[]?\s*(?:时效性\s*[:：]\s*|效力(?:级别|状态)?\s*[:：]\s*)?({_ANY_STATUS})\s*[）)】\]]?$"
)
_STATUS_SUFFIX = re.compile(rf"\s*[（(【]\s*({_ANY_STATUS})\s*[）)】]\s*$")
_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,12})\s*[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]\s*第?\s*(\d{1,5})\s*号"
)
_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_CN_DATE = re.compile(
    r"^([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)
_ORGAN = re.compile(r"(厅|局|委员会|委|人民政府|政府|办公厅|办公室|部|院|中心|会|署|处|所|公司|集团|银行|党委)$")
_TITLE_ISSUER = re.compile(r"^(.{2,30}?(?:厅|局|委员会|人民政府|办公厅|办公室|部|院|中心|署))关于")
_BANNER = re.compile(r"^(.{2,30}?)文件$")
_MAX_TITLE_LINE = 60
_MAX_HEADLINE = 40
_BREADCRUMB = re.compile(
    r"^(?:首页|当前位置|您当前的位置|您的位置)|\s[>＞»]\s|[>＞»]\s*(?:正文|政策文件|通知公告|新闻)"
)
# A web page's facts line: "发布时间：2023-03-01 来源：重庆市税务局 字号：大 中 小", "2024-06-01 10:30 来源：…".
_PAGE_LABELS = (
    "发布时间|发布日期|发文日期|成文日期|日期|时间|来源|信息来源|文章来源|作者|字号|浏览次数|阅读次数|访问次数|点击数"
)
_PAGE_FACTS = re.compile(
    rf"^(?:(?:{_PAGE_LABELS})\s*[:：]"
    r"|\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:$|来源|作者|发布|【))"
)
_PAGE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_PAGE_SOURCE = re.compile(r"来源\s*[:：]\s*([\u4e00-\u9fff（）()]{2,30}?)(?=\s|$|[|｜]|字号|作者|发布|浏览|【)")
_ANY_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_MAX_TITLE_LINES = 3
_HINT_SEARCH_LINES = 15
_SIGNATURE_ZONE = 6
_MAX_SIGNATURE_CHARS = 30


@dataclass(frozen=True)
class Heading:
    rank: int
    text: str
    body: str  # what follows the heading on its own line


def heading_of(line: str) -> Heading | None:
    """The numbered heading a line opens with, or None for a body line (quoted items need context)."""
    for rank, pattern in _HEADING_PATTERNS:
        match = pattern.match(line)
        if match:
            if rank == _ARTICLE_RANK:
                return Heading(rank, match.group(0), line[match.end() :].strip())
            return _split_lead(rank, line)
    return None


def heading_rank(line: str) -> int | None:
    """The rank of the numbered heading a line opens with (0 = 编 … 3 = 条 …), or None."""
    heading = heading_of(line)
    return heading.rank if heading else None


def is_heading(line: str) -> bool:
    return heading_of(line) is not None


def parse_date(line: str) -> str | None:
    """ISO date of a line that is only a Chinese date ("2025年5月23日", "二〇二五年五月二十三日")."""
    compact = re.sub(r"\s+", "", line)
    arabic, chinese = _DATE.match(compact), _CN_DATE.match(compact)
    try:
        if arabic:
            parts = [int(g) for g in arabic.groups()]
        elif chinese:
            parts = [_cn_year(chinese.group(1)), _cn_number(chinese.group(2)), _cn_number(chinese.group(3))]
        else:
            return None
        return Date(*parts).isoformat()
    except (KeyError, ValueError):  # "十十" is no number; 2月30日 is no date
        return None


def parse_document(text: str, metadata: dict[str, Any]) -> ParsedDocument:
    """Title, status, number, issuer, date and sections of a cleaned text; metadata values win.

    A statute (see ``text/statute.py``) gets its article structure: only 编/章/节/条 are headings,
    the 款 and 项 of an article stay in its body, and its history lines become metadata.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = _read_head(lines, metadata.get(TITLE_HINT))
    # A text that is all head (a few short lines) keeps them as its body, so it still has something to search.
    body = lines[head.end :] or lines[len(head.preamble) :]
    title = metadata.get("title") or head.title or metadata.get(TITLE_HINT) or ""
    ranks = [heading_rank(line) for line in body]
    if statute.is_statute(title, ranks.count(_ARTICLE_RANK), ranks.count(_ARTICLE_RANK + 1)):
        return _parse_statute(title, head, body, metadata)
    signature_issuer, signature_date, closing = _read_signature(body)
    issuer = signature_issuer or head.banner_issuer or head.page_issuer or _title_issuer(head.title)
    sections = _sections(head.preamble + body[: len(body) - closing])
    if closing:
        sections.append(Section((), "\n".join(body[-closing:])))
    return ParsedDocument(
        title=title,
        sections=sections,
        issuer=metadata.get("issuer") or issuer,
        date=metadata.get("date") or signature_date or head.page_date,
        doc_number=metadata.get("doc_number") or head.doc_number,
        status=metadata.get("status") or head.status,
        effective_date=metadata.get("effective_date") or statute.effective_date([], "\n".join(body)),
    )


def _parse_statute(title: str, head: _Head, body: list[str], metadata: dict[str, Any]) -> ParsedDocument:
    first_heading = next((i for i, line in enumerate(body) if heading_rank(line) is not None), len(body))
    history = [line for line in body[:first_heading] if statute.is_history_line(line)]
    signature_issuer, signature_date, closing = _read_signature(body)
    kept = [line for line in head.preamble + body[: len(body) - closing] if line not in history]
    sections = _sections(kept, max_rank=_ARTICLE_RANK)
    if closing:
        sections.append(Section((), "\n".join(body[-closing:])))
    enacted = next((_first_date(line) for line in history if "通过" in line or "公布" in line), None)
    return ParsedDocument(
        title=title,
        sections=sections,
        issuer=metadata.get("issuer")
        or signature_issuer
        or head.banner_issuer
        or head.page_issuer
        or statute.enacting_body(history),
        date=metadata.get("date") or signature_date or enacted or head.page_date,
        doc_number=metadata.get("doc_number") or head.doc_number,
        status=metadata.get("status") or head.status,
        kind="statute",
        amendments=statute.amendments(history),
        effective_date=metadata.get("effective_date") or statute.effective_date(history, "\n".join(body)),
    )


def _first_date(line: str) -> str | None:
    match = _ANY_DATE.search(line)
    return parse_date(match.group(0)) if match else None


@dataclass
class _Head:
    title: str | None
    status: str | None
    doc_number: str | None
    banner_issuer: str | None
    preamble: list[str]  # lines met before the title that are not document elements (e.g. web breadcrumbs)
    end: int  # index of the first body line
    page_issuer: str | None = None  # a web page's "来源：…"
    page_date: str | None = None  # a web page's "发布时间：…"


def _read_head(lines: list[str], title_hint: str | None) -> _Head:
    """Read the leading document elements: number, banner, title (1-3 lines) and status.

    Web pages add breadcrumbs before the title and a line of page facts (发布时间、来源、字号) after
    it: the first are kept as preamble, the second read for date and source. A line repeating the
    title is skipped, and a short first line that reads as a headline ("全是干货！…") is the title.
    """
    head = _Head(None, None, None, None, [], 0)
    hinted = _hinted_title_index(lines, title_hint)
    title_lines = [] if hinted is None else [lines[hinted]]
    max_title_lines = _MAX_TITLE_LINES if hinted is None else 1
    if hinted is not None:
        head.preamble = lines[:hinted]
    i = 0 if hinted is None else hinted + 1
    while i < len(lines):
        line = lines[i]
        if status := _STATUS_LINE.match(line):
            head.status = status.group(1)
        elif number := _doc_number_line(line):
            head.doc_number = number
        elif _BREADCRUMB.search(line) and not title_lines:
            head.preamble.append(line)
        elif (banner := _BANNER.match(line)) and not title_lines:
            head.banner_issuer = banner.group(1)
        elif _is_page_facts(line):
            _read_page_facts(line, head)
        elif title_lines and _repeats("".join(title_lines), line):
            pass
        elif len(title_lines) < max_title_lines and _is_title_line(line) and not statute.is_history_line(line):
            title_lines.append(line)
        elif not title_lines and _is_headline(line, lines[i + 1 :]):
            title_lines.append(line)
            max_title_lines = 0
        else:
            break
        i += 1
    head.end = i
    if title_lines:
        title = "".join(title_lines)
        suffix = _STATUS_SUFFIX.search(title)
        if suffix:
            head.status = head.status or suffix.group(1)
            title = title[: suffix.start()]
        head.title = title
    return head


def _repeats(title: str, line: str) -> bool:
    """Whether ``line`` repeats the title (as web pages and copied texts often do), perhaps with a site suffix."""
    return line == title or line.startswith(title) or (len(line) >= 6 and line in title)


def _is_headline(line: str, rest: list[str]) -> bool:
    """A short first line before the body, even with ！ or ？ in it: the headline of a news text."""
    return (
        bool(rest)
        and len(line) <= _MAX_HEADLINE
        and not line.endswith(("。", "：", ":", "；"))
        and not is_heading(line)
        and parse_date(line) is None
    )


def _is_page_facts(line: str) -> bool:
    return len(line) <= 120 and bool(_PAGE_FACTS.match(line))


def _read_page_facts(line: str, head: _Head) -> None:
    """发布时间/日期 and 来源 of a web page's facts line."""
    if (found := _PAGE_DATE.search(line)) and head.page_date is None:
        with contextlib.suppress(ValueError):  # 2月30日 is no date
            head.page_date = Date(*(int(g) for g in found.groups())).isoformat()
    if (source := _PAGE_SOURCE.search(line)) and head.page_issuer is None:
        head.page_issuer = source.group(1)


def _doc_number_line(line: str) -> str | None:
    """The 发文字号 of a line that holds only it (and perhaps 签发人), with brackets normalised to 〔〕."""
    match = _DOC_NUMBER.match(line)
    if not match:
        return None
    rest = line[match.end() :].strip()
    if rest and not rest.startswith("签发人"):
        return None
    return f"{match.group(1)}〔{match.group(2)}〕{match.group(3)}号"


def _hinted_title_index(lines: list[str], hint: str | None) -> int | None:
    """Index of an early line that is (part of) the title hint, e.g. the page heading named by <title>."""
    if not hint:
        return None
    for i, line in enumerate(lines[:_HINT_SEARCH_LINES]):
        if (hint in line or (line in hint and 2 * len(line) >= len(hint))) and _is_title_line(line):
            return i
    return None


def _is_title_line(line: str) -> bool:
    return (
        len(line) <= _MAX_TITLE_LINE
        and not _SENTENCE_END.search(line)
        and not line.endswith(("：", ":"))
        and not is_heading(line)
        and parse_date(line) is None
    )


def _read_signature(body: list[str]) -> tuple[str | None, str | None, int]:
    """Issuer and date of the closing signature block, and how many closing lines (signature, date and
    what follows them) end the body; (None, None, 0) when the last lines hold no date."""
    zone_start = max(0, len(body) - _SIGNATURE_ZONE)
    for i in range(len(body) - 1, zone_start - 1, -1):
        found = parse_date(body[i])
        if found is None:
            continue
        before = body[i - 1] if i > 0 else ""
        signed = len(before) <= _MAX_SIGNATURE_CHARS and bool(_ORGAN.search(before)) and not is_heading(before)
        start = i - 1 if signed else i
        return (before if signed else None), found, len(body) - start
    return None, None, 0


def _title_issuer(title: str | None) -> str | None:
    match = _TITLE_ISSUER.match(title or "")
    return match.group(1) if match else None


def _sections(lines: list[str], max_rank: int | None = None) -> list[Section]:
    """Group lines under their heading paths; a heading without body text gets a section of its own
    unless its content continues in sub-headings (whose paths include it). With ``max_rank``, lower
    headings (a statute's 项 inside an article) stay in the body."""
    quoted = _quoted_item_runs(lines) if max_rank is None else [None] * len(lines)
    sections: list[Section] = []
    stack: list[Heading] = []
    body: list[str] = []

    def flush(next_rank: int | None) -> None:
        opens_child = next_rank is not None and stack and next_rank > stack[-1].rank
        if body or (stack and not opens_child):
            sections.append(Section(tuple(h.text for h in stack), "\n".join(body)))

    for line, quote in zip(lines, quoted, strict=True):
        heading = Heading(_QUOTED_ITEM_RANK, quote[0], quote[1]) if quote else heading_of(line)
        if heading is not None and max_rank is not None and heading.rank > max_rank:
            heading = None
        if heading is None:
            body.append(line)
            continue
        flush(heading.rank)
        while stack and stack[-1].rank >= heading.rank:
            stack.pop()
        stack.append(heading)
        body = [heading.body] if heading.body else []
    flush(None)
    return sections


def _quoted_item_runs(lines: list[str]) -> list[tuple[str, str] | None]:
    """(label, body) for lines in runs of two or more that open with a quoted label; None elsewhere."""
    matches = [_QUOTED_ITEM.match(line) for line in lines]
    result: list[tuple[str, str] | None] = []
    for i, match in enumerate(matches):
        neighbour = (i > 0 and matches[i - 1]) or (i + 1 < len(matches) and matches[i + 1])
        result.append((match.group(1), match.group(2)) if match and neighbour else None)
    return result


def _split_lead(rank: int, line: str) -> Heading:
    """Split "1.加快…建设。聚焦…" into heading "1.加快…建设" and body "聚焦…"."""
    end = _SENTENCE_END.search(line)
    lead, rest = (line[: end.start()], line[end.end() :].strip()) if end else (line, "")
    if len(lead) <= MAX_HEADING_CHARS:
        return Heading(rank, lead, rest)
    return Heading(rank, lead[:MAX_HEADING_CHARS] + "…", line)


def _cn_year(text: str) -> int:
    return int("".join(str(_CN_DIGITS[c]) for c in text))


def _cn_number(text: str) -> int:
    """1-31 written in Chinese: 五, 十, 十二, 二十三, 三十一."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
