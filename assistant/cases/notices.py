"""The five written notices of a case, filled from its facts by fixed templates (never by the language model).

受理通知书, 补正告知书 (一次性告知: every missing or defective material in one notice, each with its
basis), 不予受理决定书 and 不予许可决定书 (reasons, and the applicant's rights to 行政复议 within 60 days and
行政诉讼 within 6 months, naming where), 延期告知书 (days, reason, the new due date).

A notice is laid out as a document of the drafting module (assistant/drafting/draft.py): 发文机关标志 and
署名 = the department, the notice's own 文号 where the department numbers them, title = the kind,
主送 = the applicant, the body, 成文日期, and a 附注 with the case number. It is exported with the same
GB/T 9704 layout (``assistant.drafting.docx_export.layout``) but marked as what it is: a template-filled
case notice, valid once sealed. It carries no AI-generated label, because no model wrote any of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from assistant.drafting.docx_export import header_mark, layout, saved, set_custom_properties
from assistant.drafting.draft import PROVIDER, Draft, Paragraph, date_text, render_text
from assistant.errors import AssistantError

LICENSING_LAW = "《中华人民共和国行政许可法》"
# The visible mark of every notice (page header of the .docx, first line of the text).
NOTICE_LABEL = "【办件文书】本文书由办件系统依据办件数据按固定模板生成，非人工智能生成；加盖本机关印章后生效。"


class NoticeKind(StrEnum):
    """The notice kinds by their Chinese names; ``slug`` is the English name used in URLs and the CLI."""

    ACCEPTANCE = "受理通知书"
    CORRECTION = "补正告知书"
    REFUSAL_TO_ACCEPT = "不予受理决定书"
    REFUSAL = "不予许可决定书"
    EXTENSION = "延期告知书"

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> NoticeKind:
        """A kind from its Chinese name or its slug (``acceptance``, ``correction``, ``refusal-to-accept`` …)."""
        for kind in cls:
            if text.strip() in (kind.value, kind.slug):
                return kind
        names = "、".join(f"{k.value}（{k.slug}）" for k in cls)
        raise NoticeError(f"没有“{text}”这种文书；可用的有：{names}")


class NoticeError(AssistantError):
    """Facts that cannot fill the notice asked for (a refusal without reasons, a correction without problems …)."""


@dataclass(frozen=True)
class MaterialProblem:
    """One missing or defective material in a 补正告知书."""

    material: str  # the material, as named in the item's materials list
    problem: str  # what is wrong: "未提交", "复印件未加盖公章", "已超过有效期" …
    basis: str  # why it is required: the guide's list entry or the provision, e.g. "《办事指南》申请材料第3项"
    remedy: str = ""  # what to bring instead, where there is more to say than the problem implies


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a notice says, taken from the case; which fields a kind needs is checked by ``notice_draft``.

    Dates are days; ``items`` are the service items' names; ``reasons`` are whole sentences (one per
    reason); ``review_body`` is where 行政复议 is applied for (after the 2023 行政复议法, usually the
    people's government at the department's level) and ``court`` the people's court for 行政诉讼.
    """

    kind: NoticeKind
    case_number: str
    department: str  # 发文机关: the department deciding the application
    applicant: str  # 主送: the applicant's name
    items: tuple[str, ...]
    date: date  # 成文日期
    received: date | None = None  # the day the application (or the resubmission) was received
    accepted: date | None = None
    materials: tuple[str, ...] = ()  # 受理通知书: the materials received
    # 受理通知书: the date the decision is promised by (Deadlines.target_due); 延期告知书: the new legal
    # date after the extension (Deadlines.decision_due once the ``extended`` event is recorded)
    decision_due: date | None = None
    problems: tuple[MaterialProblem, ...] = ()  # 补正告知书
    reply_within_days: int | None = None  # 补正告知书: days the applicant has to correct, where a rule sets them
    reasons: tuple[str, ...] = ()  # 不予受理, 不予许可: the reasons; 延期: why the decision needs longer
    legal_basis: str = ""  # the provision a refusal rests on, e.g. "《……条例》第十条"
    refer_to: str = ""  # 不予受理 for want of competence: the authority to apply to instead (§32 (2))
    extension_days: int = 0  # 延期告知书
    review_body: str = ""  # 行政复议机关
    court: str = ""  # 人民法院
    contact: str = ""  # 联系人及电话, for the 附注
    doc_number: str = ""  # the notice's own 文号 (e.g. 穗市监许受〔2026〕12号), where the department numbers them
    licensing: bool = True  # a 行政许可 item: the notice cites the 行政许可法


