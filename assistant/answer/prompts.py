"""The prompts: answering from numbered passages within a token budget, and rewriting follow-up questions.

The system prompts are fixed strings so every request starts with the same tokens and llama.cpp can
reuse their evaluation from the previous request.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.excerpt import about, passage_title, scored_sentences
from assistant.models.llm import ChatLLM, Message
from assistant.retrieval.search import SearchResult

# No "say you don't know" escape hatch: the bundled models took it even when a passage held the answer.
# Questions without evidence never reach the model; partial answers say what the passages leave out.
ANSWER_SYSTEM_PROMPT = (
    "你是政务服务助手，根据用户给出的编号资料回答问题。要求：\n"
    "1. 只使用资料中的信息，不编造。\n"
    "2. 在每句话的句号前用[1]、[2]这样的编号注明依据的资料。\n"
    "3. 资料只涉及问题的一部分时，回答资料里有的部分，并说明其余部分资料中没有提到。\n"
    "4. 用简洁的中文回答。"
)

REWRITE_SYSTEM_PROMPT = "把追问改写成一个完整的问题：补上上一问里的事项名称，保留追问要问的内容。只输出改写后的问题。"
# Worked examples as earlier turns: small models copy the form of a shown answer far better than they follow
# a described one.
REWRITE_EXAMPLES = (
    ("个体工商户怎么注册？", "要多久？", "个体工商户注册要多久？"),
    ("居住证怎么办理？", "那需要什么材料？", "办理居住证需要什么材料？"),
    ("失业保险金每月能领多少？", "在哪里申请呢？", "失业保险金在哪里申请？"),
)

# A passage cut to fit the budget must keep at least this many tokens to be worth citing.
MIN_PASSAGE_TOKENS = 48
_TRUNCATION_MARK = "……"


@dataclass
class PromptPlan:
    """An answer prompt: ``passages[i]`` is numbered ``[i + 1]`` in it (the last may be shortened)."""

    messages: list[Message]
    passages: list[SearchResult]
    prompt_tokens: int
    budget: int  # tokens the prompt may take: the context window minus the reply's max_tokens


def passage_parts(n: int, result: SearchResult, previous: SearchResult | None = None) -> tuple[str, str]:
    """The numbered ``[n]《title》section`` header of a passage and the text after it.

    Chunks usually open with their heading path ("title > 二、… > （一）…"); then that line is the section
    and the title is not repeated. A passage from the same document as ``previous`` is titled 《同上》.
    """
    title = passage_title(result)
    shown = "同上" if previous is not None and passage_title(previous) == title else title
    if result.text.startswith(title):
        return f"[{n}]《{shown}》", result.text[len(title) :]
    section = f" {result.section}" if result.section and result.section != title else ""
    return f"[{n}]《{shown}》{section}\n", result.text


def answer_messages(question: str, passage_blocks: list[str]) -> list[Message]:
    passages = "\n\n".join(passage_blocks)
    return [
        {"role": "system", "content": ANSWER_SYSTEM_PROMPT},
        {"role": "user", "content": f"资料：\n{passages}\n\n问题：{question}"},
    ]


def plan_answer_prompt(
    question: str, results: list[SearchResult], llm: ChatLLM, max_tokens: int, sentences: int = 0
) -> PromptPlan:
    """Number as many ``results`` (best first) as fit ``llm.context_tokens - max_tokens``, shortening the last.

    ``sentences`` > 0 keeps only that many sentences of each passage, those that best match the question
    and are not already in the prompt; a passage left with nothing new is not shown.
    """
    budget = llm.context_tokens - max_tokens
    remaining = budget - llm.count_prompt_tokens(answer_messages(question, []))
    blocks: list[str] = []
    kept: list[SearchResult] = []
    shown: set[str] = set()
    for result in results:
        header, body = passage_parts(len(blocks) + 1, result, kept[-1] if kept else None)
        if sentences:
            cut = trimmed(body, about(question, passage_title(result)), sentences, shown)
            if cut is None:
                continue
            body = cut
        cost = llm.count_tokens(header + body) + 1  # + the blank line between blocks
        if cost <= remaining:
            blocks.append(header + body)
            kept.append(result)
            remaining -= cost
            continue
        if remaining >= MIN_PASSAGE_TOKENS:
            blocks.append(_shorten(header, body, remaining - 1, llm))
            kept.append(result)
        break
    # Pieces counted apart can tokenize a little differently joined: check the whole, drop the tail if over.
    while True:
        messages = answer_messages(question, blocks)
        tokens = llm.count_prompt_tokens(messages)
        if tokens <= budget or not blocks:
            return PromptPlan(messages, kept[: len(blocks)], tokens, budget)
        blocks.pop()


def trimmed(body: str, asked: set[str], keep: int, shown: set[str]) -> str | None:
    """``body`` cut to its ``keep`` sentences sharing the most wording with ``asked``, in reading order.

    Sentences in ``shown`` (earlier passages of the same prompt: chunks of one service item repeat its
    summary lines) are not chosen again; the chosen ones are added to it. None when every sentence was
    shown already, or when, after the first passage, no new sentence shares any wording with ``asked``.
    Of a heading path (" > 二、… > （一）… > 2.…") the last heading stays; a gap where sentences were left
    out is marked ……
    """
    head = ""
    if body.startswith(" >"):
        path, _, body = body.partition("\n")
        head = f" > {path.rsplit(' > ', 1)[-1]}\n"
    every = scored_sentences(asked, body)
    if not every:  # no sentence long enough to choose: too short to cut
        return head + body
    scored = [item for item in every if item[2] not in shown]
    if not scored or (shown and max(score for score, _, _ in scored) == 0):
        return None
    if len(every) <= keep and len(scored) == len(every):
        shown.update(sentence for _, _, sentence in every)
        return head + body
    chosen = sorted(sorted(scored, key=lambda item: -item[0])[:keep], key=lambda item: item[1])
    shown.update(sentence for _, _, sentence in chosen)
    parts, previous = [], -1
    for _, i, sentence in chosen:
        if parts and i != previous + 1:
            parts.append(_TRUNCATION_MARK)
        elif parts and not parts[-1].endswith(("。", "！", "？", "；", ";")):
            parts.append("\n")
        parts.append(sentence)
        previous = i
    return head + "".join(parts)


def _shorten(header: str, text: str, limit: int, llm: ChatLLM) -> str:
    """The longest ``header + text[:k] + mark`` within ``limit`` tokens (binary search on k)."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if llm.count_tokens(header + text[:mid] + _TRUNCATION_MARK) <= limit:
            low = mid
        else:
            high = mid - 1
    return header + text[:low] + _TRUNCATION_MARK


def rewrite_messages(previous: str, follow_up: str) -> list[Message]:
    """Ask for ``follow_up`` rewritten with the subject of ``previous`` (the user's earlier question)."""
    messages: list[Message] = [{"role": "system", "content": REWRITE_SYSTEM_PROMPT}]
    for earlier, asked, rewritten in REWRITE_EXAMPLES:
        messages.append({"role": "user", "content": _rewrite_request(earlier, asked)})
        messages.append({"role": "assistant", "content": rewritten})
    messages.append({"role": "user", "content": _rewrite_request(previous, follow_up)})
    return messages


def _rewrite_request(previous: str, follow_up: str) -> str:
    return f"上一问：{previous}\n追问：{follow_up}"
