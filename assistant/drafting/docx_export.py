"""A draft as a .docx in the GB/T 9704-2012 layout (python-docx).

A4 with the 版心 (156 × 225 mm) placed 37 mm from the top and 28 mm from the left; 22 lines of 28
characters of 3号仿宋 (exact line spacing 28.95 pt, characters condensed to 15.75 pt);
the red 发文机关标志 35 mm below the top of the 版心 and the red rule under the 发文字号; heading faces by
level; the 版记 between its rules after the date; page numbers "— 1 —" at the
right of odd and the left of even pages. The proprietary faces are named in the file with their
east-Asian font setting; the export says which of them this machine does not have. A draft's file
(``export_docx``) carries the implicit AI-generated label of GB 45438-2025 in its custom properties and
is marked as a draft; ``layout`` gives the same layout unmarked, for documents that are not model output
(the case notices of assistant/cases/notices.py), which mark themselves.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from assistant.drafting.doctypes import doc_type
from assistant.drafting.draft import (
    PROVIDER,
    Draft,
    attachment_lines,
    cc_line,
    date_text,
    print_line_parts,
)

FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
FONTS = (FANGSONG, KAITI, HEITI, XIAOBIAOSONG, SONGTI)
HEADING_FONTS = {1: HEITI, 2: KAITI, 3: FANGSONG, 4: FANGSONG}

# Sizes by their Chinese names.
SIZE_2 = Pt(22)  # 二号: the title
SIZE_3 = Pt(16)  # 三号: body
SIZE_4 = Pt(14)  # 四号: 版记, page numbers
MARK_MAX = 36  # 发文机关标志 size in pt (小初), smaller when a long name would not fit

PAGE_MM = (210, 297)
MARGIN_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BLOCK_WIDTH_MM = 156
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines, rounded down so 22 lines fit
CHAR_PITCH_PT = BLOCK_WIDTH_MM / 25.4 * 72 / CHARS_PER_LINE  # 15.79 pt: 28 characters across 156 mm
CONDENSE_TWENTIETHS = 5  # 16 pt - 0.25 pt = 15.75 pt per character, just under the pitch
MARK_TOP = Mm(35)  # top of the 发文机关标志 below the top of the 版心
RULE_GAP_PT = 11  # the red rule 4 mm below the 发文字号 line
PAGE_NUMBER_GAP_MM = 7  # page number 7 mm below the 版心
RED = RGBColor(0xFF, 0x00, 0x00)
THICK_RULE = 8  # eighths of a point: 1 pt ≈ 0.35 mm, the 版记's first and last rules
THIN_RULE = 6  # 0.75 pt ≈ 0.25 mm, the rules between
RED_RULE = 12


@dataclass
class Exported:
    data: bytes
    unverified_fonts: list[str]  # faces named in the file that this machine does not have


def export_docx(draft: Draft) -> Exported:
    document = layout(draft)
    _draft_marking(document, draft)
    return Exported(saved(document), unverified_fonts())


def layout(draft: Draft) -> Any:
    """The python-docx Document of ``draft`` in the GB/T 9704 layout, with no marking in its header or properties.

    ``export_docx`` marks it as an AI-assisted draft; other documents laid out the same way (the case
    layer's notices) mark it as what they are, with ``header_mark`` and ``set_custom_properties``.
    """
    document = Document()
    _page_setup(document)
    _styles(document)
    body = _Body(document)
    _head(body, draft)
    body.blank(2)
    body.para([(draft.title, XIAOBIAOSONG, SIZE_2)], align=WD_ALIGN_PARAGRAPH.CENTER)
    body.blank(1)
    if draft.recipients:
        body.para([("、".join(draft.recipients) + "：", FANGSONG, SIZE_3)], align=WD_ALIGN_PARAGRAPH.LEFT)
    for number, p in draft.numbered_body:
        runs = []
        if number or p.heading:
            runs.append((number + p.heading, HEADING_FONTS.get(p.level, FANGSONG), SIZE_3))
        if p.text:
            runs.append((p.text, FANGSONG, SIZE_3))
        body.para(runs, first_line=2)
    if draft.attachments:
        body.blank(1)
        for i, line in enumerate(attachment_lines(draft.attachments)):
            text = line if i == 0 else line.lstrip("\u3000")
            body.para([(text, FANGSONG, SIZE_3)], left=5, first_line=-3 if i == 0 else 0)
    if draft.signature or draft.date:
        _signature(body, draft)
    if draft.note:
        body.para([(draft.note, FANGSONG, SIZE_3)], first_line=2)
    _foot(body, draft)
    _page_numbers(document)
    return document


def saved(document: Any) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class _Body:
    """Paragraph writer: every paragraph on the line grid, sized in characters of the 版心."""

    def __init__(self, document: Any) -> None:
        self.document = document

    def para(
        self,
        runs: list[tuple[str, str, Pt]],
        align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
        first_line: float = 0,
        left: float = 0,
        right: float = 0,
        color: RGBColor | None = None,
    ) -> Any:
        paragraph = self.document.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.alignment = align
        fmt.first_line_indent = Pt(first_line * CHAR_PITCH_PT) if first_line else None
        fmt.left_indent = Pt(left * CHAR_PITCH_PT) if left else None
        fmt.right_indent = Pt(right * CHAR_PITCH_PT) if right else None
        for text, font, size in runs:
            run = paragraph.add_run(text)
            set_font(run, font, size)
            if color is not None:
                run.font.color.rgb = color
        return paragraph

    def blank(self, lines: int) -> None:
        for _ in range(lines):
            self.document.add_paragraph()


def set_font(run: Any, font: str, size: Pt) -> None:
    """Name ``font`` for every script, the east-Asian one included (Word and LibreOffice read w:eastAsia)."""
    run.font.name = font
    run.font.size = size
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)


def _page_setup(document: Any) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGIN_MM["top"]), Mm(MARGIN_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGIN_MM["left"]), Mm(MARGIN_MM["right"])
    section.header_distance = Mm(15)
    # The footer's bottom edge sits so the page number line starts 7 mm below the 版心.
    section.footer_distance = Mm(MARGIN_MM["bottom"] - PAGE_NUMBER_GAP_MM) - SIZE_4
    # No character grid: LibreOffice gives each 16 pt character two cells of a 15.79 pt grid. The line pitch
    # comes from the exact line spacing; 28 characters a line from condensing each character (``_styles``).
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        section._sectPr.remove(grid)
    document.settings.odd_and_even_pages_header_footer = True


def _styles(document: Any) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FANGSONG
    normal.font.size = SIZE_3
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FANGSONG)
    # 16 pt characters condensed to 15.75 pt (in twentieths of a point): 28 fit the 156 mm line.
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(-CONDENSE_TWENTIETHS))
    normal.element.get_or_add_rPr().insert_element_before(
        spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:lang"
    )
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False


def _head(body: _Body, draft: Draft) -> None:
    """发文机关标志 (red, 35 mm below the top of the 版心), then the 发文字号 over the red rule."""
    size = Pt(min(MARK_MAX, int(BLOCK_WIDTH_MM / 25.4 * 72 / max(len(draft.mark), 1))))
    mark = body.para([(draft.mark, XIAOBIAOSONG, size)], align=WD_ALIGN_PARAGRAPH.CENTER, color=RED)
    mark.paragraph_format.space_before = MARK_TOP
    mark.paragraph_format.line_spacing = Pt(size.pt * 1.25)
    ruled = mark
    if draft.doc_number:
        body.blank(2)
        if doc_type(draft.doc_type).upward and draft.signer:
            ruled = body.para(
                [
                    (draft.doc_number + "\t", FANGSONG, SIZE_3),
                    ("签发人：", FANGSONG, SIZE_3),
                    (draft.signer, KAITI, SIZE_3),
                ],
                align=WD_ALIGN_PARAGRAPH.LEFT,
                left=1,
            )
            ruled.paragraph_format.tab_stops.add_tab_stop(
                Pt((CHARS_PER_LINE - 1) * CHAR_PITCH_PT), WD_TAB_ALIGNMENT.RIGHT
            )
        else:
            ruled = body.para([(draft.doc_number, FANGSONG, SIZE_3)], align=WD_ALIGN_PARAGRAPH.CENTER)
    _border(ruled, "bottom", RED_RULE, "FF0000", space=RULE_GAP_PT)


def _signature(body: _Body, draft: Draft) -> None:
    """署名 two characters in from the right; the date under it, starting two characters further right.

    When the date is the longer, it keeps two characters from the right edge and the 署名 moves left.
    """
    body.blank(1)
    date_line = date_text(draft.date) if draft.date else ""
    sig_w, date_w = text_width(draft.signature), text_width(date_line)
    date_right = max(2.0, sig_w - date_w)
    sig_right = date_right + date_w + 2 - sig_w
    if draft.signature:
        body.para([(draft.signature, FANGSONG, SIZE_3)], align=WD_ALIGN_PARAGRAPH.RIGHT, right=sig_right)
    if date_line:
        body.para([(date_line, FANGSONG, SIZE_3)], align=WD_ALIGN_PARAGRAPH.RIGHT, right=date_right)


def _foot(body: _Body, draft: Draft) -> None:
    """版记: 抄送 and 印发 rows between rules (thick, thin, thick), a table of the 版心's width after the date.

    The standard puts it at the foot of the last even page; where that is depends on the layout, so the
    reviewer moves it there when the document is final (floating tables are not placed there by LibreOffice).
    """
    rows: list[tuple[str, bool]] = []  # text, and whether it is the 印发 line (a right tab for the date)
    if draft.cc:
        rows.append((cc_line(draft.cc), False))
    if draft.printer:
        printer, printed = print_line_parts(draft)
        rows.append((f"{printer}\t{printed}", True))
    if not rows:
        return
    body.blank(1)
    width = Mm(BLOCK_WIDTH_MM)
    char = Pt(SIZE_4.pt - CONDENSE_TWENTIETHS / 20)  # one 4号 character: the 版记's indents
    table = body.document.add_table(rows=len(rows), cols=1)
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), "0")
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl_pr.insert_element_before(margins, *_AFTER_TBLCELLMAR)
    for n, (row, (text, printed_line)) in enumerate(zip(table.rows, rows, strict=True)):
        cell = row.cells[0]
        cell.width = width
        paragraph = cell.paragraphs[0]
        fmt = paragraph.paragraph_format
        fmt.right_indent = char
        if printed_line:
            fmt.left_indent = char
            fmt.tab_stops.add_tab_stop(width - char, WD_TAB_ALIGNMENT.RIGHT)
        else:  # a wrapped 抄送 line continues under the first name, after "抄送："
            fmt.left_indent = Pt(4 * char.pt)
            fmt.first_line_indent = Pt(-3 * char.pt)
        set_font(paragraph.add_run(text), FANGSONG, SIZE_4)
        top = THICK_RULE if n == 0 else THIN_RULE
        bottom = THICK_RULE if n == len(rows) - 1 else THIN_RULE
        _cell_borders(cell, top, bottom)
    body.document.add_paragraph()  # a document ends with a paragraph, not a table


def _cell_borders(cell: Any, top: int, bottom: int) -> None:
    borders = OxmlElement("w:tcBorders")
    for side, size in (("top", top), ("left", 0), ("bottom", bottom), ("right", 0)):
        edge = OxmlElement(f"w:{side}")
        if size:
            for attr, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "0"), ("w:color", "000000")):
                edge.set(qn(attr), value)
        else:
            edge.set(qn("w:val"), "nil")
        borders.append(edge)
    cell._tc.get_or_add_tcPr().append(borders)


def _border(paragraph: Any, side: str, size: int, color: str = "000000", space: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, *_AFTER_PBDR)
    edge = OxmlElement(f"w:{side}")
    for attr, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", str(space)), ("w:color", color)):
        edge.set(qn(attr), value)
    borders.append(edge)  # callers add top before bottom, the schema's order


# Elements that follow pBdr in paragraph properties and tblCellMar in table properties (the schema's order;
# of those after pBdr, only the ones python-docx writes).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr", "w:sectPr", "w:pPrChange")
_AFTER_TBLCELLMAR = ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _page_numbers(document: Any) -> None:
    """ "— 1 —" in 4号宋体, one character in from the right on odd pages and from the left on even ones."""
    section = document.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        fmt = paragraph.paragraph_format
        fmt.alignment = align
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = SIZE_4
        fmt.first_line_indent = None
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = Pt(CHAR_PITCH_PT)
        else:
            fmt.left_indent = Pt(CHAR_PITCH_PT)
        set_font(paragraph.add_run("— "), SONGTI, SIZE_4)
        _page_field(paragraph)
        set_font(paragraph.add_run(" —"), SONGTI, SIZE_4)


def _page_field(paragraph: Any) -> None:
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        set_font(run, SONGTI, SIZE_4)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text


def _draft_marking(document: Any, draft: Draft) -> None:
    """The review mark in the page header, the document properties, and the implicit AI label."""
    header_mark(document, draft.label)
    core = document.core_properties
    core.title = draft.title
    core.subject = draft.doc_type
    core.author = PROVIDER
    core.last_modified_by = PROVIDER
    core.category = "公文草稿"
    core.keywords = "AI生成;草稿;待人工审核"
    core.content_status = "草稿（待人工审核）"
    core.identifier = draft.id
    core.comments = f"{draft.label}内容编号：{draft.id}；生成模型：{draft.model}。"
    core.language = "zh-CN"
    set_custom_properties(document, ai_label(draft))


def header_mark(document: Any, text: str) -> None:
    """A small grey line centred in the header of odd and even pages: what kind of document this is."""
    section = document.sections[0]
    for header in (section.header, section.even_page_header):
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        set_font(run, SONGTI, Pt(9))
        run.font.color.rgb = RGBColor(0x80, 0x80, 0x80)


def ai_label(draft: Draft) -> dict[str, str]:
    """The implicit label: GB 45438-2025's AIGC metadata field, and the same facts as plain properties."""
    aigc = {
        "Label": "1",  # 1 = generated by AI
        "ContentProducer": PROVIDER,
        "ProduceID": draft.id,
        "ReservedCode1": "",
        "ContentPropagator": PROVIDER,
        "PropagateID": draft.id,
        "ReservedCode2": "",
    }
    return {
        "AIGC": json.dumps(aigc, ensure_ascii=False),
        "AIGenerated": "true",
        "AIProvider": PROVIDER,
        "AIModel": draft.model,
        "AIContentId": draft.id,
        "ReviewStatus": "草稿，待人工审核",
    }


def set_custom_properties(document: Any, values: dict[str, str]) -> None:
    """The file's custom document properties (docProps/custom.xml), as text values."""
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    props = "".join(
        f'<property fmtid="{fmtid}" pid="{pid}" name="{escape(name)}"><vt:lpwstr>{escape(value)}</vt:lpwstr></property>'
        for pid, (name, value) in enumerate(values.items(), start=2)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{props}</Properties>"
    )
    package = document.part.package
    part = Part(PackURI("/docProps/custom.xml"), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def text_width(text: str) -> float:
    """Width in characters of the 版心: CJK characters 1, half-width digits and letters 0.5."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


@lru_cache(maxsize=1)
def installed_font_families() -> frozenset[str] | None:
    """Font families fontconfig knows on this machine; None when it cannot be asked."""
    if not shutil.which("fc-list"):
        return None
    try:
        listing = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(name.strip() for line in listing.splitlines() for name in line.split(","))


def unverified_fonts() -> list[str]:
    """The faces the file names that this machine cannot show (a renderer here substitutes others)."""
    families = installed_font_families()
    return [font for font in FONTS if families is None or font not in families]
