"""From what the model wrote to a well-formed body: parse, clean, renumber, and hold it to its type's rules.

Small models write imperfect text: Markdown, their own title and signature, headings numbered "1." at
the top and "（1）" below, skipped or repeated numbers, a last sentence cut off by the token limit, a
request in a 报告, three requests in a 请示, no basis cited, or a basis that is not among the passages.
Each of these is repaired here, and each repair is recorded so the reviewer knows what the program changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.drafting.check import (
    BASIS,
    DATE_LINE,
    REQUEST,
    REQUEST_CLOSING,
    SENTENCE,
    is_date_line,
    looks_like_recipient,
)
from assistant.drafting.doctypes import DocType, type_in_title
from assistant.drafting.draft import Paragraph, paragraph_text
from assistant.drafting.numbering import read_heading

# A heading phrase is short; a longer first sentence is body text under a bare number.
MAX_HEADING_CHARS = 30
# A clause this long that repeats an earlier one is a loop of the model, not emphasis.
MIN_REPEATED_CLAUSE = 8
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MARKDOWN = re.compile(r"^(?:#{1,6}\s*|>\s*|[-*+•·]\s+)")
_EMPHASIS = re.compile(r"\*\*|__|`")
_META = re.compile(
    r"^(?:标题|主送(?:机关)?|正文|落款|署名|发文机关|成文日期|日期|附件|抄送|印发|签发人|发文字号)\s*[：:]"
)
_CLOSINGS = re.compile(
    r"^(?:特此(?:通知|报告|通报|函告|函复|批复)|此复|专此(?:报告|函达)|请予研究函复|以上(?:报告|意见)?.{0,6}(?:请审阅|供参考))。?$"
)
_HALF_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_END = "。！？；：”）"
_STRAY_START = "，,、.．。：:；; \u3000"  # punctuation a paragraph cannot start with
_ATTACHMENT_START = re.compile(r"^附件\s*(?=[：:\d])[：:]?\s*")


@dataclass
class Context:
    """What the program knows about the draft, to tell the model's echoes and inventions from its body."""

    title: str
    issuer: str
    recipients: list[str]
    subject: str
    points: list[str]
    basis: list[str]  # titles of the grounding documents, best first, as they are cited
    opening: str = ""  # a fixed first paragraph the program writes (a 批复's reference to the 请示)


@dataclass
class Repaired:
    body: list[Paragraph]
    repairs: list[str] = field(default_factory=list)


def repair_body(raw: str, spec: DocType, ctx: Context) -> Repaired:
    """The body of a ``spec`` document from the model's ``raw`` text; the closing formula is not included."""
    out = Repaired([])
    lines = _clean_lines(_cut_unfinished(raw, out), ctx, out)
    body = _dedupe(_parse(lines, out), out)
    body = _trim_end(body, out)
    body = _drop_empty_sections(_apply_request_rule(body, spec, out), out)
    if not any(len(paragraph_text(p)) >= 10 for p in body):
        out.repairs.append("模型没有写出可用的正文，正文暂按要点列出，请起草人补充")
        body = [Paragraph(0, "", _sentence(point)) for point in ctx.points]
    body = _cite_basis(body, spec, ctx, out)
    if ctx.opening:
        body.insert(0, Paragraph(0, "", ctx.opening))
    out.body = _without_jumps(_clean_starts(body))
    return out


def _clean_starts(body: list[Paragraph]) -> list[Paragraph]:
    """No paragraph a reader would take for another element: one starting with a second number or "附件：",
    a date standing alone, or a first paragraph that reads like a 主送 line."""
    cleaned = []
    for p in body:
        p.heading = _clean_start(p.heading)
        if not p.heading:
            p.text = _clean_start(p.text)
        if (p.heading or p.text) and not (not p.level and is_date_line(p.text)):
            cleaned.append(p)
    if cleaned and not cleaned[0].level and looks_like_recipient(cleaned[0].text):
        cleaned[0].text = cleaned[0].text.rstrip("：:，,、") + "。"
    return cleaned


def _clean_start(text: str) -> str:
    while True:
        mark = read_heading(text)
        if mark is not None:
            text = mark.rest.lstrip(" \u3000")
        elif _ATTACHMENT_START.match(text) or (text and text[0] in _STRAY_START):
            text = _ATTACHMENT_START.sub("", text, count=1).lstrip(_STRAY_START)
        else:
            return text


def _without_jumps(body: list[Paragraph]) -> list[Paragraph]:
    """No heading deeper than one level below the heading it follows (after removals the rest moves up)."""
    depth = 0
    for p in body:
        if p.level:
            p.level = min(p.level, depth + 1)
            depth = p.level
    return body


def _cut_unfinished(raw: str, out: Repaired) -> str:
    """The text up to the end of its last finished sentence or line: the token limit cuts mid-sentence."""
    text = raw.rstrip()
    if not text or text[-1] in _END:
        return text
    out.repairs.append("删去了末尾未写完的句子")
    return text[: max(text.rfind(ch) for ch in "。！？；：\n") + 1]


