"""好差评 under each answer of the chat: the chatbot's feedback menu offers the five ratings; choosing one
opens a short form for an optional reason, and submitting it rates the answer as ``POST /v1/feedback`` does.

The control knows an answer only by its place in the conversation and its ``audit_id``, which the chat
hands over with ``remember`` when the answer is finished; it does not depend on how answers are drawn.
"""

from __future__ import annotations

from html import escape

import gradio as gr
from starlette.concurrency import run_in_threadpool

from assistant.api.auth import Caller
from assistant.api.deps import ServiceState
from assistant.audit.feedback import RATINGS, AlreadyRated
from assistant.ui.messages import explain
from assistant.ui.session import require

FEEDBACK_OPTIONS = list(RATINGS)  # the chatbot's feedback menu: 非常满意 … 非常不满意


class RatingControl:
    """Rates the chat's answers; ``remember``/``forget`` keep which message is which answer, per browser session."""

    def __init__(self, service: ServiceState) -> None:
        self.service = service
        self._answers: dict[str | None, dict[int, str]] = {}

    def remember(self, request: gr.Request, index: int, audit_id: str | None) -> None:
        """The message at ``index`` of this session's conversation is the answer logged as ``audit_id``."""
        if audit_id:
            self._answers.setdefault(request.session_hash, {})[index] = audit_id

    def forget(self, request: gr.Request) -> None:
        """A new conversation: the old messages cannot be rated any more."""
        self._answers.pop(request.session_hash, None)

    def build(self, chatbot: gr.Chatbot, caller: gr.State) -> None:
        """The reason form, placed where this is called, and the chatbot's feedback event."""
        pending = gr.State(None)  # (message index, rating) chosen and not yet submitted
        with gr.Group(visible=False, elem_id="rating-form") as form:
            chosen = gr.Markdown(elem_id="rating-chosen")
            reason = gr.Textbox(
                label="评价理由（选填）", placeholder="例如：没有回答我的问题", max_lines=3, elem_id="rating-reason"
            )
            submit = gr.Button("提交评价", variant="primary", size="sm", elem_id="rating-submit")
        outcome = gr.HTML(elem_id="rating-result")

        def choose(data: gr.LikeData) -> tuple[object, ...]:
            rating = data.liked if isinstance(data.liked, str) and data.liked in RATINGS else None
            index = data.index[0] if isinstance(data.index, list | tuple) else data.index
            if rating is None:  # the choice was taken back
                return None, gr.Group(visible=False), "", gr.skip(), ""
            return (index, rating), gr.Group(visible=True), f"您对这条回答的评价：**{rating}**", "", ""

        async def rate(
            choice: tuple[int, str] | None, text: str, who: Caller | None, request: gr.Request
        ) -> tuple[object, ...]:
            if not choice:
                return None, gr.Group(visible=False), '<p class="error">请先在回答下方选择评价。</p>'
            index, rating = choice
            try:
                rater = require(who, "public")
                audit_id = self._answers.get(request.session_hash, {}).get(index)
                if audit_id is None:
                    return choice, gr.skip(), '<p class="error">这条消息不能评价（只能评价本次对话中的回答）。</p>'
                feedback = self.service.components.feedback
                await run_in_threadpool(feedback.rate, rater, audit_id, rating, text)
            except AlreadyRated:
                return (
                    None,
                    gr.Group(visible=False),
                    '<p class="error">您已经评价过这条回答，每条回答只能评价一次。</p>',
                )
            except Exception as exc:
                return choice, gr.skip(), f'<p class="error">{escape(explain(exc, detail=False))}</p>'
            return None, gr.Group(visible=False), f'<p class="ok">感谢您的评价（{escape(rating)}）！</p>'

        chatbot.like(choose, None, [pending, form, chosen, reason, outcome], api_visibility="private", queue=False)
        submit.click(rate, [pending, reason, caller], [pending, form, outcome], api_visibility="private")