def notice_draft(facts: NoticeFacts) -> Draft:
    """The notice as a ``Draft`` of the drafting module (for the layout and the text rendering)."""
    _require(facts)
    body = _BODIES[facts.kind](facts)
    note = f"（办件编号：{facts.case_number}" + (f"；联系人及电话：{facts.contact}" if facts.contact else "") + "）"
    return Draft(
        id=facts.case_number,
        doc_type="决定" if facts.kind in (NoticeKind.REFUSAL_TO_ACCEPT, NoticeKind.REFUSAL) else "通知",
        issuer=facts.department,
        title=facts.kind.value,
        recipients=[facts.applicant],
        body=body,
        date=facts.date,
        doc_number=facts.doc_number,
        mark=facts.department,
        signature=facts.department,
        note=note,
        label=NOTICE_LABEL,
    )


def notice_text(facts: NoticeFacts) -> str:
    """The notice as plain text in the order of the document, its mark first (for the UI and the CLI)."""
    return render_text(notice_draft(facts))


def notice_docx(facts: NoticeFacts) -> bytes:
    """The notice as a .docx in the GB/T 9704 layout of the drafting module, marked as a template-filled notice."""
    draft = notice_draft(facts)
    document = layout(draft)
    header_mark(document, NOTICE_LABEL)
    core = document.core_properties
    core.title = f"{facts.kind.value}（{facts.case_number}）"
    core.subject = facts.kind.value
    core.author = facts.department
    core.last_modified_by = PROVIDER
    core.category = "办件文书"
    core.keywords = f"办件文书;{facts.kind.value};模板生成"
    core.content_status = "待签章"
    core.identifier = facts.case_number
    core.comments = f"办件编号：{facts.case_number}；依据办件数据按固定模板生成，非人工智能生成。"
    core.language = "zh-CN"
    set_custom_properties(
        document,
        {
            "CaseNumber": facts.case_number,
            "NoticeKind": facts.kind.value,
            "GeneratedBy": "template",
            "Generator": PROVIDER,
        },
    )
    return saved(document)


# --- the templates ---


def _require(facts: NoticeFacts) -> None:
    missing = [label for label, present in _NEEDS[facts.kind](facts) if not present]
    for label, value in (("办件编号", facts.case_number), ("发文机关", facts.department), ("申请人", facts.applicant)):
        if not value.strip():
            missing.insert(0, label)
    if not facts.items:
        missing.insert(0, "申请事项")
    if missing:
        raise NoticeError(f"{facts.kind.value}缺少{'、'.join(missing)}，无法生成")


_NEEDS: dict[NoticeKind, Callable[[NoticeFacts], list[tuple[str, object]]]] = {
    NoticeKind.ACCEPTANCE: lambda f: [("收到申请材料的日期", f.received)],
    NoticeKind.CORRECTION: lambda f: [("收到申请材料的日期", f.received), ("需要补正的材料", f.problems)],
    NoticeKind.REFUSAL_TO_ACCEPT: lambda f: [
        ("收到申请材料的日期", f.received),
        ("不予受理的理由", f.reasons),
        ("行政复议机关", f.review_body.strip()),
        ("人民法院", f.court.strip()),
    ],
    NoticeKind.REFUSAL: lambda f: [
        ("收到申请材料的日期", f.received),
        ("不予许可的理由", f.reasons),
        ("行政复议机关", f.review_body.strip()),
        ("人民法院", f.court.strip()),
    ],
    NoticeKind.EXTENSION: lambda f: [
        ("受理日期", f.accepted),
        ("延长的工作日数", f.extension_days > 0),
        ("延期的理由", f.reasons),
        ("延长后的办结日期", f.decision_due),
    ],
}


def _opening(facts: NoticeFacts) -> str:
    """你（单位）于……提出的……申请（办件编号：……）"""
    items = "、".join(facts.items)
    when = f"于{date_text(facts.received)}" if facts.received else ""
    return f"你（单位）{when}提出的{items}申请（办件编号：{facts.case_number}）"


def _law(facts: NoticeFacts, article: str) -> str:
    return f"根据{LICENSING_LAW}{article}的规定，" if facts.licensing else ""


def _listed(lines: tuple[str, ...]) -> list[Paragraph]:
    """Reasons as numbered first-level paragraphs, each a sentence."""
    return [Paragraph(1, "", _sentence(line)) for line in lines]


def _sentence(text: str) -> str:
    text = text.strip().rstrip("。；;，,")
    return text + "。"


def rights_sentence(facts: NoticeFacts) -> str:
    """The remedies a refusal must name (行政许可法 §38, 行政复议法 §20, 行政诉讼法 §46)."""
    return (
        f"如不服本决定，可以自收到本决定书之日起60日内向{facts.review_body}申请行政复议，"
        f"也可以自收到本决定书之日起6个月内依法向{facts.court}提起行政诉讼。"
    )