def _clean_lines(raw: str, ctx: Context, out: Repaired) -> list[str]:
    """Body lines without Markdown, echoes of the elements the program writes, closings and chatter."""
    text = re.sub(r"```[a-z]*", "", raw)
    dropped: list[str] = []
    lines = []
    for raw_line in text.splitlines():
        line = _EMPHASIS.sub("", _MARKDOWN.sub("", raw_line.strip(" \u3000\t"))).strip(" \u3000\t")
        line = re.sub(r"(?<=[\u4e00-\u9fff）》”])[,;:?!()]|[,;:?!()](?=[\u4e00-\u9fff（《“])", _full_width, line)
        if not line:
            continue
        if not _CJK.search(line) or _is_echo(line, ctx) or _CLOSINGS.match(line) or REQUEST_CLOSING.match(line):
            dropped.append(line)
        else:
            lines.append(line)
    if dropped:
        out.repairs.append(f"删去模型写的标题、主送、落款、结束语等{len(dropped)}行（这些要素由程序生成）")
    return lines


def _full_width(m: re.Match[str]) -> str:
    return _HALF_WIDTH[m.group(0)]


def _is_echo(line: str, ctx: Context) -> bool:
    """A line repeating an element the program assembles: title, 主送, 署名, date, attachments, labels."""
    bare = line.rstrip("：:。 ")
    if bare in (ctx.title, ctx.issuer) or _META.match(line) or DATE_LINE.match(line):
        return True
    if "关于" in bare and type_in_title(bare) and "。" not in line and len(line) <= 60:
        return True
    names = [n for n in re.split(r"[、，,]", bare) if n]
    return bool(line.endswith(("：", ":")) and names and all(n in ctx.recipients or n.startswith("各") for n in names))


def _parse(lines: list[str], out: Repaired) -> list[Paragraph]:
    """Paragraphs with heading levels mapped from the forms the model used, in order of nesting.

    The first form seen is level 1, a form first seen under it is level 2, and so on; a form seen
    before returns to its level. So "1." at the top becomes 一、 and "（1）" under it becomes （一）.
    """
    stack: list[int] = []  # the form levels of the open headings, outermost first
    body: list[Paragraph] = []
    changed = False
    for line in lines:
        mark = read_heading(line)
        if mark is None:
            body.append(Paragraph(0, "", line))
            continue
        while stack and stack[-1] > mark.level:
            stack.pop()
        if stack and stack[-1] == mark.level:
            stack.pop()
        if len(stack) == 4:
            stack.pop()
        stack.append(mark.level)
        level = len(stack)
        changed = changed or level != mark.level or not mark.proper
        body.extend(_heading(level, mark.rest.strip(" \u3000")))
    if changed:
        out.repairs.append("按“一、（一）1.（1）”的层次重排了标题序号")
    return body


def _heading(level: int, rest: str) -> list[Paragraph]:
    """A heading line split into its heading phrase and the text run on after it.

    A short heading phrase stands on its own line without end punctuation; followed by text, a first-level
    heading's text becomes the next paragraph and lower levels run it on after "phrase。". A long first
    sentence is no heading phrase: it follows the bare number.
    """
    first, stop, after = rest.partition("。")
    phrase = first.rstrip("：:，,；;")
    if stop and phrase and after.strip() and len(first) <= MAX_HEADING_CHARS:
        text = after.strip()
        if level == 1:
            return [Paragraph(1, phrase, ""), Paragraph(0, "", _sentence(text))]
        return [Paragraph(level, phrase + "。", _sentence(text))]
    if len(rest.rstrip(_END)) <= MAX_HEADING_CHARS:
        return [Paragraph(level, rest.rstrip(_END + "，,；;、"), "")]
    return [Paragraph(level, "", _sentence(rest))]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in _END else text.rstrip("，,、；;") + "。"


def _dedupe(body: list[Paragraph], out: Repaired) -> list[Paragraph]:
    """Without repeated paragraphs and sentences (small models loop)."""
    seen_paragraphs: set[str] = set()
    seen_sentences: set[str] = set()
    kept, removed = [], 0
    seen_clauses: set[str] = set()
    for p in body:
        if p.text:
            sentences = [s for s in (m.group(0) for m in SENTENCE.finditer(p.text)) if s.strip()]
            fresh = [s for s in sentences if s not in seen_sentences or len(s) < 6]
            removed += len(sentences) - len(fresh)
            seen_sentences.update(fresh)
            kept_clauses = [_fresh_clauses(s, seen_clauses) for s in fresh]
            removed += sum(1 for s, k in zip(fresh, kept_clauses, strict=True) if s != k)
            p = Paragraph(p.level, p.heading, "".join(kept_clauses))
            if not p.text and not p.heading:
                continue
        key = paragraph_text(p)
        if key in seen_paragraphs:
            removed += 1
            continue
        seen_paragraphs.add(key)
        kept.append(p)
    if removed:
        out.repairs.append(f"删去重复的句子或段落{removed}处")
    return kept


