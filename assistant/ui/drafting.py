"""公文起草 (staff): a form, the draft previewed as the model writes it, the checker's findings beside it,
editing, and the .docx.

Drafting is ``DraftService.stream`` as at ``POST /v1/drafts``, through the same one-at-a-time turn at
the model; finished and edited drafts are kept by ``DraftStore`` (which writes the .docx), and the
findings are the format checker's. An edited body goes through the drafting package's own
``repair_body``, so headings are renumbered and the program's elements stay the program's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import date
from html import escape
from typing import Any

import gradio as gr
from starlette.concurrency import run_in_threadpool

from assistant.api.auth import Caller
from assistant.api.deps import ServiceState
from assistant.api.generation import start_generation
from assistant.audit.details import draft_detail
from assistant.audit.log import DRAFT
from assistant.drafting.check import Finding
from assistant.drafting.doctypes import TEMPLATE_NAMES, template
from assistant.drafting.draft import Draft, Paragraph
from assistant.drafting.repair import Context, repair_body
from assistant.drafting.service import BadDraftRequest, DraftEvent, DraftRequest
from assistant.drafting.store import DraftStore, SavedDraft
from assistant.retrieval.store import SearchFilter
from assistant.ui.downloads import download_copy, safe_name
from assistant.ui.messages import explain
from assistant.ui.render import citations_html, document_choice
from assistant.ui.screen import Refresh, Screen
from assistant.ui.session import may, require

_LIST_SEPARATORS = re.compile(r"[\n、，,；;]+")
_WHERE_UNITS = {"line": "行", "paragraph": "段", "section": "节"}


@dataclasses.dataclass
class Desk:
    """What the desk holds between events: the draft shown, and the brief it was drafted from."""

    draft: Draft
    subject: str
    points: list[str]


def listed(text: str | None, lines_only: bool = False) -> list[str]:
    """Entries typed one per line (or, for names, also separated by 、，；)."""
    parts = (text or "").splitlines() if lines_only else _LIST_SEPARATORS.split(text or "")
    return [p.strip() for p in parts if p.strip()]


def drafted_on(text: str | None) -> date | None:
    if not (text or "").strip():
        return None
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise BadDraftRequest(f"date {text!r} is not a date: write it as 2026-07-01") from None


def where(finding: Finding) -> str:
    """'line 12' -> '第12行'; 'document' -> '全文'."""
    unit, _, number = finding.where.partition(" ")
    return f"第{number}{_WHERE_UNITS[unit]}" if unit in _WHERE_UNITS and number else "全文"


def findings_html(saved: SavedDraft) -> str:
    if not saved.findings:
        head = '<p class="ok">格式检查通过：未发现问题。</p>'
    else:
        rows = "".join(f"<li><b>{where(f)}</b>：{escape(f.message)}</li>" for f in saved.findings)
        head = f'<p class="error">格式检查发现 {len(saved.findings)} 处问题：</p><ul class="findings">{rows}</ul>'
    repairs = "".join(f"<li>{escape(r)}</li>" for r in saved.draft.repairs)
    return head + (f'<p class="hint">程序所作的修正：</p><ul class="hint">{repairs}</ul>' if repairs else "")


def paper(text: str, caption: str = "") -> str:
    """The draft on a page: its lines as written, in a 仿宋-like face where the reader has one."""
    return (f'<p class="working">{caption}</p>' if caption else "") + f'<div class="paper">{escape(text)}</div>'


def saved_copy(saved: SavedDraft) -> str:
    """The .docx under the draft's title (what a person saves it as), in a folder of the draft's own."""
    name = safe_name(saved.draft.title, saved.draft.id)
    return download_copy(f"drafts/{saved.draft.id}", f"{name}.docx", saved.docx_path.read_bytes())


def editable_body(draft: Draft) -> str:
    """The body as a person edits it: one paragraph a line, numbered, without the closing the program adds."""
    closing = template(draft.doc_type).closing
    return "\n".join(line for line in draft.elements()["正文"] if not closing or line != closing)


def revised(desk: Desk, title: str, body: str) -> Draft:
    """The draft with an edited title and body, the body parsed and renumbered as a model's would be."""
    draft = desk.draft
    spec = template(draft.doc_type)
    title = re.sub(r"\s+", "", title or "") or draft.title
    basis = list(dict.fromkeys(c.cited_title for c in draft.citations if c.cited_title))
    context = Context(title, draft.issuer, draft.recipients, desk.subject, desk.points, basis)
    repaired = repair_body(body or "", spec, context)
    closing = [Paragraph(0, "", spec.closing)] if spec.closing else []
    return dataclasses.replace(draft, title=title, body=repaired.body + closing, repairs=repaired.repairs)


