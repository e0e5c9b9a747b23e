"""The 公文 format checker on hand-made documents: a correct one passes, each kind of fault is found at its
line (text) or paragraph (.docx), and `assistant draft check` reports them with exit status 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.cli import main as cli_main
from assistant.drafting.check import CheckError, check_docx, check_file, check_text
from assistant.drafting.doctypes import DOC_TYPE_NAMES, UnknownDocType, doc_type, template, type_in_title
from assistant.drafting.numbering import chinese_number, heading_number, parse_chinese_number, read_heading

if TYPE_CHECKING:
    from conftest import DocxMaker

GOOD_NOTICE = """\
吉林省科学技术厅文件
吉科发〔2026〕12号

吉林省科学技术厅关于报送人工智能应用场景的通知

各市（州）科技局，长白山管委会科技局：
　　根据《吉林省加快推进人工智能创新发展实施意见》，现将有关事项通知如下：
　　一、报送范围
　　（一）重点行业。聚焦智能制造、智慧农业等领域。
　　1.制造业场景。包括质量检测等。
　　（1）汽车行业。
　　（2）石化行业。
　　2.农业场景。
　　（二）公共服务。
　　二、工作要求
　　请于2026年7月31日前报送。
　　特此通知。

　　附件：1. 人工智能应用场景申报表
　　　　　2. 人工智能应用场景汇总表

吉林省科学技术厅
2026年7月1日

抄送：吉林省工业和信息化厅、吉林省政务服务和数字化建设管理局。
吉林省科学技术厅办公室　　　　2026年7月1日印发
"""

GOOD_REQUEST = """\
吉林省科学技术厅文件
吉科呈〔2026〕3号　　　　签发人：张明

吉林省科学技术厅关于设立人工智能创新发展专项资金的请示

吉林省人民政府：
　　根据《吉林省加快推进人工智能创新发展实施意见》，为支持智能算力基础设施建设，现将有关情况请示如下：
　　一、基本情况
　　全省智能算力规模需在2027年底突破5000PFLOPS。
　　二、请示事项
　　恳请省政府批准设立人工智能创新发展专项资金。
　　妥否，请批示。

吉林省科学技术厅
2026年7月1日