def _fresh_clauses(sentence: str, seen: set[str]) -> str:
    """``sentence`` without the clauses (of 8 characters or more) an earlier sentence already had."""
    clauses = re.findall(r"[^，；]+[，；]?", sentence)
    kept = []
    for clause in clauses:
        key = clause.rstrip("，；。！？")
        if len(key) >= MIN_REPEATED_CLAUSE and key in seen and kept:
            continue
        seen.add(key)
        kept.append(clause)
    text = "".join(kept)
    if text != sentence and text[-1:] in ("，", "；"):
        text = text[:-1] + sentence[-1] if sentence[-1] in "。！？" else text[:-1] + "。"
    return text


def _drop_empty_sections(body: list[Paragraph], out: Repaired) -> list[Paragraph]:
    """Without first-level headings that nothing follows before the next one (a section the model left empty)."""
    kept = []
    for i, p in enumerate(body):
        following = body[i + 1] if i + 1 < len(body) else None
        empty = p.level == 1 and not p.text and (following is None or following.level == 1)
        if empty:
            out.repairs.append(f"删去了没有内容的标题“{p.heading}”")
        else:
            kept.append(p)
    return kept


def _trim_end(body: list[Paragraph], out: Repaired) -> list[Paragraph]:
    """Cut a last sentence the token limit broke off, and headings with nothing under them at the end."""
    while body:
        last = body[-1]
        if last.level and last.level <= 2 and not last.text:
            body.pop()
            out.repairs.append("删去了末尾没有内容的标题")
        elif last.text and last.text[-1] not in _END:
            cut = last.text[: last.text.rfind("。") + 1]
            body[-1] = Paragraph(last.level, last.heading, cut)
            if not cut and not last.heading:
                body.pop()
            out.repairs.append("删去了末尾未写完的句子")
        else:
            return body
    return body


def _apply_request_rule(body: list[Paragraph], spec: DocType, out: Repaired) -> list[Paragraph]:
    """A 报告 asks nothing; a 请示 asks one thing (the first the model wrote; the closing formula asks it)."""
    if spec.requests == "any":
        return body
    kept_one = False
    removed: list[str] = []
    result = []
    for p in body:
        heading = p.heading
        asks = len(REQUEST.findall(heading))
        if asks and (spec.requests == "none" or kept_one or asks > 1):
            removed.append(heading)
            heading = ""
        kept_one = kept_one or asks == 1
        sentences = []
        for m in SENTENCE.finditer(p.text):
            s = m.group(0)
            asks = len(REQUEST.findall(s))
            if asks and (spec.requests == "none" or kept_one or asks > 1):
                removed.append(s.strip())
                continue
            kept_one = kept_one or asks == 1
            sentences.append(s)
        text = "".join(sentences)
        if not text.strip() and not heading:
            continue
        result.append(Paragraph(p.level if heading else 0, heading, text))
    if removed:
        what = "报告中不得夹带请示事项" if spec.requests == "none" else "请示一文一事，只保留一项请求"
        out.repairs.append(f"{what}，删去{len(removed)}句：" + "".join(removed)[:120])
    return result


def _cite_basis(body: list[Paragraph], spec: DocType, ctx: Context, out: Repaired) -> list[Paragraph]:
    """The body cites a grounding document as its basis (根据《……》), in its opening paragraph.

    A cited title that is none of the grounding documents is replaced by the best one: the model
    must not invent its basis.
    """
    if not ctx.basis:
        return body
    known = [_bare_title(t) for t in ctx.basis]
    fixed = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal fixed
        title = _bare_title(m.group(1))
        if any(title and (title in k or k in title) for k in known):
            return m.group(0)
        fixed += 1
        return m.group(0).replace(m.group(1), ctx.basis[0])

    for p in body:
        p.text = BASIS.sub(replace, p.text)
    if fixed:
        out.repairs.append(f"把{fixed}处不在检索结果中的依据文件替换为《{ctx.basis[0]}》")
    if any(BASIS.search(paragraph_text(p)) for p in body):
        return body
    out.repairs.append(f"在开头补充了依据：根据《{ctx.basis[0]}》")
    first = body[0] if body else None
    if first is not None and first.level == 0:
        joiner = "，" if first.text.startswith("为") else "有关要求，"
        first.text = f"根据《{ctx.basis[0]}》{joiner}{first.text}"
        if first.text.endswith("。") and len(body) > 1 and body[1].level and spec.opening_tail:
            first.text += spec.opening_tail
        return body
    opening = f"根据《{ctx.basis[0]}》有关要求，结合工作实际，{spec.opening_tail or '提出以下意见。'}"
    return [Paragraph(0, "", opening), *body]


def _bare_title(title: str) -> str:
    """A title without its status note and spaces, for comparing citations."""
    return re.sub(r"[（(][^）)]*稿[）)]|\s", "", title)