def _acceptance(facts: NoticeFacts) -> list[Paragraph]:
    body = [
        Paragraph(
            0,
            "",
            f"{_opening(facts)}，经审查，申请事项属于本机关职权范围，申请材料齐全、符合法定形式，"
            f"{_law(facts, '第三十二条第一款第五项')}本机关决定予以受理。",
        )
    ]
    if facts.materials:
        listed = "；".join(f"{i}. {_sentence(m)[:-1]}" for i, m in enumerate(facts.materials, 1))
        body.append(Paragraph(0, "", f"本机关收到的申请材料共{len(facts.materials)}项：{listed}。"))
    if facts.decision_due:
        when = f"本机关将于{date_text(facts.decision_due)}前作出决定"
    else:
        when = "本机关将在法定期限内作出决定"
    body.append(
        Paragraph(
            0, "", f"{when}；依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在期限内。"
        )
    )
    body.append(Paragraph(0, "", "你（单位）可以凭办件编号和查询码查询办理进度。"))
    body.append(Paragraph(0, "", "特此通知。"))
    return body


def _correction(facts: NoticeFacts) -> list[Paragraph]:
    body = [
        Paragraph(
            0,
            "",
            f"{_opening(facts)}，经审查，申请材料不齐全或者不符合法定形式。{_law(facts, '第三十二条第一款第四项')}"
            f"现将需要补正的全部内容一次性告知如下：",
        )
    ]
    for p in facts.problems:
        text = _sentence(p.problem) + (_sentence(p.remedy) if p.remedy else "") + f"依据：{_sentence(p.basis)}"
        body.append(Paragraph(1, f"{p.material}：", text))
    if facts.reply_within_days:
        body.append(
            Paragraph(0, "", f"请自收到本告知书之日起{facts.reply_within_days}日内按上述要求一次性补正全部材料。")
        )
    else:
        body.append(Paragraph(0, "", "请按上述要求一次性补正全部材料。"))
    body.append(
        Paragraph(
            0,
            "",
            f"本机关自收到全部补正材料之日起重新审查，符合条件的予以受理。补正材料时请注明办件编号{facts.case_number}。",
        )
    )
    body.append(Paragraph(0, "", "特此告知。"))
    return body


def _refusal_to_accept(facts: NoticeFacts) -> list[Paragraph]:
    body = [Paragraph(0, "", f"{_opening(facts)}，经审查，不符合受理条件，理由如下：")]
    body += _listed(facts.reasons)
    basis = f"根据{facts.legal_basis}的规定，" if facts.legal_basis else ""
    decision = f"{basis}本机关决定不予受理。"
    if facts.refer_to:
        decision += f"请向{facts.refer_to}提出申请。"
    body.append(Paragraph(0, "", decision))
    body.append(Paragraph(0, "", rights_sentence(facts)))
    return body


def _refusal(facts: NoticeFacts) -> list[Paragraph]:
    accepted = f"，本机关于{date_text(facts.accepted)}受理" if facts.accepted else ""
    body = [Paragraph(0, "", f"{_opening(facts)}{accepted}。经审查，你（单位）的申请不符合法定条件，理由如下：")]
    body += _listed(facts.reasons)
    basis = f"根据{facts.legal_basis}的规定，" if facts.legal_basis else _law(facts, "第三十八条第二款")
    body.append(Paragraph(0, "", f"{basis}本机关决定不予许可。"))
    body.append(Paragraph(0, "", rights_sentence(facts)))
    return body


def _extension(facts: NoticeFacts) -> list[Paragraph]:
    assert facts.accepted is not None and facts.decision_due is not None  # checked by _require
    reason = "；".join(r.strip().rstrip("。；;，,") for r in facts.reasons)
    return [
        Paragraph(
            0,
            "",
            f"{_opening(facts)}，本机关已于{date_text(facts.accepted)}受理。因{reason}，"
            f"不能在规定期限内作出决定。经本机关负责人批准，{_law(facts, '第四十二条第一款')}"
            f"办理期限延长{facts.extension_days}个工作日，本机关将于{date_text(facts.decision_due)}前作出决定。",
        ),
        Paragraph(0, "", "特此告知。"),
    ]


_BODIES = {
    NoticeKind.ACCEPTANCE: _acceptance,
    NoticeKind.CORRECTION: _correction,
    NoticeKind.REFUSAL_TO_ACCEPT: _refusal_to_accept,
    NoticeKind.REFUSAL: _refusal,
    NoticeKind.EXTENSION: _extension,
}
