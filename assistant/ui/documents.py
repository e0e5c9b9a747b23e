"""文档管理 (admin): upload and ingest files, list and delete documents, and see what retrieval returns.

Uploads go through the same ``UploadIngestor`` as ``POST /v1/documents`` (checked first, then
ingested one by one, an upload known as ``upload/NAME``); search-only mode is the ``Searcher``
that answers use, with the evidence decision that makes an answer decline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from assistant.api.auth import Caller
from assistant.api.deps import ServiceState
from assistant.api.errors import NotFound
from assistant.api.uploads import UploadedFile, check_size
from assistant.audit.details import deletion_detail, upload_detail
from assistant.audit.log import DELETION, UPLOAD
from assistant.ingest.loaders import SUPPORTED_SUFFIXES
from assistant.retrieval.store import SearchFilter
from assistant.ui.messages import explain
from assistant.ui.render import DOCUMENT_COLUMNS, document_choice, document_rows, outcomes_html, search_html
from assistant.ui.screen import Refresh, Screen
from assistant.ui.session import may, origin_of, require

ACCESS_CHOICES = [("按元数据文件（默认公开）", ""), ("公开", "public"), ("内部", "internal")]
# Gradio finds the progress tracker by this default value; it is never called as it is.
PROGRESS = gr.Progress()
SIDECAR_HINT = "同名的 `文件名.meta.json` 一并上传时作为该文件的元数据（标题、发文机关、日期、文号、状态、公开范围）。"


def notice(text: str, kind: str = "ok") -> str:
    return f'<p class="{kind}">{text}</p>'


def build(service: ServiceState, caller: gr.State, visible: bool) -> Screen:
    store = service.components.store
    with gr.Tab("文档管理", id="documents", visible=visible) as tab:
        with gr.Accordion("上传文件", open=True):
            files = gr.File(
                label="选择文件（可多选）",
                file_count="multiple",
                file_types=[*SUPPORTED_SUFFIXES, ".json"],
                elem_id="upload-files",
            )
            gr.Markdown(SIDECAR_HINT, elem_classes=["hint"])
            access = gr.Radio(ACCESS_CHOICES, value="", label="公开范围", elem_id="upload-access")
            upload = gr.Button("上传并入库", variant="primary", elem_id="upload")
            outcomes = gr.HTML(elem_id="upload-results")
        with gr.Accordion("文档列表", open=True):
            table = gr.Dataframe(
                headers=DOCUMENT_COLUMNS,
                interactive=False,
                wrap=True,
                max_height=420,
                elem_id="documents-table",
            )
            with gr.Row():
                pick = gr.Dropdown(label="要删除的文档", choices=[], value=None, scale=4, elem_id="delete-pick")
                delete = gr.Button("删除", variant="stop", scale=1, min_width=72, elem_id="delete")
            deleted = gr.HTML(elem_id="delete-result")
        with gr.Accordion("检索测试（只检索，不生成回答）", open=False):
            with gr.Row(equal_height=True):
                query = gr.Textbox(show_label=False, placeholder="输入检索词或问题", scale=5, elem_id="search-query")
                search = gr.Button("检索", scale=1, min_width=72, elem_id="search")
            hits = gr.HTML(elem_id="search-results")

    def documents(who: Caller | None) -> tuple[list[list[Any]], gr.Dropdown]:
        if not may(who, "admin"):
            return [], gr.Dropdown(choices=[], value=None)
        stored = store.list_documents()
        return document_rows(stored), gr.Dropdown(choices=[document_choice(d) for d in stored], value=None)

    def ingest(
        paths: list[str] | None, level: str, who: Caller | None, request: gr.Request, progress: gr.Progress = PROGRESS
    ) -> str:
        try:
            admin = require(who, "admin")
            if not paths:
                return notice("请先选择要上传的文件。", "error")
            for path in map(Path, paths):  # sizes first: a file over the limit is never read
                check_size(path.name, path.stat().st_size, service.settings.max_file_mb)
            uploads = [UploadedFile(name=Path(p).name, data=Path(p).read_bytes()) for p in paths]
            order = [u.name for u in uploads if not u.name.endswith(".meta.json")]
            progress(0, desc=f"正在检查 {len(order)} 个文件…")

            def on_progress(name: str, done: int, total: int) -> None:
                position = order.index(name)
                progress(
                    (position + done / total) / len(order),
                    desc=f"第 {position + 1}/{len(order)} 个文件 {name}：已处理 {done}/{total} 个片段",
                )

            results = service.uploads.ingest(uploads, level or None, on_progress)
            service.components.audit.record(UPLOAD, admin, upload_detail(results, level or None), origin_of(request))
        except Exception as exc:  # shown in plain words; nothing was ingested when the check failed
            return notice(explain(exc), "error")
        named = [(Path(o.source).name, o) for o in results]
        failed = [o for o in results if o.status == "failed"]
        summary = f"处理完成：{len(results) - len(failed)} 个成功，{len(failed)} 个失败。"
        return notice(summary, "error" if failed else "ok") + outcomes_html(named)

    def remove(doc_id: str | None, who: Caller | None, request: gr.Request) -> str:
        try:
            admin = require(who, "admin")
            if not doc_id:
                return notice("请先选择要删除的文档。", "error")
            document = store.get_document(doc_id)
            if document is None:
                raise NotFound(f"no document with id {doc_id}")
            removed = store.delete_document(doc_id)
            detail = deletion_detail(doc_id, document, removed)
            service.components.audit.record(DELETION, admin, detail, origin_of(request))
        except Exception as exc:
            return notice(explain(exc), "error")
        return notice(f"已删除《{document.get('title') or doc_id}》及其 {removed} 个片段。")

    def retrieve(text: str, who: Caller | None) -> str:
        try:
            reader = require(who, "admin")
            if not (text or "").strip():
                return notice("请输入检索词。", "error")
            return search_html(service.components.searcher.search(text.strip(), flt=SearchFilter(access=reader.access)))
        except Exception as exc:
            return notice(explain(exc), "error")

    listing = Refresh(documents, [caller], [table, pick])
    upload.click(ingest, [files, access, caller], outcomes, api_visibility="private").then(
        documents, [caller], [table, pick], api_visibility="private"
    )
    delete.click(remove, [pick, caller], deleted, api_visibility="private").then(
        documents, [caller], [table, pick], api_visibility="private"
    )
    query.submit(retrieve, [query, caller], hits, api_visibility="private")
    search.click(retrieve, [query, caller], hits, api_visibility="private")
    return Screen(tab, "admin", [listing])
