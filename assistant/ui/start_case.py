"""办理这件事: under a guide card, the action that starts its 一件事 as one case.

A short form (applicant type, name, 身份证号 or 统一社会信用代码, phone) creates the case through
``new_case_from_guide``, the function behind ``POST /v1/cases/from-guide``, with the guide the card
showed; whoever submits acts as the API's ``submitter`` says (a public key is the applicant). The case
number and the verification code are shown this once, with the advice to keep the code.
"""

from __future__ import annotations

from html import escape
from typing import Any

import gradio as gr

from assistant.api.audit_trail import log_case_action
from assistant.api.auth import Caller
from assistant.api.cases_router import submitter
from assistant.api.deps import ServiceState
from assistant.cases.service import Applicant, new_case_from_guide
from assistant.guides.service import Guide
from assistant.ui.messages import explain
from assistant.ui.session import origin_of, require

KIND_CHOICES = [("个人", "person"), ("企业", "enterprise")]


def startable(guide: Guide | None) -> bool:
    """A guide whose items the catalogue lists (by id) can be applied for as one case."""
    return guide is not None and guide.found and any(i.item_id for i in guide.items)


def submitted_html(number: str, code: str, title: str, missing: list[str]) -> str:
    elsewhere = (
        "<p>以下环节不在本次申请内，请另行办理：" + "、".join(escape(m) for m in missing) + "</p>" if missing else ""
    )
    return (
        f'<div class="ok submitted"><p>“{escape(title)}”的申请已提交。</p>'
        f'<p>办件编号：<b class="case-number">{escape(number)}</b></p>'
        f'<p>查询码：<b class="case-code">{escape(code)}</b></p>'
        "<p><b>请抄下或截图保存查询码：它只显示这一次。</b>凭办件编号和查询码可在“办件进度查询”中查看办理进度。</p>"
        f"{elsewhere}</div>"
    )


def build(service: ServiceState, caller: gr.State, guide: gr.State) -> None:
    """The button (shown while the conversation's last guide can be applied for) and its form."""
    start = gr.Button("在线申请办理这件事", visible=False, variant="primary", size="sm", elem_id="start-case")
    with gr.Column(visible=False, elem_id="start-form") as form:
        gr.Markdown("填写申请人信息后提交，一次申请、一套材料，各事项由相关部门并联办理。", elem_classes=["hint"])
        kind = gr.Radio(KIND_CHOICES, value="person", label="申请人类型", elem_id="start-kind")
        with gr.Row():
            name = gr.Textbox(label="姓名或单位名称", elem_id="start-name")
            number = gr.Textbox(label="身份证号码（企业填统一社会信用代码）", elem_id="start-id")
            phone = gr.Textbox(label="联系电话", elem_id="start-phone")
        send = gr.Button("提交申请", variant="primary", elem_id="start-submit")
    result = gr.HTML(elem_id="start-result")

    def offer(current: Guide | None) -> tuple[Any, ...]:
        title = current.title.removeprefix("一件事：") if current else ""
        shown = startable(current)
        return gr.Button(f"在线申请：{title}" if shown else "", visible=shown), gr.Column(visible=False), ""

    def submit(
        who_kind: str,
        who_name: str,
        id_number: str,
        tel: str,
        current: Guide | None,
        who: Caller | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        keep = gr.skip()
        try:
            person = require(who, "public")
            actor = submitter(person, who_name or "")
            if current is None or not startable(current):
                return keep, '<p class="error">请先提出要办的事，再从办事指引申请。</p>', keep
            applicant = Applicant(who_kind, who_name or "", id_number or "", tel or "")
            made, missing = new_case_from_guide(service.components.cases, current, applicant, actor)
            origin = origin_of(request)
            log_case_action(
                service.components.audit, person, "create_from_guide", made.case.number, origin, missing=missing
            )
        except Exception as exc:  # the detail says which field is wrong (it is the person's own input)
            return keep, f'<p class="error">{escape(explain(exc))}</p>', keep
        html = submitted_html(made.case.number, made.code, made.case.title, missing)
        return gr.Column(visible=False), html, ""

    guide.change(offer, guide, [start, form, result], api_visibility="private")
    start.click(lambda: gr.Column(visible=True), None, form, api_visibility="private", queue=False)
    send.click(submit, [kind, name, number, phone, guide, caller], [form, result, number], api_visibility="private")
