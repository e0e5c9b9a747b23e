"""A draft 公文 as structured data: its elements as fields, its body as numbered paragraphs.

``Paragraph`` levels are 0 (plain text) and 1..4 (headings); the numbers are not stored but derived
from the sequence of levels, so a draft cannot have gaps or jumps in its numbering. ``render_text``
lays the draft out as plain text in the order of GB/T 9704-2012, which the checker reads back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from assistant.drafting.doctypes import doc_type
from assistant.drafting.numbering import heading_number
from assistant.retrieval.citation import Citation

# The visible mark that a file is an AI-assisted draft awaiting review; the checker skips this line.
DRAFT_LABEL = "【草稿】本文稿由人工智能辅助生成，须经人工审核后方可印发。"
PROVIDER = "政务助手（离线部署）"
INDENT = "\u3000\u3000"  # two full-width spaces: the first-line indent of body paragraphs in plain text


@dataclass
class Paragraph:
    """One body paragraph; a heading (level 1..4) may carry text after its heading phrase."""

    level: int = 0
    heading: str = ""
    text: str = ""


@dataclass
class Draft:
    """Every element of one document; fields left empty are elements the document does not carry."""

    id: str
    doc_type: str
    issuer: str
    title: str
    recipients: list[str]
    body: list[Paragraph]
    date: date | None
    doc_number: str = ""
    signer: str = ""  # 签发人, upward documents only
    mark: str = ""  # 发文机关标志
    signature: str = ""  # 发文机关署名
    attachments: list[str] = field(default_factory=list)
    note: str = ""  # 附注, with its parentheses
    cc: list[str] = field(default_factory=list)
    printer: str = ""  # 印发机关
    print_date: date | None = None
    citations: list[Citation] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)  # what the program changed in the model's body
    model: str = ""
    created_at: str = ""
    label: str = DRAFT_LABEL

    @property
    def numbered_body(self) -> list[tuple[str, Paragraph]]:
        """Each paragraph with its heading number ("" for plain text), counted per level under its parent."""
        counters = [0] * 5
        out = []
        for p in self.body:
            if p.level:
                counters[p.level] += 1
                for deeper in range(p.level + 1, 5):
                    counters[deeper] = 0
                out.append((heading_number(p.level, counters[p.level]), p))
            else:
                out.append(("", p))
        return out

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["print_date"] = self.print_date.isoformat() if self.print_date else None
        data["body"] = [{"number": number, **asdict(p)} for number, p in self.numbered_body]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        values = dict(data)
        values["body"] = [Paragraph(p["level"], p["heading"], p["text"]) for p in data["body"]]
        values["citations"] = [Citation(**c) for c in data.get("citations", [])]
        for key in ("date", "print_date"):
            values[key] = date.fromisoformat(data[key]) if data.get(key) else None
        return cls(**values)

    def elements(self) -> dict[str, Any]:
        """The elements by their GB/T 9704-2012 names, as the API returns them."""
        return {
            "发文机关标志": self.mark,
            "发文字号": self.doc_number,
            "签发人": self.signer,
            "标题": self.title,
            "主送机关": self.recipients,
            "正文": [(number + paragraph_text(p)) for number, p in self.numbered_body],
            "附件说明": attachment_lines(self.attachments),
            "发文机关署名": self.signature,
            "成文日期": date_text(self.date) if self.date else "",
            "附注": self.note,
            "抄送机关": self.cc,
            "印发机关和印发日期": print_line_parts(self) if self.printer else [],
        }


def date_text(day: date) -> str:
    """成文日期 form: Arabic numerals, year in full, no zero padding (2026年7月1日)."""
    return f"{day.year}年{day.month}月{day.day}日"


def paragraph_text(p: Paragraph) -> str:
    """The paragraph after its number: the heading phrase, then any text run on after it."""
    return p.heading + p.text if p.heading else p.text


def attachment_lines(attachments: list[str]) -> list[str]:
    """附件说明 lines: "附件：名称", or numbered "附件：1. 名称" with further names aligned under the first."""
    if not attachments:
        return []
    if len(attachments) == 1:
        return [f"附件：{attachments[0]}"]
    return [("附件：" if i == 1 else "\u3000\u3000\u3000") + f"{i}. {name}" for i, name in enumerate(attachments, 1)]


def cc_line(cc: list[str]) -> str:
    return f"抄送：{'、'.join(cc)}。"


def print_line_parts(draft: Draft) -> list[str]:
    day = draft.print_date or draft.date
    return [draft.printer, f"{date_text(day)}印发" if day else ""]


def number_line(draft: Draft) -> str:
    """The 发文字号 line; upward documents carry the 签发人 on it."""
    if doc_type(draft.doc_type).upward and draft.signer:
        return f"{draft.doc_number}{INDENT * 2}签发人：{draft.signer}"
    return draft.doc_number


def render_text(draft: Draft) -> str:
    """The draft as plain text in GB/T 9704-2012 order: 版头, 主体, 版记; the draft label first."""
    lines = [draft.label, draft.mark]
    if draft.doc_number:
        lines.append(number_line(draft))
    lines += ["", draft.title, ""]
    if draft.recipients:
        lines.append("、".join(draft.recipients) + "：")
    lines += [INDENT + number + paragraph_text(p) for number, p in draft.numbered_body]
    if draft.attachments:
        lines.append("")
        lines += [INDENT + line for line in attachment_lines(draft.attachments)]
    if draft.signature or draft.date:
        lines.append("")
        lines += [x for x in (draft.signature, date_text(draft.date) if draft.date else "") if x]
    if draft.note:
        lines += ["", INDENT + draft.note]
    if draft.cc or draft.printer:
        lines.append("")
        if draft.cc:
            lines.append(cc_line(draft.cc))
        if draft.printer:
            printer, printed = print_line_parts(draft)
            lines.append(f"{printer}{INDENT * 2}{printed}")
    return "\n".join(lines) + "\n"
