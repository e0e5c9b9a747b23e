"""The web page: sign-in, then the screens the person's role may use, mounted in the API's FastAPI app.

Everything the page loads is served by this process: the theme uses the system's fonts (no web
font is fetched), Gradio's analytics are off, and nothing points at another host.
"""

from __future__ import annotations

from html import escape

import gradio as gr
from fastapi import FastAPI

from assistant.api.auth import Caller
from assistant.api.deps import ServiceState
from assistant.config import set_offline_switches
from assistant.ui import cases, chat, documents, drafting, gaps, progress
from assistant.ui.messages import explain
from assistant.ui.screen import Screen
from assistant.ui.session import describe, initial_caller, may, sign_in
from assistant.ui.style import CSS

UI_PATH = "/ui"
TITLE = "政务助手"
# System fonts only: a named font is used when installed, and a browser never downloads one for it.
FONTS = ("system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "sans-serif")
MONO_FONTS = ("ui-monospace", "Noto Sans Mono CJK SC", "monospace")


def theme() -> gr.themes.Base:
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO_FONTS)


def build_ui(service: ServiceState) -> gr.Blocks:
    """The page; each screen shows only to a role that may use it (and checks the role again itself)."""
    set_offline_switches()
    start = initial_caller(service.keys)
    local = service.keys.local_mode
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True) as page:
        caller = gr.State(start)
        with gr.Row(elem_id="masthead", equal_height=True):
            gr.Markdown(f"## {TITLE}", elem_id="brand")
            who = gr.Markdown(describe(start) if start and not local else "", elem_id="who")
            sign_out = gr.Button("退出登录", size="sm", visible=False, scale=0, min_width=90, elem_id="sign-out")
        with gr.Column(visible=not local, elem_id="signed-out") as sign_in_box:
            with gr.Group(elem_id="sign-in"):
                key = gr.Textbox(
                    label="访问密钥", type="password", placeholder="请输入管理员发放的访问密钥", elem_id="key"
                )
                enter = gr.Button("登录", variant="primary", elem_id="enter")
                refused = gr.HTML(elem_id="sign-in-message")
            # An applicant follows their case with its number and code: no key needed.
            with gr.Accordion("办件进度查询（凭办件编号和查询码）", open=True, elem_id="public-progress"):
                progress.box(service, "lookup")
        with gr.Tabs(elem_id="screens"):
            screens: list[Screen] = [
                chat.build(service, caller, visible=may(start, "public")),
                progress.build(service, caller, visible=may(start, "public")),
                cases.build(service, caller, visible=may(start, "staff")),
                drafting.build(service, caller, visible=may(start, "staff")),
                documents.build(service, caller, visible=may(start, "admin")),
                gaps.build(service, caller, visible=may(start, "admin")),  # 知识缺口 (issue 18)
            ]

        def enter_key(text: str) -> tuple[Caller | None, str, str]:
            try:
                return sign_in(service.keys, text), "", ""
            except Exception as exc:
                return None, f'<p class="error">{escape(explain(exc, detail=False))}</p>', ""

        def arrange(person: Caller | None) -> list[object]:
            signed = person is not None and not local
            return [
                gr.Markdown(describe(person) if signed and person else ""),
                gr.Button(visible=signed),
                gr.Column(visible=not local and person is None),
                *(gr.Tab(visible=may(person, screen.role)) for screen in screens),
            ]

        layout = [who, sign_out, sign_in_box, *(screen.tab for screen in screens)]
        signed_in = enter.click(enter_key, key, [caller, refused, key], api_visibility="private").then(
            arrange, caller, layout, api_visibility="private"
        )
        submitted = key.submit(enter_key, key, [caller, refused, key], api_visibility="private").then(
            arrange, caller, layout, api_visibility="private"
        )
        for screen in screens:
            for refresh in screen.refreshes:
                for event in (signed_in, submitted):
                    event.then(refresh.fn, refresh.inputs, refresh.outputs, api_visibility="private")
                page.load(refresh.fn, refresh.inputs, refresh.outputs, api_visibility="private")
        # A fresh page is a fresh session: nothing of the signed-out person stays in the browser.
        sign_out.click(None, js="() => { window.location.reload(); }")
    return page


def mount_ui(app: FastAPI, service: ServiceState) -> None:
    """Serve the page at ``UI_PATH`` of ``app``."""
    gr.mount_gradio_app(
        app,
        build_ui(service),
        path=UI_PATH,
        footer_links=[],
        run_history=False,
        show_error=False,
        max_file_size=f"{service.settings.max_file_mb}mb",
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        theme=theme(),
        css=CSS,
    )