def build(service: ServiceState, caller: gr.State, visible: bool) -> Screen:
    store = DraftStore(service.settings.data_dir)
    with gr.Tab("公文起草", id="drafting", visible=visible) as tab:
        with gr.Accordion("起草要求", open=True):
            with gr.Row():
                kind = gr.Dropdown(list(TEMPLATE_NAMES), value="通知", label="文种", elem_id="draft-type")
                issuer = gr.Textbox(label="发文机关", placeholder="如：吉林省科学技术厅", elem_id="draft-issuer")
            recipients = gr.Textbox(label="主送机关", placeholder="多个机关用顿号或换行分隔", elem_id="draft-to")
            subject = gr.Textbox(label="事由", placeholder="如：报送人工智能应用场景", elem_id="draft-subject")
            points = gr.Textbox(label="要点（每行一条）", lines=3, elem_id="draft-points")
            with gr.Row():
                number = gr.Textbox(label="发文字号（可选）", placeholder="吉科发〔2026〕12号", elem_id="draft-number")
                day = gr.Textbox(label="成文日期（可选）", placeholder="2026-07-01，默认今天", elem_id="draft-date")
            with gr.Row():
                grounding = gr.Dropdown(
                    label="依据文件（可选，默认按事由和要点检索）", choices=[], multiselect=True, elem_id="draft-docs"
                )
                query = gr.Textbox(label="检索词（可选）", elem_id="draft-query")
            with gr.Accordion("更多要素", open=False):
                attachments = gr.Textbox(label="附件（每行一个）", lines=2)
                cc = gr.Textbox(label="抄送机关", placeholder="用顿号或换行分隔")
                with gr.Row():
                    signer = gr.Textbox(label="签发人（请示、报告）")
                    contact = gr.Textbox(label="联系人及电话（附注）")
                reply_to = gr.Textbox(label="所批复的请示标题（批复）")
            write = gr.Button("生成草稿", variant="primary", elem_id="draft-write")
        status = gr.HTML(elem_id="draft-status")
        with gr.Row():
            with gr.Column(scale=3):
                preview = gr.HTML(label="草稿预览", elem_id="draft-preview")
                with gr.Accordion("修改草稿", open=False, elem_id="draft-edit"):
                    edit_title = gr.Textbox(label="标题", elem_id="draft-edit-title")
                    edit_body = gr.Textbox(label="正文（每段一行，标题序号可随意写，程序会重新编号）", lines=12)
                    apply = gr.Button("应用修改并重新检查", elem_id="draft-apply")
            with gr.Column(scale=2):
                findings = gr.HTML(elem_id="draft-findings")
                download = gr.DownloadButton("下载 .docx", visible=False, variant="primary", elem_id="draft-download")
                sources = gr.HTML(elem_id="draft-sources")
        desk = gr.State(None)

    shown = [status, preview, findings, sources, download, desk, edit_title, edit_body]

    def finished(saved: SavedDraft, brief: Desk) -> tuple[Any, ...]:
        draft = saved.draft
        return (
            f'<p class="ok">草稿已生成（{escape(draft.label)}）</p>',
            paper(saved.text),
            findings_html(saved),
            citations_html(draft.citations, "起草依据（点击查看原文）"),
            gr.DownloadButton(value=saved_copy(saved), visible=True),
            dataclasses.replace(brief, draft=draft),
            draft.title,
            editable_body(draft),
        )

    async def draft_it(*values: Any) -> AsyncIterator[tuple[Any, ...]]:
        *fields, who = values
        keep = gr.skip()
        try:
            writer = require(who, "staff")
            request = _request(*fields)
            events = service.components.drafter.stream(request, SearchFilter(access=writer.access))
            cleared = ("", "", "", gr.DownloadButton(visible=False), None, "", "")
            yield ('<p class="working">正在排队等待模型…</p>', *cleared)
            run = await start_generation(service, lambda: events)
            body = ""
            async with aclosing(run.events()) as stream:  # type: ignore[type-var]
                async for event in stream:
                    event_: DraftEvent = event
                    if event_.type == "citations":
                        found = event_.citations or []
                        cited = citations_html(found, "起草依据（点击查看原文）")
                        writing = f'<p class="working">已找到 {len(found)} 段依据，模型正在撰写正文…</p>'
                        yield (writing, paper("", "正在撰写正文…"), keep, cited, keep, keep, keep, keep)
                    elif event_.type == "token":
                        body += event_.token or ""
                        yield (keep, paper(body, "正在撰写正文（完成后由程序排版、编号并检查格式）…"), *[keep] * 6)
                    elif event_.draft is not None:
                        saved = await run_in_threadpool(store.save, event_.draft)
                        service.components.audit.record(DRAFT, writer, draft_detail(event_.draft))
                        yield finished(saved, Desk(event_.draft, request.subject, request.points))
        except Exception as exc:  # in plain words; a request that fails its check never queues for the model
            yield (f'<p class="error">{escape(explain(exc))}</p>', *[keep] * 7)

    def apply_edit(title: str, body: str, current: Desk | None, who: Caller | None) -> tuple[Any, ...]:
        try:
            require(who, "staff")
            if current is None:
                return ('<p class="error">请先生成草稿，再修改。</p>', *[gr.skip()] * 7)
            saved = store.save(revised(current, title, body))
        except Exception as exc:
            return (f'<p class="error">{escape(explain(exc))}</p>', *[gr.skip()] * 7)
        result = finished(saved, current)
        return ('<p class="ok">已应用修改，格式已重新检查。</p>', *result[1:])

    def documents(who: Caller | None) -> gr.Dropdown:
        if not may(who, "staff"):
            return gr.Dropdown(choices=[], value=[])
        assert who is not None
        readable = [d for d in service.components.store.list_documents() if d.get("access", "public") in who.access]
        return gr.Dropdown(choices=[document_choice(d) for d in readable])

    form = [kind, issuer, recipients, subject, points, number, day, grounding, query, attachments, cc, signer]
    form += [contact, reply_to, caller]
    write.click(draft_it, form, shown, api_visibility="private")
    apply.click(apply_edit, [edit_title, edit_body, desk, caller], shown, api_visibility="private")
    return Screen(tab, "staff", [Refresh(documents, [caller], [grounding])])


def _optional(text: str | None) -> str | None:
    """A field left empty (or never shown: a closed section sends nothing) is not given."""
    return (text or "").strip() or None


def _request(
    kind: str,
    issuer: str | None,
    recipients: str | None,
    subject: str | None,
    points: str | None,
    number: str | None,
    day: str | None,
    doc_ids: list[str] | None,
    query: str | None,
    attachments: str | None,
    cc: str | None,
    signer: str | None,
    contact: str | None,
    reply_to: str | None,
) -> DraftRequest:
    return DraftRequest(
        doc_type=kind,
        issuer=issuer or "",
        subject=subject or "",
        recipients=listed(recipients),
        points=listed(points, lines_only=True),
        doc_number=_optional(number),
        date=drafted_on(day),
        attachments=listed(attachments, lines_only=True),
        cc=listed(cc),
        signer=_optional(signer),
        contact=_optional(contact),
        reply_to=_optional(reply_to),
        query=_optional(query),
        doc_ids=list(doc_ids or []),
    )
