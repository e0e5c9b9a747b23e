"""The five case notices read back from their .docx with python-docx: the template's text with the case's
facts, the case number, the rights sentences of the refusals, every correction with its basis, the
GB/T 9704 page and faces of the drafting export, the drafting checker's verdict, and the marking of a
template-filled notice (no AI-generated label)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import date
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from assistant.cases.calendar import WorkCalendar
from assistant.cases.deadlines import ClockEvent, compute_deadlines
from assistant.cases.item_rules import ItemRules
from assistant.cases.notices import (
    NOTICE_LABEL,
    MaterialProblem,
    NoticeError,
    NoticeFacts,
    NoticeKind,
    notice_docx,
    notice_text,
)
from assistant.drafting.check import check_docx

CASE = "GD-2026-0302-00123"
DEPARTMENT = "广州市市场监督管理局"
APPLICANT = "广州市示例餐饮管理有限公司"
ITEM = "食品经营许可（新办）"
REVIEW_BODY = "广州市人民政府"
COURT = "广州铁路运输法院"

PROBLEMS = (
    MaterialProblem("营业执照（复印件）", "未提交", "《食品经营许可办事指南》申请材料第1项"),
    MaterialProblem(
        "食品安全管理制度", "缺少法定代表人签字", "《食品经营许可和备案管理办法》第十三条", "请提交签字后的原件"
    ),
    MaterialProblem("经营场所平面图", "未标明设备布局和工艺流程", "《食品经营许可办事指南》申请材料第5项"),
)


def facts(kind: NoticeKind, **changes: Any) -> NoticeFacts:
    values: dict[str, Any] = {
        "kind": kind,
        "case_number": CASE,
        "department": DEPARTMENT,
        "applicant": APPLICANT,
        "items": (ITEM,),
        "date": date(2026, 3, 4),
        "received": date(2026, 3, 2),
        "contact": "张科员 020-83000000",
        "doc_number": "穗市监许〔2026〕12号",
    }
    by_kind: dict[NoticeKind, dict[str, Any]] = {
        NoticeKind.ACCEPTANCE: {
            "accepted": date(2026, 3, 4),
            "materials": ("食品经营许可申请书", "营业执照（复印件）", "食品安全管理制度"),
            "decision_due": date(2026, 3, 18),
        },
        NoticeKind.CORRECTION: {"problems": PROBLEMS, "reply_within_days": 30},
        NoticeKind.REFUSAL_TO_ACCEPT: {
            "reasons": ("申请事项依法不需要取得行政许可",),
            "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第一项",
            "review_body": REVIEW_BODY,
            "court": COURT,
        },
        NoticeKind.REFUSAL: {
            "accepted": date(2026, 3, 4),
            "date": date(2026, 3, 20),
            "reasons": ("经现场核查，经营场所距离粪坑、污水池等污染源不足25米。", "申请人未配备专职食品安全管理人员"),
            "review_body": REVIEW_BODY,
            "court": COURT,
        },
        NoticeKind.EXTENSION: {
            "accepted": date(2026, 3, 4),
            "date": date(2026, 3, 30),
            "reasons": ("需要对经营场所进行现场核查并组织专家论证",),
            "extension_days": 10,
            "decision_due": date(2026, 4, 16),
        },
    }
    return NoticeFacts(**{**values, **by_kind[kind], **changes})


def read(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs if p.text]


@pytest.fixture(scope="module", params=list(NoticeKind), ids=lambda k: k.slug)
def exported(request: pytest.FixtureRequest) -> tuple[NoticeFacts, bytes]:
    f = facts(request.param)
    return f, notice_docx(f)


def test_every_notice_has_the_elements_of_a_document_with_the_case_number(exported: tuple[NoticeFacts, bytes]) -> None:
    f, data = exported
    lines = texts(read(data))
    assert lines[:4] == [DEPARTMENT, "穗市监许〔2026〕12号", f.kind.value, f"{APPLICANT}："]
    assert lines[-3:] == [
        DEPARTMENT,
        f"{f.date.year}年{f.date.month}月{f.date.day}日",
        f"（办件编号：{CASE}；联系人及电话：张科员 020-83000000）",
    ]
    body = "".join(lines[4:-3])
    assert f"你（单位）于2026年3月2日提出的{ITEM}申请（办件编号：{CASE}）" in body


def test_the_page_and_faces_are_those_of_the_drafting_export(exported: tuple[NoticeFacts, bytes]) -> None:
    document = read(exported[1])
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [round(getattr(section, f"{side}_margin").mm, 1) for side in ("top", "bottom", "left", "right")]
    assert margins == [37.0, 35.0, 28.0, 26.0]
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16 and normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    paragraphs = {p.text: p for p in document.paragraphs if p.text}
    mark = next(p for p in document.paragraphs if p.text == DEPARTMENT)  # the first: the red mark, not the 署名
    assert str(mark.runs[0].font.color.rgb) == "FF0000"
    title = paragraphs[exported[0].kind.value]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert (title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")), title.runs[0].font.size.pt) == (
        "方正小标宋简体",
        22,
    )
    footer = section.footer.paragraphs[0]
    assert footer.text == "— 1 —"


def test_the_checker_finds_nothing_but_the_title_that_is_no_gongwen_type(exported: tuple[NoticeFacts, bytes]) -> None:
    """A notice is an enforcement document, not one of the 15 公文 types: every other rule applies and holds."""
    findings = check_docx(exported[1])
    assert [f.rule for f in findings] == ["title-type"]
    assert exported[0].kind.value in findings[0].message


def test_a_notice_is_marked_as_a_template_notice_and_carries_no_ai_label(exported: tuple[NoticeFacts, bytes]) -> None:
    f, data = exported
    document = read(data)
    section = document.sections[0]
    assert section.header.paragraphs[0].text == section.even_page_header.paragraphs[0].text == NOTICE_LABEL
    assert "非人工智能生成" in NOTICE_LABEL
    core = document.core_properties
    assert (core.category, core.identifier, core.subject, core.author) == ("办件文书", CASE, f.kind.value, DEPARTMENT)
    assert "AI" not in core.keywords and "草稿" not in (core.content_status or "")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        custom = z.read("docProps/custom.xml").decode("utf-8")
    props = dict(re.findall(r'name="([^"]+)"><vt:lpwstr>([^<]*)</vt:lpwstr>', custom))
    assert props["CaseNumber"] == CASE and props["NoticeKind"] == f.kind.value and props["GeneratedBy"] == "template"
    assert not any(name.startswith("AI") for name in props)  # no AIGC label of GB 45438: no model wrote this


def test_the_text_rendering_says_the_same_as_the_docx(exported: tuple[NoticeFacts, bytes]) -> None:
    f, data = exported
    text = notice_text(f)
    lines = [line.strip("\u3000") for line in text.splitlines() if line.strip()]
    assert lines[0] == NOTICE_LABEL
    assert lines[1:] == texts(read(data))
    assert notice_text(f) == text  # deterministic


def test_the_acceptance_notice_lists_materials_and_the_due_date() -> None:
    text = notice_text(facts(NoticeKind.ACCEPTANCE))
    assert (
        "申请材料齐全、符合法定形式，根据《中华人民共和国行政许可法》第三十二条第一款第五项的规定，本机关决定予以受理。"
        in text
    )
    assert "本机关收到的申请材料共3项：1. 食品经营许可申请书；2. 营业执照（复印件）；3. 食品安全管理制度。" in text
    assert "本机关将于2026年3月18日前作出决定" in text
    without_due = notice_text(facts(NoticeKind.ACCEPTANCE, decision_due=None, licensing=False))
    assert "本机关将在法定期限内作出决定" in without_due and "行政许可法" not in without_due


def test_the_correction_notice_tells_every_problem_at_once_each_with_its_basis() -> None:
    document = read(notice_docx(facts(NoticeKind.CORRECTION)))
    lines = texts(document)
    listed = [line for line in lines if re.match(r"^[一二三四五六七八九十]+、", line)]
    assert listed == [
        "一、营业执照（复印件）：未提交。依据：《食品经营许可办事指南》申请材料第1项。",
        "二、食品安全管理制度：缺少法定代表人签字。请提交签字后的原件。依据：《食品经营许可和备案管理办法》第十三条。",
        "三、经营场所平面图：未标明设备布局和工艺流程。依据：《食品经营许可办事指南》申请材料第5项。",
    ]
    body = "".join(lines)
    assert "现将需要补正的全部内容一次性告知如下" in body
    assert "请自收到本告知书之日起30日内按上述要求一次性补正全部材料。" in body
    heading = next(p for p in document.paragraphs if p.text.startswith("一、"))
    assert heading.runs[0].text == "一、营业执照（复印件）："
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"


@pytest.mark.parametrize("kind", [NoticeKind.REFUSAL_TO_ACCEPT, NoticeKind.REFUSAL], ids=lambda k: k.slug)
def test_refusals_give_reasons_and_the_rights_to_review_and_to_sue(kind: NoticeKind) -> None:
    f = facts(kind)
    body = "".join(texts(read(notice_docx(f))))
    for reason in f.reasons:
        assert reason.rstrip("。") in body
    assert f"自收到本决定书之日起60日内向{REVIEW_BODY}申请行政复议" in body
    assert f"自收到本决定书之日起6个月内依法向{COURT}提起行政诉讼" in body
    decision = "本机关决定不予受理。" if kind == NoticeKind.REFUSAL_TO_ACCEPT else "本机关决定不予许可。"
    assert decision in body


def test_a_refusal_for_want_of_competence_says_where_to_apply() -> None:
    f = facts(NoticeKind.REFUSAL_TO_ACCEPT, reasons=("申请事项不属于本机关职权范围",), refer_to="广州市卫生健康委员会")
    assert "本机关决定不予受理。请向广州市卫生健康委员会提出申请。" in notice_text(f)


def test_the_extension_notice_has_days_reason_and_the_new_due_date_from_the_clock() -> None:
    """The new date comes from the deadlines module: an ``extended`` event of 10 days on the real calendar."""
    item = ItemRules.from_fields({"matter_type": "行政许可", "legal_time_limit": "20(工作日)"}, ITEM)
    events = [
        ClockEvent("received", date(2026, 3, 2)),
        ClockEvent("accepted", date(2026, 3, 4)),
        ClockEvent("extended", date(2026, 3, 30), 10),
    ]
    clock = compute_deadlines(item, events, date(2026, 3, 30), WorkCalendar())
    assert clock.decision_due == date(2026, 4, 16)  # 20 working days from 4 March is 1 April; 10 more
    f = facts(NoticeKind.EXTENSION, decision_due=clock.decision_due, extension_days=clock.extended_days)
    body = "".join(texts(read(notice_docx(f))))
    assert (
        "本机关已于2026年3月4日受理。因需要对经营场所进行现场核查并组织专家论证，不能在规定期限内作出决定。"
        "经本机关负责人批准，根据《中华人民共和国行政许可法》第四十二条第一款的规定，"
        "办理期限延长10个工作日，本机关将于2026年4月16日前作出决定。"
    ) in body


def test_a_notice_without_a_number_of_its_own_keeps_the_case_number_and_the_page() -> None:
    data = notice_docx(facts(NoticeKind.ACCEPTANCE, doc_number="", contact=""))
    lines = texts(read(data))
    assert lines[:3] == [DEPARTMENT, "受理通知书", f"{APPLICANT}："]
    assert lines[-1] == f"（办件编号：{CASE}）"
    assert not [f for f in check_docx(data) if f.rule.startswith("page-")]


@pytest.mark.parametrize(
    ("kind", "changes", "missing"),
    [
        (NoticeKind.CORRECTION, {"problems": ()}, "需要补正的材料"),
        (NoticeKind.REFUSAL, {"review_body": " "}, "行政复议机关"),
        (NoticeKind.REFUSAL, {"court": "", "reasons": ()}, "不予许可的理由、人民法院"),
        (NoticeKind.REFUSAL_TO_ACCEPT, {"received": None}, "收到申请材料的日期"),
        (NoticeKind.EXTENSION, {"extension_days": 0}, "延长的工作日数"),
        (NoticeKind.ACCEPTANCE, {"case_number": ""}, "办件编号"),
        (NoticeKind.ACCEPTANCE, {"items": ()}, "申请事项"),
    ],
)
def test_facts_that_cannot_fill_the_notice_are_refused_naming_what_is_missing(
    kind: NoticeKind, changes: dict[str, Any], missing: str
) -> None:
    with pytest.raises(NoticeError, match=f"{kind.value}缺少{missing}，无法生成"):
        notice_docx(facts(kind, **changes))


def test_kinds_are_read_from_their_chinese_names_and_slugs() -> None:
    assert [k.slug for k in NoticeKind] == ["acceptance", "correction", "refusal-to-accept", "refusal", "extension"]
    assert NoticeKind.parse("不予受理决定书") is NoticeKind.REFUSAL_TO_ACCEPT
    assert NoticeKind.parse(" extension ") is NoticeKind.EXTENSION
    with pytest.raises(NoticeError, match="没有“批复”这种文书；可用的有：受理通知书（acceptance）"):
        NoticeKind.parse("批复")


def test_two_applicants_get_their_own_names_and_numbers() -> None:
    first = facts(NoticeKind.ACCEPTANCE)
    second = replace(first, applicant="李四", case_number="GD-2026-0302-00124")
    text = notice_text(second)
    assert "李四：" in text and "GD-2026-0302-00124" in text and CASE not in text and APPLICANT not in text
