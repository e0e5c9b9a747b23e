"""政策问答: a chat that streams grounded answers with numbered, openable citations.

It calls the answer service the way ``POST /v1/ask`` does (``start_answer``): one generation at a
time through the service's queue, stopped when the person leaves or starts a new conversation.
A question that names a goal the service catalogue covers ("一件事") first gets the guide card.
Follow-up questions carry the last turns of the conversation, which the service uses to rewrite
them into standalone questions before it searches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import aclosing
from html import escape
from typing import Any, TypeVar

import gradio as gr
from starlette.concurrency import run_in_threadpool

from assistant.answer.service import LABEL_LINE
from assistant.answer.types import Answer
from assistant.api.audit_trail import log_answer, log_question
from assistant.api.auth import Caller
from assistant.api.deps import ServiceState
from assistant.api.generation import start_answer
from assistant.retrieval.store import SearchFilter
from assistant.ui import start_case
from assistant.ui.examples import example_questions
from assistant.ui.guide_card import guide_card, guide_html
from assistant.ui.messages import explain
from assistant.ui.rating import FEEDBACK_OPTIONS, RatingControl
from assistant.ui.render import answer_markdown, draft_markdown
from assistant.ui.screen import Refresh, Screen
from assistant.ui.session import may, origin_of, require

# Turns (question + answer = 2 messages) a follow-up is read with: enough for "那个呢？", small enough for the context.
HISTORY_MESSAGES = 6
WELCOME = (
    "您好！我是政务助手，可以根据本助手收录的政策文件回答您的问题，并注明每句话的出处。\n\n"
    "请在下方输入问题，或点击示例问题。"
)

Messages = list[dict[str, Any]]
UNCHANGED = (gr.skip(), gr.skip(), gr.skip(), gr.skip())
T = TypeVar("T")
History = list[dict[str, str]]


class Stopped(Exception):
    """The person started a new conversation while this answer was being written."""


async def unless(stop: asyncio.Event, work: Awaitable[T]) -> T:
    """The result of ``work``, unless ``stop`` is set first: then ``work`` is cancelled and ``Stopped`` raised."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})  # let it unwind (an async generator must finish before it is closed)
    raise Stopped


def error_html(message: str) -> str:
    return f'<p class="error">{escape(message)}</p>'


def remembered(history: History, question: str, answer: Answer) -> History:
    """The conversation a follow-up is read with: the last turns, answers without the AI label."""
    reply = answer.answer.removesuffix(LABEL_LINE).strip()
    return [*history, {"role": "user", "content": question}, {"role": "assistant", "content": reply}][
        -HISTORY_MESSAGES:
    ]


def build(service: ServiceState, caller: gr.State, visible: bool) -> Screen:
    with gr.Tab("政策问答", id="chat", visible=visible) as tab:
        chatbot = gr.Chatbot(
            label="政策问答",
            show_label=False,
            placeholder=WELCOME,
            height="62vh",
            min_height=320,
            buttons=["copy"],
            elem_id="chat",
            layout="bubble",
            feedback_options=FEEDBACK_OPTIONS,  # 好差评 under each answer (assistant/ui/rating.py)
        )
        guide = gr.State(None)  # the conversation's last guide: its 一件事 can be applied for
        start_case.build(service, caller, guide)
        rating = RatingControl(service)
        rating.build(chatbot, caller)
        examples = gr.Dataset(label="可以这样问", components=["textbox"], samples=[], elem_id="examples")
        with gr.Row(equal_height=True, elem_id="ask-row"):
            question = gr.Textbox(
                show_label=False,
                placeholder="请输入您的问题，例如：企业购买算力有补贴吗？",
                max_length=1000,
                scale=5,
                min_width=0,
                elem_id="question",
            )
            send = gr.Button("发送", variant="primary", scale=1, min_width=72, elem_id="send")
        new = gr.Button("新对话", size="sm", elem_id="new-chat")
        history = gr.State([])

    # The answers each browser session is writing; a new conversation stops them at once.
    writing: dict[str | None, set[asyncio.Event]] = {}

    async def respond(
        text: str, messages: Messages | None, past: History, who: Caller | None, request: gr.Request
    ) -> AsyncIterator[tuple[Any, ...]]:
        keep = gr.skip()
        text = (text or "").strip()
        messages = list(messages or [])
        if not text:
            return
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": draft_markdown("", 0)}]
        yield "", messages, past, keep
        stop = asyncio.Event()
        writing.setdefault(request.session_hash, set()).add(stop)
        try:
            reader = require(who, "public")
            service.rate_limiter.check(reader.key_id)
            flt, origin = SearchFilter(access=reader.access), origin_of(request)
            log_question(service.components.audit, reader, text, flt, "ui", origin)
            card = await unless(stop, run_in_threadpool(guide_card, service.components, text, reader.access))
            if card:  # a goal ("一件事"): its guide first (with its action below the chat), the answer below
                messages.insert(len(messages) - 1, {"role": "assistant", "content": guide_html(card)})
                yield "", messages, past, card
            run = await unless(stop, start_answer(service, text, past, flt))
            draft, passages, excerpt = "", 0, []
            async with aclosing(run.events()) as events:  # type: ignore[type-var]
                while (event := await unless(stop, anext(events, None))) is not None:
                    if event.type == "citations":
                        passages = len(event.citations or [])
                    elif event.type == "excerpt":
                        excerpt = event.excerpt or []
                    elif event.type == "token":
                        draft += event.token or ""
                    elif event.answer is not None:
                        log_answer(service.components.audit, reader, event.answer, flt, "ui", origin)
                        rating.remember(request, len(messages) - 1, event.answer.audit_id)
                        past = remembered(past, text, event.answer)
                        messages[-1] = {"role": "assistant", "content": answer_markdown(event.answer)}
                        yield "", messages, past, keep
                        return
                    messages[-1] = {"role": "assistant", "content": draft_markdown(draft, passages, excerpt)}
                    yield "", messages, past, keep
        except Stopped:  # a new conversation began; leaving closes the run, which stops the model
            yield UNCHANGED  # the last value a handler yields is shown again when it ends
        except Exception as exc:  # shown to the person in plain words; explain() logs what is unexpected
            messages[-1] = {"role": "assistant", "content": error_html(explain(exc, detail=False))}
            yield "", messages, past, keep
        finally:
            writing.get(request.session_hash, set()).discard(stop)

    def refresh_examples(who: Caller | None) -> gr.Dataset:
        if not may(who, "public"):
            return gr.Dataset(samples=[])
        assert who is not None
        questions = example_questions(service.components.store, who.access)
        return gr.Dataset(samples=[[q] for q in questions])

    inputs = [question, chatbot, history, caller]
    outputs = [question, chatbot, history, guide]
    # Conversations answer side by side; the service's generation queue, shared with the API, takes the turns.
    answer = {
        "fn": respond,
        "inputs": inputs,
        "outputs": outputs,
        "concurrency_limit": None,
    }
    question.submit(**answer, api_visibility="private")
    send.click(**answer, api_visibility="private")
    picked = examples.click(lambda sample: sample[0], examples, question, api_visibility="private", queue=False)
    picked.then(**answer, api_visibility="private")

    async def start_over(request: gr.Request) -> tuple[str, Messages, History, None]:
        for stop in writing.pop(request.session_hash, set()):
            stop.set()
        rating.forget(request)
        return "", [], [], None

    new.click(start_over, None, outputs, api_visibility="private", queue=False)
    return Screen(tab, "public", [Refresh(refresh_examples, [caller], [examples])])
