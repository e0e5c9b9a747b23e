"""The .docx export read back with python-docx: A4 and the 版心 margins, fonts named for east-Asian text,
sizes by element, the red 发文机关标志 and rule, elements in GB/T 9704-2012 order, the 版记 rules, page
numbers on odd and even pages, and the AI-generated label in the document properties."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from assistant.drafting.check import check_docx
from assistant.drafting.docx_export import FONTS, export_docx, installed_font_families, text_width
from assistant.drafting.draft import DRAFT_LABEL, Draft, Paragraph

CONTENT_ID = "5f0c" * 8


def notice(**changes: Any) -> Draft:
    values: dict[str, Any] = {
        "id": CONTENT_ID,
        "doc_type": "通知",
        "issuer": "吉林省科学技术厅",
        "title": "吉林省科学技术厅关于报送人工智能应用场景的通知",
        "recipients": ["各市（州）科技局", "长白山管委会科技局"],
        "body": [
            Paragraph(0, "", "根据《吉林省加快推进人工智能创新发展实施意见（征求意见稿）》，现将有关事项通知如下："),
            Paragraph(1, "报送范围", ""),
            Paragraph(2, "重点行业。", "聚焦智能制造、智慧农业等领域。"),
            Paragraph(3, "制造业场景。", "包括质量检测、设备预测性维护等。"),
            Paragraph(1, "工作要求", ""),
            Paragraph(0, "", "请于2026年7月31日前报送省科技厅。"),
            Paragraph(0, "", "特此通知。"),
        ],
        "date": date(2026, 7, 1),
        "doc_number": "吉科发〔2026〕12号",
        "mark": "吉林省科学技术厅文件",
        "signature": "吉林省科学技术厅",
        "attachments": ["人工智能应用场景申报表", "人工智能应用场景汇总表"],
        "cc": ["吉林省工业和信息化厅"],
        "printer": "吉林省科学技术厅办公室",
        "print_date": date(2026, 7, 1),
        "model": "qwen2.5-coder-0.5b-instruct",
    }
    return Draft(**{**values, **changes})


@pytest.fixture(scope="module")
def exported() -> Any:
    return export_docx(notice())


@pytest.fixture(scope="module")
def document(exported: Any) -> Any:
    return docx.Document(io.BytesIO(exported.data))


def texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs if p.text]


def paragraph(document: Any, text: str) -> Any:
    return next(p for p in document.paragraphs if p.text.startswith(text))


def east_asian_font(run: Any) -> str | None:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_page_is_a4_with_the_margins_of_the_type_block(document: Any) -> None:
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [round(getattr(section, f"{side}_margin").mm, 1) for side in ("top", "bottom", "left", "right")]
    assert margins == [37.0, 35.0, 28.0, 26.0]
    block_width = section.page_width.mm - section.left_margin.mm - section.right_margin.mm
    block_height = section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm
    assert (round(block_width), round(block_height)) == (156, 225)


def test_body_text_is_3hao_fangsong_on_22_lines_of_28_characters(document: Any) -> None:
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    line = normal.paragraph_format.line_spacing.pt
    assert 22 * line <= 225 / 25.4 * 72 < 23 * line  # exactly 22 lines fit the 225 mm block
    condensed = int(normal.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert 28 * (16 + condensed) <= 156 / 25.4 * 72 < 29 * (16 + condensed)  # 28 characters a line
    body = paragraph(document, "根据《")
    assert body.paragraph_format.first_line_indent.pt == pytest.approx(2 * 15.79, abs=0.1)
    assert {east_asian_font(r) for r in body.runs} == {"仿宋_GB2312"}


def test_elements_come_in_the_order_of_the_standard(document: Any) -> None:
    assert texts(document) == [
        "吉林省科学技术厅文件",
        "吉科发〔2026〕12号",
        "吉林省科学技术厅关于报送人工智能应用场景的通知",
        "各市（州）科技局、长白山管委会科技局：",
        "根据《吉林省加快推进人工智能创新发展实施意见（征求意见稿）》，现将有关事项通知如下：",
        "一、报送范围",
        "（一）重点行业。聚焦智能制造、智慧农业等领域。",
        "1.制造业场景。包括质量检测、设备预测性维护等。",
        "二、工作要求",
        "请于2026年7月31日前报送省科技厅。",
        "特此通知。",
        "附件：1. 人工智能应用场景申报表",
        "2. 人工智能应用场景汇总表",
        "吉林省科学技术厅",
        "2026年7月1日",
    ]
    rows = [row.cells[0].text for row in document.tables[0].rows]
    assert rows == ["抄送：吉林省工业和信息化厅。", "吉林省科学技术厅办公室\t2026年7月1日印发"]


def test_the_mark_is_red_xiaobiaosong_35mm_below_the_block_top_and_the_rule_is_red(document: Any) -> None:
    mark = paragraph(document, "吉林省科学技术厅文件")
    run = mark.runs[0]
    assert str(run.font.color.rgb) == "FF0000" and east_asian_font(run) == "方正小标宋简体"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert round(mark.paragraph_format.space_before.mm) == 35
    assert text_width(mark.text) * run.font.size.pt <= 156 / 25.4 * 72  # the name fits the block
    number = paragraph(document, "吉科发")
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert (rule.get(qn("w:color")), rule.get(qn("w:val"))) == ("FF0000", "single")
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_title_and_headings_have_their_faces_and_sizes(document: Any) -> None:
    title = paragraph(document, "吉林省科学技术厅关于")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert (east_asian_font(title.runs[0]), title.runs[0].font.size.pt) == ("方正小标宋简体", 22)
    faces = {
        "一、": ["黑体"],
        "（一）": ["楷体_GB2312", "仿宋_GB2312"],  # the heading phrase, then the text run on after it
        "1.": ["仿宋_GB2312", "仿宋_GB2312"],
    }
    for start, expected in faces.items():
        runs = paragraph(document, start).runs
        assert [east_asian_font(r) for r in runs] == expected, start
        assert {r.font.size.pt for r in runs} == {16}


def test_signature_and_date_sit_at_the_right_with_the_date_two_characters_further_in(document: Any) -> None:
    paragraphs = [p for p in document.paragraphs if p.text in ("吉林省科学技术厅", "2026年7月1日")]
    signature, day = paragraphs
    assert signature.alignment == day.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    char = 15.79
    sig_start = 156 / 25.4 * 72 - signature.paragraph_format.right_indent.pt - text_width(signature.text) * char
    day_start = 156 / 25.4 * 72 - day.paragraph_format.right_indent.pt - text_width(day.text) * char
    assert day_start - sig_start == pytest.approx(2 * char, abs=0.5)
    assert signature.paragraph_format.right_indent.pt == pytest.approx(2 * char, abs=0.5)


def test_the_foot_has_4hao_text_between_thick_and_thin_rules(document: Any) -> None:
    cells = [row.cells[0] for row in document.tables[0].rows]
    sizes = [(c.paragraphs[0].runs[0].font.size.pt, east_asian_font(c.paragraphs[0].runs[0])) for c in cells]
    assert sizes == [(14, "仿宋_GB2312"), (14, "仿宋_GB2312")]
    rules = []
    for cell in cells:
        borders = cell._tc.tcPr.find(qn("w:tcBorders"))
        rules.append(tuple(int(borders.find(qn(f"w:{side}")).get(qn("w:sz"))) for side in ("top", "bottom")))
    assert rules == [(8, 6), (6, 8)]  # thick at the top and bottom of the 版记, thin between


def test_page_numbers_are_dashed_at_the_right_of_odd_and_the_left_of_even_pages(document: Any) -> None:
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        p = footer.paragraphs[0]
        assert p.alignment == align
        assert p.text == "— 1 —"  # the PAGE field's cached value between the dashes
        assert " PAGE " in [i.text for i in p._p.iter(qn("w:instrText"))]
        assert {east_asian_font(r) for r in p.runs} == {"宋体"} and {r.font.size.pt for r in p.runs} == {14}


def test_the_file_carries_the_implicit_ai_label_and_is_marked_as_a_draft(exported: Any, document: Any) -> None:
    core = document.core_properties
    assert core.identifier == CONTENT_ID and core.content_status == "草稿（待人工审核）"
    assert "AI生成" in core.keywords and CONTENT_ID in core.comments
    with zipfile.ZipFile(io.BytesIO(exported.data)) as z:
        custom = z.read("docProps/custom.xml").decode("utf-8")
        assert "docProps/custom.xml" in z.read("[Content_Types].xml").decode("utf-8")
    props = dict(re.findall(r'name="([^"]+)"><vt:lpwstr>([^<]*)</vt:lpwstr>', custom))
    aigc = json.loads(props["AIGC"].replace("&quot;", '"'))
    assert aigc["Label"] == "1" and aigc["ProduceID"] == CONTENT_ID and aigc["ContentProducer"]
    assert (props["AIGenerated"], props["AIContentId"], props["AIModel"]) == (
        "true",
        CONTENT_ID,
        "qwen2.5-coder-0.5b-instruct",
    )
    header = document.sections[0].header.paragraphs[0]
    assert header.text == DRAFT_LABEL


def test_the_export_reports_the_fonts_this_machine_lacks(exported: Any) -> None:
    families = installed_font_families()
    expected = [f for f in FONTS if families is None or f not in families]
    assert exported.unverified_fonts == expected


def test_the_exported_draft_passes_the_checker(exported: Any) -> None:
    assert check_docx(exported.data, "通知") == []


def test_an_upward_document_puts_its_number_left_and_the_signer_in_kaiti() -> None:
    request = notice(
        doc_type="请示",
        title="吉林省科学技术厅关于设立专项资金的请示",
        recipients=["吉林省人民政府"],
        body=[
            Paragraph(0, "", "根据《吉林省加快推进人工智能创新发展实施意见》，恳请批准设立专项资金。"),
            Paragraph(0, "", "妥否，请批示。"),
        ],
        doc_number="吉科呈〔2026〕3号",
        signer="张明",
        note="（联系人：李华；联系电话：0431-88888888）",
    )
    exported = export_docx(request)
    document = docx.Document(io.BytesIO(exported.data))
    line = paragraph(document, "吉科呈")
    assert line.text == "吉科呈〔2026〕3号\t签发人：张明"
    assert [east_asian_font(r) for r in line.runs] == ["仿宋_GB2312", "仿宋_GB2312", "楷体_GB2312"]
    assert line.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert texts(document)[-1] == "（联系人：李华；联系电话：0431-88888888）"
    assert check_docx(exported.data) == []
