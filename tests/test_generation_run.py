"""A generation's events reach the event loop in order, token pieces that arrive together as one event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from assistant.answer.types import AnswerEvent
from assistant.api.generation import GenerationRun, merged_tokens
from assistant.api.limits import GenerationQueue
from assistant.api.metrics import ServiceMetrics

PIECES = ["算力", "券", "按", "合同", "金额", "的", "20%", "给予", "补贴", "[1]", "。"]


def answer_events(pause: float = 0.0) -> Iterator[AnswerEvent]:
    yield AnswerEvent("citations", citations=[])
    for piece in PIECES:
        time.sleep(pause)
        yield AnswerEvent("token", token=piece)
    yield AnswerEvent("done")


async def collect(pause: float, block_loop: float) -> tuple[list[AnswerEvent], ServiceMetrics]:
    metrics = ServiceMetrics()
    queue = GenerationQueue(max_waiting=1, timeout=5, metrics=metrics)
    run = GenerationRun(metrics, lambda: answer_events(pause), await queue.acquire())
    time.sleep(block_loop)  # the loop is busy elsewhere while the thread hands events over
    events = [event async for event in run.events()]
    await asyncio.wait_for(queue.acquire(), timeout=5)  # the turn at the model was given back
    return events, metrics


def test_pieces_handed_over_while_the_loop_is_busy_arrive_as_one_token_event() -> None:
    events, metrics = asyncio.run(collect(pause=0.0, block_loop=0.5))
    assert [e.type for e in events] == ["citations", "token", "done"]
    assert events[1].token == "".join(PIECES)
    # The pieces the service generated are still counted one by one.
    assert metrics.registry.get_sample_value("assistant_generated_tokens_total") == len(PIECES)


def test_pieces_the_loop_takes_as_they_come_stay_separate_events() -> None:
    events, _ = asyncio.run(collect(pause=0.05, block_loop=0.0))
    tokens = [e.token for e in events if e.type == "token"]
    assert events[0].type == "citations" and events[-1].type == "done"
    assert "".join(tokens) == "".join(PIECES) and len(tokens) > len(PIECES) // 2


def test_only_adjacent_token_events_are_merged() -> None:
    items = [
        AnswerEvent("citations", citations=[]),
        AnswerEvent("token", token="a"),
        AnswerEvent("token", token="b"),
        AnswerEvent("excerpt", excerpt=[]),
        AnswerEvent("token", token="c"),
    ]
    assert [(e.type, e.token) for e in merged_tokens(items)] == [
        ("citations", None),
        ("token", "ab"),
        ("excerpt", None),
        ("token", "c"),
    ]
