"""The format checker: every breach of the 公文 rules in a .txt or .docx, with the line or paragraph it is on.

The document is read as a sequence of lines (a .docx: its paragraphs, tables included, in order) and
split into its parts the way a reader finds them: 版头 (份号, 密级, 紧急程度, 发文机关标志, 发文字号 with
签发人), title, 主送机关, body, 附件说明, 署名 and 成文日期, 附注, 版记 (抄送, 印发). Each part is then held
to its rules. A .docx is also held to the page rules (A4, margins from the 版心).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePath
from typing import Any

from assistant.drafting.doctypes import DOC_TYPE_NAMES, DocType, doc_type, type_in_title
from assistant.drafting.draft import DRAFT_LABEL
from assistant.drafting.numbering import heading_number, parse_chinese_number, read_heading
from assistant.errors import AssistantError

# --- patterns shared with the repair of model output ---

# A sentence that asks the recipient to approve, instruct or support something.
REQUEST = re.compile(
    r"(?<![申邀])请(?:予|求)?(?:批示|批准|审批|审定|批复|核准|指示|支持|协调|解决|审核|同意)|恳请|妥否|当否|是否妥当|请求|拟请"
    r"|(?<![申邀])请[\u4e00-\u9fff]{1,8}?(?:批准|审批|批示|审定|批复|核准|协调解决|给予支持|予以支持)"
)
# Closing formulas of a 请示: the ask itself, not a second request.
REQUEST_CLOSING = re.compile(
    r"^(?:以上请示)?(?:妥否|当否|是否妥当|如无不妥)?[，,]?(?:请|恳请)(?:予)?(?:批示|审批|批复|审定|指示)。?$"
)
SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]*")
BASIS = re.compile(r"(?:根据|按照|依据|依照|贯彻落实|落实)《([^》]{2,80})》")
DATE_LINE = re.compile(
    r"^(?P<y>\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日$"
)
OTHER_DATE_LINE = re.compile(r"^\d{4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}$")
PROPER_DATE = re.compile(r"\d{4}年[1-9]\d?月[1-9]\d?日")
DOC_NUMBER = re.compile(
    r"^(?P<code>[\u4e00-\u9fff]{1,12}?)\s*(?P<open>[〔\[［【(（{〈]?)\s*(?P<year>(?:19|20)\d{2})\s*"
    r"(?P<close>[〕\]］】)）}〉]?)\s*(?P<di>第?)\s*(?P<seq>\d{1,5})\s*(?P<hao>号?)"
)
PROPERDOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,12}〔(?:19|20)\d{2}〕[1-9]\d*号$")
_SIGNER = re.compile(r"签发人\s*[：:]\s*(?P<names>.*)$")
_ORG = re.compile(r"(?:厅|局|委|委员会|办公室|办|政府|部|院|中心|会|处|室|司|署|组|公司|集团|管委会|大学|学校)$")
_END_PUNCT = "。！？!?；;，,、：:.…"
_ATTACHMENT = re.compile(r"^附件\s*(?P<colon>[：:]?)\s*(?P<rest>.*)$")
_ATTACHMENT_ITEM = re.compile(r"^(?P<n>\d{1,2})\s*(?P<dot>[.．、)）]?)\s*(?P<name>.+)$")
_NOT_RECIPIENT = ("根据", "按照", "依据", "为", "经", "现", "会议")  # opening words of a body, not body names
_TITLE_RULES = ("纪要", "命令", "公报", "公告", "通告", "决议")  # types whose titles need not read 关于……的

A4_MM = (210, 297)
MARGINS_MM = {"top": 37, "left": 28, "right": 26, "bottom": 35}
TOLERANCE_MM = 1.0


class CheckError(AssistantError):
    """A file the checker cannot read (wrong type, not a real .docx, not text)."""


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    where: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line or paragraph number in the file
    text: str  # stripped of indentation and trailing spaces


@dataclass
class _Parts:
    head: list[Line]
    doc_number: Line | None
    title: list[Line]
    recipient: Line | None
    body: list[Line]
    attachment: list[Line]
    signature: Line | None
    date: Line | None
    after_date: list[Line]  # 附注 and anything else between the date and the 版记
    cc: list[Line]
    printed: Line | None


class _Checker:
    def __init__(self, lines: list[Line], unit: str, declared: DocType | None) -> None:
        self.lines = [ln for ln in lines if ln.text and ln.text != DRAFT_LABEL and not _is_rule(ln.text)]
        self.unit = unit
        self.declared = declared
        self.findings: list[Finding] = []

    def add(self, rule: str, message: str, line: Line | None) -> None:
        self.findings.append(Finding(rule, message, f"{self.unit} {line.number}" if line else "document"))

    def run(self) -> list[Finding]:
        if not self.lines:
            self.add("empty", "文件中没有文字", None)
            return self.findings
        parts = self._split()
        kind = self._check_title(parts)
        self._check_doc_number(parts, kind)
        self._check_recipient(parts, kind)
        self._check_headings(parts.body)
        self._check_requests(parts, kind)
        self._check_attachment(parts.attachment)
        self._check_signature_and_date(parts, kind)
        self._check_foot(parts)
        return sorted(self.findings, key=_position)

    # --- splitting into parts ---

    def _split(self) -> _Parts:
        lines = self.lines
        head, doc_number, i = _split_head(lines)
        title_end = None
        for n in range(i, min(i + 3, len(lines))):  # a title may be broken over lines
            text = lines[n].text
            if _ends_colon(text) or "。" in text.rstrip("。"):
                break
            if _ends_with_type(text):
                title_end = n + 1
                break
        if title_end is None:  # no line ends with a document type: the title is the first line after the 版头
            title_end = i + 1 if i < len(lines) and not looks_like_recipient(lines[i].text) else i
        title = lines[i:title_end]
        i = title_end

        recipient = None
        if i < len(lines) and looks_like_recipient(lines[i].text):
            recipient = lines[i]
            i += 1

        # From the end: 版记 (印发 line, 抄送), then 附注, then date and signature.
        k = len(lines)
        printed = None
        if k > i and "印发" in lines[k - 1].text and _DATE_ANYWHERE.search(lines[k - 1].text):
            printed = lines[k - 1]
            k -= 1
        cc: list[Line] = []
        while k > i and lines[k - 1].text.startswith("抄送"):
            cc.insert(0, lines[k - 1])
            k -= 1
        date_at = next((n for n in range(k - 1, i - 1, -1) if is_date_line(lines[n].text)), None)
        after_date = lines[date_at + 1 : k] if date_at is not None else []
        end = date_at if date_at is not None else k
        signature = None
        if date_at is not None:
            before = lines[date_at - 1] if date_at - 1 >= i else None
            after = lines[date_at + 1] if date_at + 1 < k else None
            signature_after = after is not None and _looks_like_signature(after.text) and _ORG.search(after.text)
            if (
                before is not None
                and _looks_like_signature(before.text)
                and not (signature_after and not _ORG.search(before.text))
            ):
                signature = before
                end = date_at - 1
            elif signature_after:
                assert after is not None
                self.add(
                    "signature-date-order",
                    f"成文日期应在发文机关署名之下：署名“{after.text}”写在了日期“{lines[date_at].text}”之后",
                    lines[date_at],
                )
                signature = after
                after_date = lines[date_at + 2 : k]
        elif k - 1 >= i and _looks_like_signature(lines[k - 1].text) and _ORG.search(lines[k - 1].text):
            signature = lines[k - 1]  # a 署名 without its date
            end = k - 1
        attachment: list[Line] = []
        a = next((n for n in range(i, end) if _ATTACHMENT.match(lines[n].text) and _attachment_note(lines, n)), None)
        if a is not None:
            attachment = lines[a:end]
            end = a
        return _Parts(
            head=head,
            doc_number=doc_number,
            title=title,
            recipient=recipient,
            body=lines[i:end],
            attachment=attachment,
            signature=signature,
            date=lines[date_at] if date_at is not None else None,
            after_date=after_date,
            cc=cc,
            printed=printed,
        )

    # --- rules ---

    def _check_title(self, parts: _Parts) -> DocType | None:
        if not parts.title:
            self.add(
                "title-missing",
                "找不到标题：标题应由发文机关、事由和文种组成，如《××关于××的通知》",
                parts.body[0] if parts.body else None,
            )
            return self.declared
        line = parts.title[0]
        title = "".join(t.text for t in parts.title)
        bare = title.rstrip(_END_PUNCT + " ")
        if bare != title:
            self.add("title-punctuation", f"标题末尾不加标点符号：“{title}”", line)
        found = type_in_title(bare)
        mixed = re.search(r"(请示报告|报告请示|请示函|意见通知)$", bare)
        if mixed:
            self.add("title-type", f"文种混用：“{mixed.group(1)}”不是一个文种，应只用一个文种（如请示或报告）", line)
            found = None
        elif found is None:
            self.add("title-type", f"标题应以文种结尾（{'、'.join(DOC_TYPE_NAMES)}之一）：“{title}”", line)
        kind = doc_type(found) if found else None
        if self.declared and kind and kind.name != self.declared.name:
            self.add("title-type", f"标题的文种是{kind.name}，而文件按{self.declared.name}检查", line)
        kind = self.declared or kind
        if kind and found and kind.name not in _TITLE_RULES:
            if "关于" not in bare:
                self.add("title-formula", f"标题应为“发文机关＋关于＋事由＋文种”，缺少“关于”：“{title}”", line)
            elif not re.search(rf"关于.+的(?:{'|'.join(DOC_TYPE_NAMES)}|令)$", bare):
                self.add("title-formula", f"标题应为“关于……的{kind.name}”，事由与文种之间缺少“的”：“{title}”", line)
        for doubled in ("关于关于", "的的"):
            if doubled in bare:
                self.add("title-formula", f"标题中“{doubled}”重复：“{title}”", line)
        return kind

    def _check_doc_number(self, parts: _Parts, kind: DocType | None) -> None:
        line = parts.doc_number
        if line is None:
            return
        m = DOC_NUMBER.match(line.text)
        assert m is not None
        number = m.group(0).replace(" ", "")
        expected = f"{m.group('code')}〔{m.group('year')}〕{int(m.group('seq'))}号"
        problems = []
        if (m.group("open"), m.group("close")) != ("〔", "〕"):
            problems.append("年份用六角括号〔〕括入")
        if m.group("di"):
            problems.append("序号前不加“第”")
        if m.group("seq").startswith("0"):
            problems.append("序号不编虚位（不写前导0）")
        if not m.group("hao"):
            problems.append("序号后加“号”")
        if problems:
            self.add("doc-number", f"发文字号应写作“{expected}”：{'，'.join(problems)}（原文“{number}”）", line)
        signer = _SIGNER.search(line.text)
        if kind and kind.upward and not signer:
            self.add("signer-missing", f"{kind.name}是上行文，发文字号所在行应标注“签发人：姓名”", line)
        elif signer and not signer.group("names").strip():
            self.add("signer-missing", "签发人后没有姓名", line)

    def _check_recipient(self, parts: _Parts, kind: DocType | None) -> None:
        line = parts.recipient
        if line is None:
            if kind and "主送机关" in kind.required:
                where = parts.body[0] if parts.body else None
                self.add("recipient-missing", f"{kind.name}应有主送机关，写在标题下一行，以全角冒号结尾", where)
            return
        text = line.text
        if not text.endswith("："):
            got = f"“{text[-1]}”" if text[-1] in _END_PUNCT else "没有冒号"
            self.add("recipient-punctuation", f"主送机关末尾应为全角冒号“：”，现为{got}：“{text}”", line)
        names = [n for n in re.split(r"[、，,；;]", text.rstrip(_END_PUNCT)) if n.strip()]
        if re.search(r"[,;]", text) or "；" in text:
            self.add("recipient-punctuation", f"主送机关之间用顿号“、”或逗号“，”分隔：“{text}”", line)
        if kind and kind.recipients == "one" and len(names) > 1:
            self.add("recipient-count", f"{kind.name}只主送一个机关，这里有{len(names)}个：“{text}”", line)
        if kind and kind.recipients == "none":
            self.add("recipient-unexpected", f"{kind.name}一般不标注主送机关：“{text}”", line)

    def _check_headings(self, body: list[Line]) -> None:
        counters = [0] * 5
        depth = 0
        for line in body:
            mark = read_heading(line.text)
            if mark is None:
                continue
            if not mark.proper:
                self.add(
                    "heading-form",
                    f"第{_LEVEL_NAMES[mark.level]}层序号应写作“{mark.expected}”，写成了“{mark.marker.strip()}”",
                    line,
                )
            if mark.level > depth + 1:
                above = "".join(f"“{heading_number(k, 1)}”" for k in range(depth + 1, mark.level))
                self.add(
                    "heading-jump",
                    f"结构层次跳级：“{mark.marker.strip()}”之上缺少{above}一层（层次依次为一、（一）1.（1））",
                    line,
                )
            expected = counters[mark.level] + 1
            if mark.n != expected:
                want = heading_number(mark.level, expected)
                what = "重复" if mark.n < expected else "跳号"
                self.add("heading-numbering", f"序号{what}：此处应为“{want}”，写成了“{mark.marker.strip()}”", line)
            counters[mark.level] = mark.n
            for deeper in range(mark.level + 1, 5):
                counters[deeper] = 0
            depth = mark.level

    def _check_requests(self, parts: _Parts, kind: DocType | None) -> None:
        if kind is None or kind.requests == "any":
            return
        asks = [(line, s) for line, s in _sentences(parts.body) if REQUEST.search(s) and not REQUEST_CLOSING.match(s)]
        closings = [line for line, s in _sentences(parts.body) if REQUEST_CLOSING.match(s)]
        if kind.requests == "none":
            for line, sentence in asks + [(c, c.text) for c in closings]:
                self.add("report-request", f"报告中不得夹带请示事项：“{sentence}”", line)
            return
        count = sum(len(REQUEST.findall(s)) for _, s in asks)
        if count > 1:
            quoted = "”“".join(s for _, s in asks[:3])
            self.add(
                "request-several",
                f"请示应一文一事，这里提出了{count}项请求：“{quoted}”",
                asks[1][0] if len(asks) > 1 else asks[0][0],
            )
        if not asks and not closings:
            self.add(
                "request-missing",
                "请示应写明请求事项，并以“妥否，请批示。”等语结尾",
                parts.body[-1] if parts.body else None,
            )
        if not any("联系人" in ln.text for ln in parts.after_date):
            self.add(
                "request-contact", "请示应在附注处注明联系人和联系电话，如“（联系人：×××；联系电话：×××）”", parts.date
            )

    def _check_attachment(self, lines: list[Line]) -> None:
        if not lines:
            return
        first = _ATTACHMENT.match(lines[0].text)
        assert first is not None
        if first.group("colon") != "：":
            self.add("attachment-note", f"“附件”后应为全角冒号“：”：“{lines[0].text}”", lines[0])
        items = [(lines[0], first.group("rest"))] + [(ln, ln.text) for ln in lines[1:]]
        numbered = [(ln, _ATTACHMENT_ITEM.match(text)) for ln, text in items]
        if len(items) > 1:
            for n, (ln, m) in enumerate(numbered, 1):
                if m is None:
                    self.add("attachment-note", f"有多个附件时应用阿拉伯数字标注顺序号，如“{n}. 名称”：“{ln.text}”", ln)
                elif int(m.group("n")) != n:
                    self.add("attachment-note", f"附件顺序号应为“{n}.”，写成了“{m.group('n')}{m.group('dot')}”", ln)
                elif m.group("dot") != ".":
                    self.add("attachment-note", f"附件顺序号后用“.”：“{m.group('n')}{m.group('dot')}”应为“{n}.”", ln)
        for ln, text in items:
            if text.rstrip() and text.rstrip()[-1] in "。.；;，,":
                self.add("attachment-note", f"附件名称后不加标点符号：“{text}”", ln)

    def _check_signature_and_date(self, parts: _Parts, kind: DocType | None) -> None:
        needs = kind is None or "成文日期" in kind.required
        if parts.date is None:
            if needs:
                self.add(
                    "date-missing",
                    "找不到成文日期：应在发文机关署名下一行，如“2026年7月1日”",
                    parts.body[-1] if parts.body else None,
                )
            return
        self._check_date_form(parts.date, "成文日期")
        if parts.signature is None and (kind is None or "发文机关署名" in kind.required):
            self.add("signature-missing", "成文日期之上应有发文机关署名", parts.date)

    def _check_date_form(self, line: Line, what: str) -> None:
        text = line.text
        m = DATE_LINE.match(text) or _DATE_ANYWHERE.search(text)
        if m is None:
            self.add("date-form", f"{what}应写作“2026年7月1日”的形式：“{text}”", line)
            return
        raw = m.group(0)
        if PROPER_DATE.fullmatch(raw.replace(" ", "")):
            return
        fixed = _fixed_date(m)
        hint = f"，应为“{fixed}”" if fixed else ""
        self.add("date-form", f"{what}用阿拉伯数字写全年份，月、日不编虚位：“{raw}”{hint}", line)

    def _check_foot(self, parts: _Parts) -> None:
        for line in parts.cc:
            text = line.text
            if not text.startswith("抄送："):
                self.add("cc-form", f"抄送机关应以“抄送：”（全角冒号）开头：“{text}”", line)
            if not text.endswith("。"):
                self.add("cc-form", f"抄送机关最后一个机关名称后标句号：“{text}”", line)
            if re.search(r"[,;]", text):
                self.add("cc-form", f"抄送机关之间用顿号“、”或逗号“，”分隔：“{text}”", line)
        if parts.printed:
            self._check_date_form(parts.printed, "印发日期")
        for line in parts.after_date:
            if line.text.startswith(("（", "(")) and not line.text.startswith("（"):
                self.add("note-form", f"附注用全角圆括号括入：“{line.text}”", line)


_LEVEL_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}


def _position(finding: Finding) -> int:
    """Sort key: findings in the order of the lines they are on, whole-document ones first."""
    number = finding.where.rpartition(" ")[2]
    return int(number) if number.isdigit() else 0


_DATE_ANYWHERE = re.compile(
    r"(?P<y>\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日|\d{4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}"
)


def _fixed_date(m: re.Match[str]) -> str | None:
    """The date in the proper form, when the parts can be read."""
    if m.group("y") is None:  # 2026-07-01, 2026.7.1
        year, month, day = (int(x) for x in re.findall(r"\d+", m.group(0)))
        return f"{year}年{month}月{day}日"
    y, mo, d = m.group("y"), m.group("m"), m.group("d")
    year = int(y) if y.isdigit() else int("".join(str("〇一二三四五六七八九".index(c)) for c in y.replace("零", "〇")))
    month = int(mo) if mo.isdigit() else parse_chinese_number(mo)
    day = int(d) if d.isdigit() else parse_chinese_number(d)
    return f"{year}年{month}月{day}日" if month and day else None


def _split_head(lines: list[Line]) -> tuple[list[Line], Line | None, int]:
    """The 版头 lines, the 发文字号 line (or None) and where the title starts.

    Everything before a 发文字号 is 版头. Without one, the 版头 is the lines before the first line that
    ends with a document type, except the lines of a title broken over several lines (they read 关于).
    """
    for n in range(min(8, len(lines))):
        text = lines[n].text
        if "关于" in text or _ends_colon(text):
            break
        if DOC_NUMBER.match(text) and not is_date_line(text):
            return lines[:n], lines[n], n + 1
    start = next((n for n in range(min(8, len(lines))) if _ends_with_type(lines[n].text)), None)
    if start is None:
        n = 0
        while n < len(lines) and _is_head_line(lines[n].text):
            n += 1
        return lines[:n], None, n
    if start + 1 < len(lines) and lines[start].text.endswith("纪要") and lines[start + 1].text.endswith("纪要"):
        start += 1  # a 纪要's mark (××会议纪要) above its title
    while start > 0 and "关于" in lines[start - 1].text and not _is_head_line(lines[start - 1].text):
        start -= 1
    return lines[:start], None, start


def _is_rule(text: str) -> bool:
    """A drawn separator line (──, ━━, ———), not text."""
    return len(text) >= 3 and not re.search(r"[^\-—─━_=＿～~\s]", text)


def _is_head_line(text: str) -> bool:
    """份号, 密级, 紧急程度 or 发文机关标志: the 版头 lines before the 发文字号."""
    return bool(
        re.fullmatch(r"\d{6}", text)
        or text.startswith(("绝密", "机密", "秘密", "特急", "加急"))
        or (text.endswith("文件") and "关于" not in text and len(text) <= 30)
    )


def _ends_with_type(text: str) -> bool:
    return type_in_title(text.rstrip(_END_PUNCT + " ")) is not None and "。" not in text[:-1]


def _ends_colon(text: str) -> bool:
    return text.endswith(("：", ":"))


def looks_like_recipient(text: str) -> bool:
    """主送机关: a short line of body names, normally ending with a colon."""
    if len(text) > 120 or "。" in text or "《" in text or read_heading(text) or text.startswith(_NOT_RECIPIENT):
        return False
    if _ends_colon(text):
        return not re.search(r"如下[：:]$", text)
    names = re.split(r"[、，,；;]", text.rstrip(_END_PUNCT))
    return len(text) <= 60 and all(_ORG.search(n.strip()) for n in names if n.strip())


def _looks_like_signature(text: str) -> bool:
    return (
        len(text) <= 40
        and text[-1] not in _END_PUNCT
        and not is_date_line(text)
        and not text.startswith(("（", "(", "附件"))
        and not _ATTACHMENT_ITEM.match(text)
        and read_heading(text) is None
    )


def is_date_line(text: str) -> bool:
    return bool(DATE_LINE.match(text) or OTHER_DATE_LINE.match(text))


def _is_sentence(text: str) -> bool:
    return text[-1] in "。！？"


def _attachment_note(lines: list[Line], n: int) -> bool:
    """ "附件：名称" is a note; "附件1" heading an attachment page is not."""
    m = _ATTACHMENT.match(lines[n].text)
    return bool(m and m.group("rest") and (m.group("colon") or _ATTACHMENT_ITEM.match(m.group("rest"))))


def _sentences(lines: list[Line]) -> Iterator[tuple[Line, str]]:
    for line in lines:
        for m in SENTENCE.finditer(line.text):
            if m.group(0).strip():
                yield line, m.group(0).strip()


def text_lines(text: str) -> list[Line]:
    return [Line(n, raw.strip(" \u3000\t\r")) for n, raw in enumerate(text.splitlines(), 1)]


def check_text(text: str, doc_type_name: str | None = None) -> list[Finding]:
    """Findings for a plain-text document (lines numbered from 1)."""
    declared = doc_type(doc_type_name) if doc_type_name else None
    return _Checker(text_lines(text), "line", declared).run()


def check_docx(data: bytes, doc_type_name: str | None = None) -> list[Finding]:
    """Findings for a .docx: its paragraphs (numbered from 1, tables included) and its page set-up."""
    from docx import Document
    from docx.oxml.ns import qn

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for files that are not Word documents
        raise CheckError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    paragraphs = document.element.body.iter(qn("w:p"))
    lines = [
        Line(n, "".join(t.text or "" for t in p.iter(qn("w:t"))).strip(" \u3000\t"))
        for n, p in enumerate(paragraphs, 1)
    ]
    declared = doc_type(doc_type_name) if doc_type_name else None
    return _page_findings(document) + _Checker(lines, "paragraph", declared).run()


def _page_findings(document: Any) -> list[Finding]:
    findings = []
    for n, section in enumerate(document.sections, 1):
        where = f"section {n}"
        if section.page_width is None or section.page_height is None:
            continue
        size = (section.page_width.mm, section.page_height.mm)
        if any(abs(a - b) > TOLERANCE_MM for a, b in zip(size, A4_MM, strict=True)):
            findings.append(
                Finding("page-size", f"纸张应为A4（210mm×297mm），现为{size[0]:.0f}mm×{size[1]:.0f}mm", where)
            )
        for side, expected in MARGINS_MM.items():
            value = getattr(section, f"{side}_margin")
            if value is not None and abs(value.mm - expected) > TOLERANCE_MM:
                name = {"top": "天头（上白边）", "left": "订口（左白边）", "right": "右白边", "bottom": "下白边"}[side]
                findings.append(Finding("page-margins", f"{name}应为{expected}mm±1mm，现为{value.mm:.1f}mm", where))
    return findings


def check_file(path: Path, doc_type_name: str | None = None) -> list[Finding]:
    """Findings for a .txt or .docx file."""
    if not path.is_file():
        raise CheckError(f"no such file: {path}")
    return check_document(path.read_bytes(), path.name, doc_type_name)


def check_document(data: bytes, name: str, doc_type_name: str | None = None) -> list[Finding]:
    """Findings for a document's bytes, read as .docx or as text by its file name."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".docx":
        return check_docx(data, doc_type_name)
    if suffix in (".txt", ".md", ""):
        return check_text(_decoded(data, name), doc_type_name)
    raise CheckError(f"{name}: the checker reads .txt and .docx files, not {suffix}")


def _decoded(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CheckError(f"{name} is neither UTF-8 nor GB18030 text")