　　（联系人：李华；联系电话：0431-88888888）
"""


def rules_at(findings: list) -> list[tuple[str, str]]:
    return [(f.rule, f.where) for f in findings]


def changed(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- correct documents ---


@pytest.mark.parametrize("text", [GOOD_NOTICE, GOOD_REQUEST], ids=["通知", "请示"])
def test_a_correct_document_has_no_findings(text: str) -> None:
    assert check_text(text) == []


def test_a_title_broken_over_two_lines_is_read_as_one() -> None:
    text = changed(
        GOOD_NOTICE,
        "吉林省科学技术厅关于报送人工智能应用场景的通知",
        "吉林省科学技术厅关于报送人工智能\n应用场景的通知",
    )
    assert check_text(text) == []


# --- one fault at a time: the rule and the line it is on ---

FAULTS = [
    ("title without a type", "应用场景的通知\n", "应用场景的工作安排\n", "title-type", 4),
    ("title with two types", "应用场景的通知\n", "应用场景的请示报告\n", "title-type", 4),
    ("title ending with a full stop", "应用场景的通知\n", "应用场景的通知。\n", "title-punctuation", 4),
    ("title without 关于", "吉林省科学技术厅关于报送", "吉林省科学技术厅报送", "title-formula", 4),
    ("recipients ending with a half-width colon", "科技局：\n", "科技局:\n", "recipient-punctuation", 6),
    ("recipients separated by half-width commas", "科技局，长白山", "科技局,长白山", "recipient-punctuation", 6),
    ("a gap in the first level", "　　二、工作要求", "　　三、工作要求", "heading-numbering", 15),
    ("a repeated number", "　　（二）公共服务。", "　　（一）公共服务。", "heading-numbering", 14),
    ("1. directly under 一、", "　　（一）重点行业。聚焦智能制造、智慧农业等领域。\n", "", "heading-jump", 9),
    ("a third-level number written 1、", "　　1.制造业场景", "　　1、制造业场景", "heading-form", 10),
    ("half-width parentheses", "　　（二）公共服务。", "　　(二)公共服务。", "heading-form", 14),
    ("a year in square brackets", "吉科发〔2026〕12号", "吉科发[2026]12号", "doc-number", 2),
    ("a sequence number with a leading zero", "吉科发〔2026〕12号", "吉科发〔2026〕012号", "doc-number", 2),
    ("a sequence number with 第", "吉科发〔2026〕12号", "吉科发〔2026〕第12号", "doc-number", 2),
    ("a date in Chinese numerals", "\n2026年7月1日\n", "\n二〇二六年七月一日\n", "date-form", 23),
    ("a zero-padded date", "\n2026年7月1日\n", "\n2026年07月01日\n", "date-form", 23),
    ("an ISO date", "\n2026年7月1日\n", "\n2026-07-01\n", "date-form", 23),
    (
        "the date above the signature",
        "吉林省科学技术厅\n2026年7月1日\n",
        "2026年7月1日\n吉林省科学技术厅\n",
        "signature-date-order",
        22,
    ),
    ("no date", "吉林省科学技术厅\n2026年7月1日\n", "吉林省科学技术厅\n", "date-missing", 17),
    ("an attachment note with a half-width colon", "附件：1.", "附件:1.", "attachment-note", 19),
    ("a full stop after an attachment name", "汇总表\n", "汇总表。\n", "attachment-note", 20),
    ("several attachments without numbers", "附件：1. 人工", "附件：人工", "attachment-note", 19),
    ("copy-to without a full stop", "管理局。\n", "管理局\n", "cc-form", 25),
    ("a 印发 date with zero padding", "2026年7月1日印发", "2026年07月1日印发", "date-form", 26),
]


@pytest.mark.parametrize(("old", "new", "rule", "line"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_each_kind_of_fault_is_found_on_its_line(old: str, new: str, rule: str, line: int) -> None:
    findings = check_text(changed(GOOD_NOTICE, old, new))
    assert (rule, f"line {line}") in rules_at(findings), findings
    assert all(f.message for f in findings)


def test_a_request_with_two_asks_two_recipients_and_no_contact() -> None:
    text = changed(GOOD_REQUEST, "吉林省人民政府：", "吉林省人民政府、吉林省财政厅：")
    text = changed(text, "专项资金。\n", "专项资金。同时请求省政府协调解决算力中心建设用地。\n")
    text = changed(text, "\n　　（联系人：李华；联系电话：0431-88888888）\n", "\n")
    assert rules_at(check_text(text)) == [
        ("recipient-count", "line 6"),
        ("request-several", "line 11"),
        ("request-contact", "line 15"),
    ]


def test_a_request_without_any_ask_is_found() -> None:
    text = changed(GOOD_REQUEST, "　　恳请省政府批准设立人工智能创新发展专项资金。\n　　妥否，请批示。\n", "")
    assert "request-missing" in [f.rule for f in check_text(text)]


def test_an_upward_document_names_its_signer_on_the_number_line() -> None:
    text = changed(GOOD_REQUEST, "吉科呈〔2026〕3号　　　　签发人：张明", "吉科呈〔2026〕3号")
    assert rules_at(check_text(text)) == [("signer-missing", "line 2")]


def test_a_report_carrying_a_request_is_found() -> None:
    report = GOOD_REQUEST.replace("的请示", "的报告").replace("请示如下", "报告如下")
    report = changed(report, "　　妥否，请批示。", "　　特此报告。")
    findings = check_text(report)
    assert [(f.rule, f.where) for f in findings] == [("report-request", "line 11")]
    assert "恳请省政府批准" in findings[0].message


def test_the_declared_type_overrides_the_title_and_disagreement_is_reported() -> None:
    findings = check_text(GOOD_NOTICE, "请示")
    assert ("title-type", "line 4") in rules_at(findings)
    assert ("recipient-count", "line 6") in rules_at(findings)  # a 请示 goes to one body


def test_a_document_with_many_faults_gets_them_all_in_line_order() -> None:
    text = """\
吉林省科学技术厅文件
吉科发[2026]012号

吉林省科学技术厅关于人工智能应用场景建设情况的报告。

省人民政府,省发展改革委:
　　根据《吉林省加快推进人工智能创新发展实施意见》，现将有关情况报告如下：
　　一、基本情况
　　（一）进展。已建成10个场景。
　　（三）成效。
　　二、存在问题
　　（1）资金不足。
　　四、下一步安排
　　恳请省政府批准设立专项资金。

　　附件：应用场景清单。
　　申报表

