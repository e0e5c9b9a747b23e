"""办件 (staff): the worklist by nearest deadline with its lights, and a case page with the applicant,
items, deadlines, materials (with the pre-check's findings on each checklist slot), history, the actions
its state allows, and its notices.

Every handler calls ``CaseService`` (``service.components.cases``) as the /v1/cases routes do, acting
as the signed-in key (``staff_of``, as in the API) and checking the role itself. A step carries the
version the page showed: when someone else was first (409 in the API), the page says so and shows the
case as it now is. Only the actions the case's state and the person's role allow are offered.
"""

from __future__ import annotations

from html import escape
from typing import Any

import gradio as gr

from assistant.api.audit_trail import log_case_action
from assistant.api.auth import Caller
from assistant.api.cases_router import staff_of
from assistant.api.deps import ServiceState
from assistant.cases.errors import CaseConflict, CaseError
from assistant.cases.notices import NoticeKind
from assistant.cases.service import Finding, Step, WorklistQuery
from assistant.cases.states import ACTIONS, SPECIAL_PROCEDURES, STATE_LABELS, allowed_actions
from assistant.cases.views import CaseView
from assistant.ui.case_html import (
    applicant_html,
    case_head_html,
    deadlines_html,
    history_html,
    materials_html,
    precheck_cells,
    precheck_note,
    sub_cases_html,
    worklist_html,
)
from assistant.ui.downloads import download_copy, safe_name
from assistant.ui.messages import explain
from assistant.ui.screen import Refresh, Screen
from assistant.ui.session import may, origin_of, require

STATE_CHOICES = [("未办结（全部）", ""), *((label, state) for state, label in STATE_LABELS.items())]
LIGHT_CHOICES = [
    ("全部", ""),
    ("红灯（已超期）", "red"),
    ("黄灯（2个工作日内到期）", "yellow"),
    ("绿灯", "green"),
    ("不计时", "none"),
]
OUTCOME_CHOICES = [("准予许可", "approved"), ("不予许可", "denied")]
STOP_ACTIONS = {"reject", "withdraw"}
# A click (or Enter) on a worklist row selects its case.
ROW_SELECT = """
const pick = (event) => {
  const row = event.target.closest('tr[data-case]');
  if (row) trigger('select', {index: row.rowIndex - 1, value: row.dataset.case});
};
element.addEventListener('click', pick);
element.addEventListener('keydown', (event) => { if (event.key === 'Enter') pick(event); });
"""


def message(text: str, kind: str = "ok") -> str:
    return f'<p class="{kind}">{escape(text)}</p>'


def parsed_findings(text: str | None) -> tuple[Finding, ...]:
    """Lines of 材料名称：问题 (or 材料名称 alone, taken as not submitted)."""
    findings = []
    for line in (text or "").splitlines():
        name, _, problem = line.replace(":", "：").partition("：")
        if name.strip():
            findings.append(Finding(material=name.strip(), problem=problem.strip() or "未提交"))
    return tuple(findings)


