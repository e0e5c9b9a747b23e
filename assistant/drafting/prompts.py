"""The drafting prompt: the model writes only the body, from numbered policy passages, within a token budget.

The system prompt is a fixed string so llama.cpp can reuse its evaluation between requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.prompts import passage_parts
from assistant.drafting.doctypes import DocType
from assistant.drafting.numbering import chinese_number
from assistant.models.llm import ChatLLM, Message
from assistant.retrieval.search import SearchResult

DRAFT_SYSTEM_PROMPT = (
    "你是机关公文写作助手，根据给出的政策资料起草公文正文。要求：\n"
    "1. 只写正文，不写标题、主送机关、落款、日期、附件和结束语。\n"
    "2. 第一段写发文的依据和目的，以“根据《文件名称》”开头，文件名称照抄资料中的名称。\n"
    "3. 然后用“一、”“（一）”“1.”分层写各部分，每部分写一两段。\n"
    "4. 只使用资料和要点中的信息，不编造数字和文件。\n"
    "5. 使用规范的公文语言，简洁明确。"
)


@dataclass
class DraftBrief:
    """What the body is about: the type, who writes to whom, the subject and the key points."""

    spec: DocType
    issuer: str
    recipients: list[str]
    subject: str
    points: list[str]
    basis: str  # the title the opening should cite


@dataclass
class DraftPrompt:
    messages: list[Message]
    passages: list[SearchResult]  # passages[i] is numbered [i + 1] in the prompt


def brief_text(brief: DraftBrief) -> str:
    spec = brief.spec
    lines = [
        f"文种：{spec.name}（用于{spec.purpose}）",
        f"写作要求：{spec.guidance}",
        f"发文机关：{brief.issuer}",
    ]
    if brief.recipients:
        lines.append(f"主送机关：{'、'.join(brief.recipients)}")
    lines.append(f"事由：{brief.subject}")
    if brief.points:
        lines.append("要点：")
        lines += [f"{n}. {point}" for n, point in enumerate(brief.points, 1)]
    outline = "；".join(f"{chinese_number(n)}、{h}" for n, h in enumerate(spec.outline, 1))
    lines.append(
        f"正文结构：开头一段以“根据《{brief.basis}》”开头，以“{spec.opening_tail}”结尾；然后分条写，如{outline}。"
    )
    lines.append("请写正文：")
    return "\n".join(lines)


def plan_draft_prompt(brief: DraftBrief, results: list[SearchResult], llm: ChatLLM, max_tokens: int) -> DraftPrompt:
    """As many ``results`` (best first) as fit the context window beside the brief and ``max_tokens``."""
    budget = llm.context_tokens - max_tokens
    blocks: list[str] = []
    passages: list[SearchResult] = []
    for result in results:
        header, body = passage_parts(len(blocks) + 1, result)
        candidate = _messages(brief, [*blocks, header + body])
        if llm.count_prompt_tokens(candidate) > budget:
            break
        blocks.append(header + body)
        passages.append(result)
    return DraftPrompt(_messages(brief, blocks), passages)


def _messages(brief: DraftBrief, blocks: list[str]) -> list[Message]:
    passages = "\n\n".join(blocks)
    return [
        {"role": "system", "content": DRAFT_SYSTEM_PROMPT},
        {"role": "user", "content": f"资料：\n{passages}\n\n{brief_text(brief)}"},
    ]
