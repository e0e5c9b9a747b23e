"""HTML of cases for the 办件 screen and the 进度查询 box, built from the case service's own views.

Everything a person typed (names, reasons, file names) is escaped here. A light is never colour alone:
each is a coloured mark with its word (红灯 / 黄灯 / 绿灯) and the days left in words beside it. On a
phone the tables stack each row as a card (style.py), every cell with its column's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from assistant.api.redact import mask_personal_data
from assistant.cases.service import CHINA
from assistant.cases.states import OUTCOMES, state_label
from assistant.cases.views import CaseSummary, CaseView, DeadlineView, WorklistPage

LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "none": "不计时"}
KIND_NAMES = {"person": "个人", "enterprise": "企业"}
PRECHECK_PENDING = "尚未预审"
_PRECHECK_STATUS = {"齐全": "ok", "待核验": "warning", "有问题": "error", "缺少": "error", "未提交": "error"}


def light_html(deadline: DeadlineView) -> str:
    """The light as a coloured mark with its word; a paused clock says so."""
    light = "none" if deadline.paused else deadline.light
    word = "暂停计时" if deadline.paused else LIGHT_NAMES.get(light, light)
    return f'<span class="light light-{light}"><span class="light-mark" aria-hidden="true"></span>{word}</span>'


def days_text(deadline: DeadlineView) -> str:
    if deadline.paused:
        return "特别程序期间不计算"
    if deadline.days_left is None:
        return "—"
    if deadline.days_left < 0:
        return f"已超期 {-deadline.days_left} 个工作日"
    if deadline.days_left == 0:
        return "今日到期"
    return f"剩 {deadline.days_left} 个工作日"


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def china_time(moment: datetime) -> str:
    """A stored moment in Beijing time (SQLite hands back naive datetimes; they were stored in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def masked_id(number: str) -> str:
    """An identity number or credit code with all but its first six and last four characters hidden."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], css: str = "", attrs: Sequence[str] = ()) -> str:
    """A table of already-escaped cells; ``attrs`` adds attributes to each row, in order. Each cell carries
    its column's name, which a phone shows beside it when the rows are stacked as cards."""
    labels = [escape(h) for h in headers]
    extra = list(attrs)
    body = "".join(
        f"<tr{(' ' + extra[i]) if i < len(extra) else ''}>"
        + "".join(f'<td data-label="{labels[j]}"><div>{c}</div></td>' for j, c in enumerate(row))
        + "</tr>"
        for i, row in enumerate(rows)
    )
    head = "".join(f"<th>{h}</th>" for h in labels)
    return f'<table class="cases {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def worklist_html(page: WorklistPage) -> str:
    if not page.cases:
        return '<p class="hint">没有符合条件的办件。</p>'
    rows = [_worklist_row(c) for c in page.cases]
    attrs = [f'data-case="{escape(c.number)}" tabindex="0" role="button"' for c in page.cases]
    shown = f"共 {page.total}{' 余' if page.total_capped else ''} 件，按最近的期限排序" + (
        f"，显示前 {len(page.cases)} 件" if page.total > len(rows) else ""
    )
    headers = ["灯", "剩余", "期限", "办件编号", "事项", "申请人", "状态", "部门", "经办人"]
    return f'<p class="hint">{shown}；点击一行打开办件。</p>' + table(headers, rows, "worklist", attrs)


def _worklist_row(c: CaseSummary) -> list[str]:
    return [
        light_html(c.deadline),
        escape(days_text(c.deadline)),
        day(c.deadline.due_on),
        f"<b>{escape(c.number)}</b>",
        escape(c.title),
        escape(c.applicant_name),
        escape(state_label(c.state)),
        escape(c.department),
        escape(c.assignee or "—"),
    ]


def case_head_html(view: CaseView, staff: bool = True) -> str:
    version = f" · 版本 {view.version}" if staff else ""
    return (
        f'<div class="case-head"><span class="case-number">{escape(view.number)}</span> '
        f"<b>{escape(view.title)}</b> "
        f'<span class="state">状态：{escape(state_label(view.state))}</span> {light_html(view.deadline)} '
        f'<span class="hint">{escape(days_text(view.deadline))}{version}</span></div>'
    )


def deadlines_html(deadline: DeadlineView) -> str:
    """The 承诺 date that drives the light, the 法定 one beside it, and any note (e.g. an unknown year)."""
    notes = "".join(f'<li class="caution">{escape(n)}</li>' for n in deadline.notes)
    return (
        '<div class="deadlines">'
        f"<span>承诺期限：<b>{day(deadline.due_on)}</b> {light_html(deadline)} {escape(days_text(deadline))}</span>"
        f"<span>法定期限：<b>{day(deadline.legal_due_on)}</b></span>"
        "</div>" + (f'<ul class="notes">{notes}</ul>' if notes else "")
    )


def applicant_html(view: CaseView) -> str:
    a = view.applicant
    number_name = "身份证号" if a.kind == "person" else "统一社会信用代码"
    return (
        f'<p class="applicant">申请人：<b>{escape(a.name)}</b>（{KIND_NAMES.get(a.kind, a.kind)}） '
        f"{number_name}：{escape(masked_id(a.id_number))} 电话：{escape(mask_personal_data(a.phone))} "
        f"收件日期：{day(view.received_on)} 部门：{escape(view.department)} 经办人：{escape(view.assignee or '—')}</p>"
    )


def sub_cases_html(view: CaseView, staff: bool = True) -> str:
    headers = ["事项", "办理部门", "承诺时限", "法定时限", "承诺期限", "法定期限", "结果"]
    rows = [
        [
            escape(s.item_name)
            + (f'<div class="hint">{escape(s.item_id)} · {escape(s.matter_type)}</div>' if staff else ""),
            escape(s.department),
            _working_days(s.promised_days),
            _working_days(s.legal_days),
            f"{day(s.deadline.due_on)} {light_html(s.deadline)}",
            day(s.deadline.legal_due_on),
            escape(OUTCOMES.get(s.outcome or "", "—")),
        ]
        for s in view.sub_cases
    ]
    return table(headers, rows, "sub-cases")


def _item_code(item_id: str, matter_type: str) -> str:
    return f'<div class="hint">{escape(item_id)} · {escape(matter_type)}</div>'


def _working_days(days: int | None) -> str:
    return f"{days} 个工作日" if days is not None else "—"


def materials_html(view: CaseView, findings: Mapping[int, str] | None = None) -> str:
    """Each checklist slot with the files given for it, and the pre-check's word on it (``findings``, by slot,
    already HTML); files tied to no slot come last."""
    findings = findings or {}
    by_slot: dict[int | None, list[str]] = {}
    for m in view.materials:
        by_slot.setdefault(m.slot, []).append(
            f'{escape(m.name)} <span class="hint">{_size(m.size)} · {escape(m.uploaded_by)} · '
            f"{china_time(m.uploaded_at)}</span>"
        )
    rows = [
        [
            str(slot["index"] + 1),
            escape(slot["name"]) + ("" if slot["required"] else ' <span class="hint">（非必需）</span>'),
            "<br>".join(by_slot.get(slot["index"], [])) or '<span class="caution">未提交</span>',
            f'<div class="precheck" data-slot="{slot["index"]}">{findings.get(slot["index"], PRECHECK_PENDING)}</div>',
        ]
        for slot in view.checklist
    ]
    if by_slot.get(None):
        rows.append(["—", "未对应清单的材料", "<br>".join(by_slot[None]), '<div class="precheck">—</div>'])
    if not rows:
        return '<p class="hint">这件办件的事项没有列出申请材料，也没有上传文件。</p>'
    return table(["序号", "材料（申请材料清单）", "已提交的文件", "预审意见"], rows, "materials")


def precheck_cells(report: Mapping[str, Any]) -> dict[int, str]:
    """The pre-check's word on each checklist slot (a stored report, ``CasePrecheck.latest``): its status
    and every finding about the slot or its files."""
    cells = {}
    for row in report["rows"]:
        notes = [*row["findings"], *(f for entry in row["files"] for f in entry["findings"])]
        items = "".join(f'<li class="finding-{escape(f["severity"])}">{escape(f["message"])}</li>' for f in notes)
        status = f'<b class="status-{_PRECHECK_STATUS.get(row["status"], "warning")}">{escape(row["status"])}</b>'
        cells[int(row["index"])] = status + (f"<ul>{items}</ul>" if items else "")
    return cells


def precheck_note(report: Mapping[str, Any]) -> str:
    """When and by whom the report was made, whether the materials changed since, and its AI label."""
    made = china_time(datetime.fromisoformat(report["created_at"]))
    since = "" if report["current"] else '<b class="caution">办件已有变动，请重新预审。</b>'
    unmatched = "、".join(escape(e["name"]) for e in report.get("unmatched", []))
    return (
        f'<p class="hint">材料预审：{made} 由 {escape(report["created_by"])} 发起。{since}'
        + (f"未能对应清单的文件：{unmatched}。" if unmatched else "")
        + f'</p><p class="ai-label"><span class="badge">AI生成</span> {escape(report["label"])}</p>'
    )


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


def history_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """The history as ``TransitionView.as_dict`` gives it (an applicant's copy names no staff member)."""
    cells = [
        [
            china_time(r["at"]),
            escape(r["actor"]),
            escape(r["action_label"]),
            escape(f"{r['from_label'] or '—'} → {r['to_label']}"),
            escape(r["reason"]),
        ]
        for r in rows
    ]
    return table(["时间", "办理人", "操作", "状态变化", "理由"], cells, "history")


def progress_html(view: CaseView) -> str:
    """What an applicant sees of their own case: state, deadlines, items and history, no staff names."""
    shown = view.as_dict(for_applicant=True)
    return (
        f'<div class="progress">{case_head_html(view, staff=False)}{deadlines_html(view.deadline)}'
        f"{sub_cases_html(view, staff=False)}<p><b>办理记录</b></p>{history_html(shown['history'])}</div>"
    )