二〇二六年七月一日
吉林省科学技术厅
"""
    assert rules_at(check_text(text)) == [
        ("doc-number", "line 2"),
        ("signer-missing", "line 2"),
        ("title-punctuation", "line 4"),
        ("recipient-punctuation", "line 6"),
        ("recipient-punctuation", "line 6"),
        ("recipient-count", "line 6"),
        ("heading-numbering", "line 10"),
        ("heading-jump", "line 12"),
        ("heading-numbering", "line 13"),
        ("report-request", "line 14"),
        ("attachment-note", "line 16"),
        ("attachment-note", "line 16"),
        ("attachment-note", "line 17"),
        ("signature-date-order", "line 19"),
        ("date-form", "line 19"),
    ]


def test_a_docx_is_checked_by_paragraph_and_for_its_page(tmp_path: Path, make_docx: DocxMaker) -> None:
    lines = GOOD_NOTICE.replace("　　二、工作要求", "　　三、工作要求").splitlines()
    path = make_docx(tmp_path / "notice.docx", lines, ())
    findings = check_docx(path.read_bytes())
    # python-docx's default page is US Letter with 1-inch margins.
    assert [(f.rule, f.where) for f in findings] == [
        ("page-size", "section 1"),
        ("page-margins", "section 1"),
        ("page-margins", "section 1"),
        ("page-margins", "section 1"),
        ("page-margins", "section 1"),
        ("heading-numbering", "paragraph 15"),
    ]


def test_the_check_command_prints_json_and_exits_1_on_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faulty = tmp_path / "faulty.txt"
    faulty.write_text(changed(GOOD_NOTICE, "\n2026年7月1日\n", "\n2026年07月01日\n"), encoding="utf-8")
    assert cli_main(["draft", "check", str(faulty), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "findings": [
            {
                "rule": "date-form",
                "message": "成文日期用阿拉伯数字写全年份，月、日不编虚位：“2026年07月01日”，应为“2026年7月1日”",
                "where": "line 23",
            }
        ]
    }
    good = tmp_path / "good.txt"
    good.write_text(GOOD_NOTICE, encoding="gb18030")  # text files people bring are often GB18030
    assert cli_main(["draft", "check", str(good)]) == 0
    assert "no findings" in capsys.readouterr().out


def test_files_the_checker_cannot_read_are_refused_plainly(tmp_path: Path) -> None:
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(CheckError, match="reads .txt and .docx"):
        check_file(pdf)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(CheckError, match="not a readable .docx"):
        check_file(broken)
    with pytest.raises(CheckError, match="no such file"):
        check_file(tmp_path / "missing.txt")


# --- document types and heading numbers ---


def test_all_fifteen_types_are_known_and_eight_have_templates() -> None:
    assert len(DOC_TYPE_NAMES) == 15
    assert doc_type("令").name == doc_type("命令（令）").name == "命令"
    with_templates = [name for name in DOC_TYPE_NAMES if doc_type(name).has_template]
    assert sorted(with_templates) == sorted(["通知", "请示", "报告", "函", "意见", "批复", "通报", "纪要"])
    assert (template("请示").recipients, template("请示").requests) == ("one", "one")
    assert template("报告").requests == "none"
    with pytest.raises(UnknownDocType, match="no drafting template"):
        template("决议")
    with pytest.raises(UnknownDocType, match="the 15 types are"):
        doc_type("总结")


def test_titles_follow_the_formula_of_their_type() -> None:
    assert (
        template("通知").title("吉林省科学技术厅", "关于报送应用场景的通知") == "吉林省科学技术厅关于报送应用场景的通知"
    )
    assert template("纪要").title("吉林省科学技术厅", "人工智能专题") == "吉林省科学技术厅人工智能专题会议纪要"
    assert type_in_title("某某关于某事的批复") == "批复" and type_in_title("工作总结") is None


def test_chinese_numbers_round_trip_and_heading_numbers_have_their_forms() -> None:
    for n in range(1, 121):
        assert parse_chinese_number(chinese_number(n)) == n
    assert [chinese_number(n) for n in (10, 11, 20, 21, 105)] == ["十", "十一", "二十", "二十一", "一百零五"]
    assert [heading_number(level, 3) for level in (1, 2, 3, 4)] == ["三、", "（三）", "3.", "（3）"]
    assert read_heading("　　（十二）加强保障。").level == 2
    mark = read_heading("1、工作目标")
    assert mark is not None and (mark.level, mark.proper, mark.expected) == (3, False, "1.")
    assert read_heading("2026年7月1日") is None and read_heading("5000PFLOPS算力") is None
