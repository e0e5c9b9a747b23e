"""What an answer is, shared by the answer service, the API, the UI and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.answer.excerpt import ExcerptSentence
from assistant.answer.faithfulness import Finding
from assistant.retrieval.citation import Citation

# Visible label required for AI-generated text shown to the public (《人工智能生成合成内容标识办法》).
AI_LABEL = "本回答由人工智能生成，仅供参考，请以政府部门正式发布的信息为准。"


@dataclass
class Answer:
    question: str  # as asked
    standalone_question: str  # rewritten with the conversation, what retrieval saw
    answer: str
    citations: list[Citation]
    grounded: bool  # False when declined or when no sentence is supported by a citation
    declined: bool  # True when the corpus held no evidence and the model was not called
    label: str = AI_LABEL
    unsupported_sentences: list[str] = field(default_factory=list)
    audit_id: str | None = None  # the audit log entry of this answer, set where it is logged; rated by this id
    # The key sentences of the cited passages ("政策原文"), numbered as the citations.
    excerpt: list[ExcerptSentence] = field(default_factory=list)
    # What the faithfulness check found and did (repairs, marks, notes on status and whose policy).
    findings: list[Finding] = field(default_factory=list)
    answered_by: Literal["model", "record", "none"] = "model"  # record: a service item's fields, no model

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AnswerEvent:
    """One step of a streamed answer: citations, the excerpt, then tokens, then the final answer."""

    type: Literal["citations", "excerpt", "token", "done"]
    citations: list[Citation] | None = None
    excerpt: list[ExcerptSentence] | None = None
    token: str | None = None
    answer: Answer | None = None
