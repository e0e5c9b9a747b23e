"""Running a generation (an answer, a draft) for a caller: in its own thread, holding the turn at the model, stoppable.

``AnswerService.stream`` and ``DraftService.stream`` are blocking generators. A ``GenerationRun`` drives
one in one worker thread (so the event loop keeps serving, and the generator is only ever touched by
that thread) and hands its events to the event loop. Token pieces that come faster than the loop takes
them (prompt-lookup decoding yields several at once) travel as one event: one wake-up of the loop and
one SSE message per burst instead of per token, on the cores the model's threads need, and no piece
waits for a later one. When the client goes away the run is stopped:
the thread closes the generator after the piece in progress, which stops the model, and only then
gives the turn at the model (the ``GenerationLease``) back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import closing, suppress
from dataclasses import replace
from typing import Any, Generic, TypeVar

from fastapi import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from assistant.answer.types import Answer, AnswerEvent
from assistant.api.deps import ServiceState
from assistant.api.limits import GenerationLease
from assistant.api.metrics import ServiceMetrics
from assistant.retrieval.store import SearchFilter

History = list[dict[str, str]]
E = TypeVar("E")
_END = object()


class _Failure:
    def __init__(self, error: Exception) -> None:
        self.error = error


class GenerationRun(Generic[E]):
    """The events of ``produce()`` generated in their own thread; the lease is released when that thread is done."""

    def __init__(self, metrics: ServiceMetrics, produce: Callable[[], Iterator[E]], lease: GenerationLease) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._stop = threading.Event()
        self._pending: list[Any] = []  # handed over by the thread, not yet queued by the loop
        self._pending_lock = threading.Lock()
        self._metrics = metrics
        self._lease = lease
        thread = threading.Thread(target=self._pump, args=(produce,), name="generation", daemon=True)
        thread.start()

    def stop(self) -> None:
        """Ask the thread to stop after the piece in progress (idempotent)."""
        self._stop.set()

    async def events(self) -> AsyncIterator[E]:
        """The events as they come; leaving the iteration early stops the run."""
        try:
            while (item := await self._queue.get()) is not _END:
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            self.stop()

    def _pump(self, produce: Callable[[], Iterator[E]]) -> None:
        try:
            events = produce()
            with closing(events):  # type: ignore[type-var]  # a generator
                for event in events:
                    if _is_token(event):
                        self._metrics.tokens.inc()
                    if self._stop.is_set():
                        return
                    self._hand_over(event)
        except Exception as exc:  # handed to the request, which maps it to an error response
            self._hand_over(_Failure(exc))
        finally:
            self._hand_over(_END)
            self._on_loop(self._lease.release)

    def _hand_over(self, item: Any) -> None:
        """Queue ``item`` on the loop, with whatever else the thread handed over since the loop last looked."""
        with self._pending_lock:
            self._pending.append(item)
            if len(self._pending) > 1:  # a call to _take_pending is already on its way
                return
        self._on_loop(self._take_pending)

    def _take_pending(self) -> None:
        with self._pending_lock:
            items, self._pending = self._pending, []
        for item in merged_tokens(items):
            self._queue.put_nowait(item)

    def _on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        with suppress(RuntimeError):  # the event loop is gone (server shut down): nobody is waiting any more
            self._loop.call_soon_threadsafe(callback, *args)


def merged_tokens(items: list[Any]) -> list[Any]:
    """``items`` with each run of adjacent token events made one event carrying their text."""
    merged: list[Any] = []
    for item in items:
        if merged and _is_token(item) and _is_token(merged[-1]):
            merged[-1] = replace(merged[-1], token=merged[-1].token + item.token)
        else:
            merged.append(item)
    return merged


def _is_token(item: Any) -> bool:
    return getattr(item, "type", None) == "token"


AnswerRun = GenerationRun[AnswerEvent]


async def start_generation(state: ServiceState, produce: Callable[[], Iterator[E]]) -> GenerationRun[E]:
    """Wait for a turn at the model (429 when the queue is full or the wait too long), then start ``produce()``."""
    lease = await state.generation.acquire()
    return GenerationRun(state.metrics, produce, lease)


async def start_answer(state: ServiceState, question: str, history: History, flt: SearchFilter) -> AnswerRun:
    """Start answering once it is the question's turn at the model."""
    return await start_generation(
        state, lambda: state.components.answerer.stream(question, history=history or None, flt=flt)
    )


async def complete_answer(request: Request, run: AnswerRun) -> Answer | None:
    """The final answer of ``run``; None when the client disconnected first (the run is then stopped)."""
    consumer = asyncio.ensure_future(_final_answer(run.events()))
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({consumer, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        consumer.cancel()  # does nothing when it has finished
    await asyncio.wait({consumer})
    return None if consumer.cancelled() else consumer.result()


async def _final_answer(events: AsyncIterator[AnswerEvent]) -> Answer | None:
    answer = None
    async for event in events:
        if event.type == "done":
            answer = event.answer
    return answer


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


class AnswerStreamResponse(StreamingResponse):
    """A streamed answer that stops its run however the response ends.

    An async generator that never started does not run its ``finally``, so a client that leaves
    before the first byte would otherwise leave the run going.
    """

    def __init__(self, content: AsyncIterator[str], run: AnswerRun) -> None:
        super().__init__(
            content, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        self._run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._run.stop()


def sse(event: str, data: str) -> str:
    """One Server-Sent Event; ``data`` must be one line (JSON is)."""
    return f"event: {event}\ndata: {data}\n\n"
