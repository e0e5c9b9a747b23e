"""进度查询: an applicant follows their own case with its number and the verification code given at
submission, without signing in.

It opens the case through ``CaseService.open_as_applicant``, as ``GET /v1/cases/{number}`` does with
``X-Case-Code``, and shows the applicant's copy (no staff names). A wrong code, another applicant's case
and a missing case all read the same "not found"; lookups are rate-limited per client address under
the same name the API uses, so the page is no way round the limit for guessing codes.
"""

from __future__ import annotations

from html import escape

import gradio as gr

from assistant.api.audit_trail import CaseApplicant, log_case_action
from assistant.api.deps import ServiceState
from assistant.ui.case_html import progress_html
from assistant.ui.messages import explain
from assistant.ui.screen import Screen
from assistant.ui.session import origin_of

HINT = "凭提交申请时取得的办件编号和查询码查询办理进度，无需登录。"


def box(service: ServiceState, prefix: str) -> None:
    """The lookup form and its result; ``prefix`` keeps the element ids of each copy on the page apart."""
    gr.Markdown(HINT, elem_classes=["hint"])
    with gr.Row(equal_height=True):
        number = gr.Textbox(label="办件编号", placeholder="如 GD-20261206-00001", elem_id=f"{prefix}-number")
        code = gr.Textbox(label="查询码", type="password", elem_id=f"{prefix}-code")
    look = gr.Button("查询进度", variant="primary", elem_id=f"{prefix}-look")
    result = gr.HTML(elem_id=f"{prefix}-result")

    def look_up(case_number: str, case_code: str, request: gr.Request) -> str:
        try:
            if not (case_number or "").strip() or not (case_code or "").strip():
                return '<p class="error">请输入办件编号和查询码。</p>'
            client = request.client.host if request.client else "unknown"
            service.rate_limiter.check(f"case-code:{client}")
            view = service.components.cases.open_as_applicant(case_number, case_code.strip())
            log_case_action(service.components.audit, CaseApplicant(), "view", view.number, origin_of(request))
        except Exception as exc:  # not found reads the same whatever the cause; nothing else is said
            return f'<p class="error">{escape(case_number.strip())}：{explain(exc, detail=False)}</p>'
        return progress_html(view)

    for event in (look.click, code.submit):
        event(look_up, [number, code], result, api_visibility="private")


def build(service: ServiceState, caller: gr.State, visible: bool) -> Screen:
    """The lookup as a tab for signed-in people (the signed-out page has it below the sign-in box); it
    needs no caller: the code is the applicant's key to their own case."""
    with gr.Tab("进度查询", id="progress", visible=visible) as tab:
        box(service, "progress")
    return Screen(tab, "public")
