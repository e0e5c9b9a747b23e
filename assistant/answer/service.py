"""Grounded answering: rewrite a follow-up, retrieve, answer from numbered passages, check the answer.

``stream`` yields a ``citations`` event (the passages the model sees, numbered as in its prompt), an
``excerpt`` event (their sentences that match the question, "政策原文", before the model starts), then
``token`` events (the model's text as it comes, then the AI label), then ``done`` with the final
``Answer``: its text reviewed against the passages (``faithfulness.py``), its citations checked and
renumbered; clients replace the streamed draft with it. When retrieval finds nothing, the model is not
called and the answer is a fixed decline; when the question asks for a field of the service item
found first (materials, place, time limit…), the record answers it without the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

from assistant.answer.citations import check_answer, normalise_markers
from assistant.answer.excerpt import key_sentences, renumbered
from assistant.answer.faithfulness import review_answer, standing_notes, with_notes
from assistant.answer.field_answer import field_answer
from assistant.answer.prompts import plan_answer_prompt
from assistant.answer.rewrite import rewrite_question
from assistant.answer.types import AI_LABEL, Answer, AnswerEvent
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.models.llm import ChatLLM, LLMError, Message
from assistant.retrieval.citation import Citation
from assistant.retrieval.search import Searcher, SearchResult
from assistant.retrieval.store import SearchFilter

MAX_QUESTION_CHARS = 1000
# Greedy decoding: the same passages give the same answer, and small models stray less.
ANSWER_TEMPERATURE = 0.0
LABEL_LINE = f"\n\n{AI_LABEL}"


class BadQuestion(AssistantError):
    """The question or the conversation history cannot be answered as given (empty, too long, malformed)."""


class AnswerService:
    def __init__(self, settings: Settings, searcher: Searcher, llm: ChatLLM) -> None:
        self.settings = settings
        self.searcher = searcher
        self.llm = llm

    def answer(self, question: str, history: list[Message] | None = None, flt: SearchFilter | None = None) -> Answer:
        *_, done = self.stream(question, history, flt)
        assert done.answer is not None
        return done.answer

    def stream(
        self, question: str, history: list[Message] | None = None, flt: SearchFilter | None = None
    ) -> Iterator[AnswerEvent]:
        """Check the request now (raising ``BadQuestion``); the work happens as the events are consumed."""
        return self._events(checked_question(question), checked_history(history), flt)

    def _events(self, question: str, history: list[Message], flt: SearchFilter | None) -> Iterator[AnswerEvent]:
        standalone = rewrite_question(self.llm, question, history).question
        found = self.searcher.search(standalone, flt=flt)
        if not found.evidence:
            text = decline_text(standalone) + LABEL_LINE
            yield AnswerEvent("citations", citations=[])
            yield AnswerEvent("token", token=text)
            answer = Answer(question, standalone, text, [], grounded=False, declined=True, answered_by="none")
            yield AnswerEvent("done", answer=answer)
            return
        from_record = field_answer(standalone, found.results[0])
        if from_record is not None:
            yield from self._record_answer(question, standalone, found.results[0], from_record)
            return

        max_tokens = self.settings.llm_max_tokens
        results = found.results[: self.settings.answer_passages]
        plan = plan_answer_prompt(standalone, results, self.llm, max_tokens, self.settings.answer_passage_sentences)
        if not plan.passages:
            raise LLMError(
                f"no passage fits the model's context: ASSISTANT_LLM_CONTEXT={self.llm.context_tokens} minus "
                f"ASSISTANT_LLM_MAX_TOKENS={max_tokens} leaves {plan.budget} tokens; raise one or lower the other"
            )
        citations = [Citation.from_result(n, r) for n, r in enumerate(plan.passages, start=1)]
        yield AnswerEvent("citations", citations=citations)
        excerpt = key_sentences(standalone, plan.passages)
        yield AnswerEvent("excerpt", excerpt=excerpt)
        draft = []
        with closing(self.llm.stream_chat(plan.messages, max_tokens, ANSWER_TEMPERATURE)) as pieces:
            for piece in pieces:
                draft.append(piece)
                yield AnswerEvent("token", token=piece)
        yield AnswerEvent("token", token=LABEL_LINE)
        passages = plan.passages
        draft_text = normalise_markers("".join(draft), len(passages))
        review = review_answer(draft_text, [p.text for p in passages], [c.origin for c in citations])
        checked = check_answer(review.text, passages)
        notes = standing_notes(standalone, checked.citations)
        answer = Answer(
            question=question,
            standalone_question=standalone,
            answer=with_notes(checked.text, notes) + LABEL_LINE,
            citations=checked.citations,
            grounded=checked.grounded,
            declined=False,
            unsupported_sentences=checked.unsupported_sentences,
            excerpt=renumbered(excerpt, {c.chunk_id: c.n for c in checked.citations}),
            findings=review.findings + notes,
        )
        yield AnswerEvent("done", answer=answer)

    def _record_answer(self, question: str, standalone: str, item: SearchResult, text: str) -> Iterator[AnswerEvent]:
        """The answer from a service item's record: cited as [1], no model."""
        citations = [Citation.from_result(1, item)]
        excerpt = key_sentences(standalone, [item])
        notes = standing_notes(standalone, citations)
        text = with_notes(text, notes) + LABEL_LINE
        yield AnswerEvent("citations", citations=citations)
        yield AnswerEvent("excerpt", excerpt=excerpt)
        yield AnswerEvent("token", token=text)
        answer = Answer(
            question,
            standalone,
            text,
            citations,
            grounded=True,
            declined=False,
            excerpt=excerpt,
            findings=notes,
            answered_by="record",
        )
        yield AnswerEvent("done", answer=answer)


def decline_text(searched: str) -> str:
    return (
        f"抱歉，我在本助手收录的政策文件中检索了“{searched}”，没有找到能够回答这个问题的内容，"
        "为避免提供不准确的信息，这里不作回答。\n"
        "建议拨打12345政务服务便民热线咨询，或到当地政务服务中心窗口、登录当地政务服务网查询办理。"
    )


def checked_question(question: object) -> str:
    """The question stripped; ``BadQuestion`` when it is empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise BadQuestion("the question is empty: ask something, e.g. 算力券怎么申请？")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question has {len(question)} characters; at most {MAX_QUESTION_CHARS} are accepted")
    return question


def checked_history(history: list[Message] | None) -> list[Message]:
    """The conversation as role/content turns; ``BadQuestion`` naming the first malformed turn."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise BadQuestion(f"history must be a list of {{role, content}} turns, got {type(history).__name__}")
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise BadQuestion(
                f"history[{i}] must be {{'role': 'user' or 'assistant', 'content': text}}, got {turn!r:.80}"
            )
    return [{"role": turn["role"], "content": turn["content"]} for turn in history]