def build(service: ServiceState, caller: gr.State, visible: bool) -> Screen:
    with gr.Tab("办件", id="cases", visible=visible) as tab:
        with gr.Row(elem_id="case-filters", equal_height=True):
            state_pick = gr.Dropdown(STATE_CHOICES, value="", label="状态", min_width=140, elem_id="filter-state")
            item_pick = gr.Textbox(label="事项编码", placeholder="全部", min_width=140, elem_id="filter-item")
            dept_pick = gr.Textbox(label="部门", placeholder="全部", min_width=140, elem_id="filter-dept")
            light_pick = gr.Dropdown(LIGHT_CHOICES, value="", label="灯", min_width=140, elem_id="filter-light")
            reload = gr.Button("刷新", scale=0, min_width=72, elem_id="worklist-reload")
        worklist = gr.HTML(elem_id="worklist", js_on_load=ROW_SELECT, max_height=460)
        with gr.Row(equal_height=True, elem_id="case-open-row"):
            number = gr.Textbox(show_label=False, placeholder="输入办件编号打开", scale=4, elem_id="case-number")
            open_ = gr.Button("打开办件", scale=1, min_width=90, elem_id="case-open")
        said = gr.HTML(elem_id="case-message")
        with gr.Column(visible=False, elem_id="case-page") as page:
            head = gr.HTML(elem_id="case-head")
            details = gr.HTML(elem_id="case-details")
            with gr.Row(equal_height=True):
                gr.Markdown("#### 申请材料")
                precheck = gr.Button("材料预审", size="sm", scale=0, min_width=96, elem_id="case-precheck")
            materials = gr.HTML(elem_id="case-materials")
            files = gr.File(
                label="材料下载", file_count="multiple", interactive=False, visible=False, elem_id="case-files"
            )
            with gr.Group(elem_id="case-actions"):
                reason = gr.Textbox(label="办理理由（必填，记入办理记录）", lines=2, elem_id="case-reason")
                with gr.Column(visible=False) as correction_box:
                    findings = gr.Textbox(
                        label="需补正的材料（每行一项：材料名称：问题；清单中未提交的必需材料会自动列入）",
                        lines=3,
                        elem_id="case-findings",
                    )
                with gr.Column(visible=False) as special_box:
                    procedure = gr.Dropdown(list(SPECIAL_PROCEDURES), label="特别程序", elem_id="case-procedure")
                with gr.Column(visible=False) as decide_box:
                    outcome = gr.Radio(
                        OUTCOME_CHOICES, value="approved", label="决定（全部事项）", elem_id="case-outcome"
                    )
                with gr.Column(visible=False) as refusal_box:
                    gr.Markdown("不予受理或不予许可时填写（写入决定书，告知申请人的救济途径）：", elem_classes=["hint"])
                    with gr.Row():
                        legal_basis = gr.Textbox(label="法律依据", elem_id="case-basis")
                        review_body = gr.Textbox(label="行政复议机关", elem_id="case-review-body")
                        court = gr.Textbox(label="行政诉讼法院", elem_id="case-court")
                with gr.Accordion("分派（部门、经办人）", open=False, visible=False) as assign_box, gr.Row():
                    department = gr.Textbox(label="部门", elem_id="case-department")
                    assignee = gr.Textbox(label="经办人", elem_id="case-assignee")
                with gr.Row(elem_id="case-buttons"):
                    buttons = {
                        name: gr.Button(
                            action.label,
                            visible=False,
                            variant="stop" if name in STOP_ACTIONS else "secondary",
                            min_width=96,
                            elem_id=f"case-do-{name}",
                        )
                        for name, action in ACTIONS.items()
                    }
            gr.Markdown("#### 办理记录")
            history = gr.HTML(elem_id="case-history")
            notices = gr.File(
                label="通知书（.docx）", file_count="multiple", interactive=False, visible=False, elem_id="case-notices"
            )
        opened = gr.State(None)  # (number, version) of the case on the page

    cases = service.components.cases
    boxes = {"request_correction": correction_box, "start_special": special_box, "decide": decide_box}
    shown = [opened, page, head, details, materials, files, history, notices, *boxes.values()]
    shown += [refusal_box, assign_box, *buttons.values()]

    def show(view: CaseView, role: str) -> list[Any]:
        """The page's components for ``view``: only the actions ``role`` may take in its state are offered."""
        allowed = set(allowed_actions(view.state, role))
        issued = notice_copies(view)
        return [
            (view.number, view.version),
            gr.Column(visible=True),
            case_head_html(view),
            applicant_html(view) + deadlines_html(view.deadline) + sub_cases_html(view),
            materials_shown(view),
            gr.File(value=material_copies(view), visible=bool(view.materials)),
            history_html([t.as_dict() for t in view.history]),
            gr.File(value=issued, visible=bool(issued)),
            *(gr.Column(visible=name in allowed) for name in boxes),
            gr.Column(visible=bool(allowed & {"reject", "decide"})),
            gr.Accordion(visible="assign" in allowed),
            *(gr.Button(visible=name in allowed) for name in buttons),
        ]

    def materials_shown(view: CaseView) -> str:
        """The checklist with the files in each slot and the latest pre-check's word on each (if any)."""
        report = service.components.case_precheck.latest(view.number)
        if report is None:
            return materials_html(view)
        return precheck_note(report) + materials_html(view, precheck_cells(report))

    def material_copies(view: CaseView) -> list[str]:
        copies = []
        for m in view.materials:
            _, data = cases.material(view.number, m.id)
            slot = f"材料{m.slot + 1}" if m.slot is not None else "其他"
            copies.append(download_copy(f"cases/{view.number}/{m.id}", safe_name(f"{slot}_{m.name}", str(m.id)), data))
        return copies

    def notice_copies(view: CaseView) -> list[str]:
        """The notices the case's history gives rise to (a kind it has had no step for is not offered)."""
        copies = []
        for kind in NoticeKind:
            try:
                _, data = cases.notice(view.number, kind.value)
            except CaseError:
                continue
            copies.append(download_copy(f"cases/{view.number}/notices", f"{view.number}-{kind.value}.docx", data))
        return copies

    def hidden() -> list[Any]:
        return [gr.skip()] * len(shown)

    def list_cases(state: str, item: str, dept: str, light: str, who: Caller | None) -> str:
        if not may(who, "staff"):
            return ""
        try:
            query = WorklistQuery((state,) if state else (), item or None, dept or None, light or None)
            return worklist_html(cases.worklist(query))
        except Exception as exc:
            return message(explain(exc), "error")

    def open_case(text: str, who: Caller | None, request: gr.Request) -> list[Any]:
        try:
            staff = require(who, "staff")
            actor = staff_of(staff)
            if not (text or "").strip():
                return [message("请输入办件编号，或在上面的列表中点击一件。", "error"), gr.skip(), *hidden()]
            view = cases.get(text)
            log_case_action(service.components.audit, staff, "view", view.number, origin_of(request))
        except Exception as exc:
            return [message(explain(exc), "error"), gr.skip(), *hidden()]
        return ["", view.number, *show(view, actor.role)]

    def check_materials(seen: tuple[str, int] | None, who: Caller | None, request: gr.Request) -> list[Any]:
        """Run the pre-check over the case's stored materials (the case itself does not change)."""
        try:
            staff = require(who, "staff")
            actor = staff_of(staff)
            if seen is None:
                return [message("请先打开一件办件。", "error"), *hidden()]
            report = service.components.case_precheck.run(seen[0], actor.name)
            log_case_action(service.components.audit, staff, "precheck", seen[0], origin_of(request))
            view = cases.get(seen[0])
        except Exception as exc:
            return [message(explain(exc), "error"), *hidden()]
        found = (
            f"发现 {len(report.correction_items)} 项需要补正的问题"
            if report.correction_items
            else "未发现需要补正的问题"
        )
        return [message(f"材料预审完成：{found}，请工作人员核对后决定。"), *show(view, actor.role)]

    def picked(who: Caller | None, event: gr.SelectData, request: gr.Request) -> list[Any]:
        return open_case(str(event.value or ""), who, request)

    def act(name: str) -> Any:
        def step(
            text: str,
            to_correct: str,
            special: str | None,
            decision: str,
            basis: str,
            body: str,
            court_name: str,
            dept: str,
            staff_member: str,
            seen: tuple[str, int] | None,
            who: Caller | None,
            page: gr.Request,
        ) -> list[Any]:
            keep = gr.skip()
            try:
                staff = require(who, "staff")
                actor = staff_of(staff)
                if seen is None:
                    return [message("请先打开一件办件。", "error"), keep, *hidden()]
                if not (text or "").strip():
                    return [message("请填写办理理由：每一步都记入办理记录。", "error"), keep, *hidden()]
                request = Step(
                    action=name,
                    reason=text,
                    version=seen[1],
                    outcome=decision if name == "decide" else None,
                    procedure=special,
                    findings=parsed_findings(to_correct),
                    department=(dept or "").strip() or None,
                    assignee=(staff_member or "").strip() or None,
                    legal_basis=basis or "",
                    review_body=body or "",
                    court=court_name or "",
                )
                view = cases.transition(seen[0], request, actor)
                detail = {"reason": text, "version": view.version}
                log_case_action(service.components.audit, staff, name, view.number, origin_of(page), **detail)
            except CaseConflict as exc:
                return [message(explain(exc), "error"), keep, *show(exc.case, actor.role)]
            except Exception as exc:
                return [message(explain(exc), "error"), keep, *hidden()]
            done = f"已{ACTIONS[name].label}：办件 {view.number} 现为{STATE_LABELS[view.state]}。"
            return [message(done), "", *show(view, actor.role)]

        return step

    filters = [state_pick, item_pick, dept_pick, light_pick, caller]
    refresh = {"fn": list_cases, "inputs": filters, "outputs": worklist, "api_visibility": "private"}
    for control in (state_pick, light_pick):
        control.change(**refresh)
    for control in (item_pick, dept_pick):
        control.submit(**refresh)
    reload.click(**refresh)
    opening = {"outputs": [said, number, *shown], "api_visibility": "private"}
    open_.click(open_case, [number, caller], **opening)
    number.submit(open_case, [number, caller], **opening)
    worklist.select(picked, [caller], **opening)
    precheck.click(check_materials, [opened, caller], [said, *shown], api_visibility="private")
    fields = [reason, findings, procedure, outcome, legal_basis, review_body, court, department, assignee]
    for name, button in buttons.items():
        button.click(act(name), [*fields, opened, caller], [said, reason, *shown], api_visibility="private").then(
            **refresh
        )
    return Screen(tab, "staff", [Refresh(list_cases, filters, [worklist])])
