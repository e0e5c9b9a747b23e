"""知识缺口 (admin): what people asked that the documents could not answer, grouped by topic, and the 差评
waiting to be handled. The same services as ``GET /v1/gaps`` and ``/v1/feedback``; every look recomputes,
so a group a newly added document answers shows as closed.
"""

from __future__ import annotations

from html import escape
from typing import Any

import gradio as gr

from assistant.api.auth import Caller
from assistant.api.deps import ServiceState
from assistant.audit.feedback import FeedbackQuery
from assistant.audit.gaps import Gap
from assistant.ui.messages import explain
from assistant.ui.screen import Refresh, Screen
from assistant.ui.session import may, require

WHY = {"declined": "未能回答"}


def gaps_html(gaps: list[Gap]) -> str:
    if not gaps:
        return '<p class="ok">近期没有未能回答或差评的问题。</p>'
    open_count = sum(not g.closed for g in gaps)
    rows = "".join(
        f'<tr class="{"closed" if g.closed else "open"}"><td>{escape(g.topic)}</td><td>{g.count}</td>'
        f"<td>{g.declined}</td><td>{g.low_rated}</td>"
        f"<td>{'已补充：' + escape(g.answered_by or '') if g.closed else '待补充'}</td>"
        "<td><ul>"
        + "".join(f"<li>{escape(e.question)}（{escape(WHY.get(e.why, e.why))}）</li>" for e in g.examples)
        + "</ul></td></tr>"
        for g in gaps
    )
    return (
        f'<p class="hint">{open_count} 个主题待补充文件，{len(gaps) - open_count} 个已由新文件回答；'
        "按提问次数排序。</p>"
        '<table class="outcomes gaps"><thead><tr><th>主题</th><th>次数</th><th>未能回答</th><th>差评</th>'
        f"<th>状态</th><th>例句</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def complaint_choice(row: dict[str, Any]) -> tuple[str, int]:
    return f"#{row['id']} {row['rating']}：{(row['question'] or '')[:40]}（{row['reason'] or '无理由'}）", row["id"]


def build(service: ServiceState, caller: gr.State, visible: bool) -> Screen:
    with gr.Tab("知识缺口", id="gaps", visible=visible) as tab:
        look = gr.Button("重新分析", size="sm", elem_id="gaps-refresh")
        table = gr.HTML(elem_id="gaps-table")
        with gr.Accordion("待处理的差评", open=True):
            with gr.Row():
                pick = gr.Dropdown(label="差评", choices=[], value=None, scale=3, elem_id="complaint-pick")
                note = gr.Textbox(label="处理说明", scale=3, elem_id="complaint-note")
                handle = gr.Button("标记已处理", scale=1, min_width=90, elem_id="complaint-handle")
            handled = gr.HTML(elem_id="complaint-result")

    def refresh(who: Caller | None) -> tuple[str, gr.Dropdown]:
        if not may(who, "admin"):
            return "", gr.Dropdown(choices=[], value=None)
        try:
            found = service.components.gaps.gaps()
            waiting = service.components.feedback.list(FeedbackQuery(bad_only=True, handled=False))
        except Exception as exc:
            return f'<p class="error">{escape(explain(exc))}</p>', gr.Dropdown(choices=[], value=None)
        return gaps_html(found), gr.Dropdown(choices=[complaint_choice(r) for r in waiting], value=None)

    def mark(feedback_id: int | None, text: str, who: Caller | None) -> str:
        try:
            admin = require(who, "admin")
            if feedback_id is None:
                return '<p class="error">请先选择要处理的差评。</p>'
            service.components.feedback.mark_handled(admin, int(feedback_id), text or "")
        except Exception as exc:
            return f'<p class="error">{escape(explain(exc))}</p>'
        return '<p class="ok">已标记为已处理。</p>'

    look.click(refresh, [caller], [table, pick], api_visibility="private")
    handle.click(mark, [pick, note, caller], handled, api_visibility="private").then(
        refresh, [caller], [table, pick], api_visibility="private"
    )
    return Screen(tab, "admin", [Refresh(refresh, [caller], [table, pick])])
