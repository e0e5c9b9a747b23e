"""Turning a follow-up question ("那要交什么材料？") into one retrieval can answer on its own.

The model rewrites; its rewrite is kept only when it still names the earlier topic and still asks what
the follow-up asks. Otherwise (small models often echo or drop the follow-up) the standalone question
is the earlier question's key terms followed by the follow-up, which hybrid retrieval handles well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.answer.prompts import rewrite_messages
from assistant.models.llm import ChatLLM, Message

# Questions this short rarely name their subject ("要多久？", "在哪办？").
SHORT_QUESTION_CHARS = 12
REWRITE_MAX_TOKENS = 64
KEY_TERMS = 3
# How many earlier user questions are joined when the last ones are follow-ups themselves.
TOPIC_TURNS = 3
# Words that lean on an earlier turn: demonstratives, pronouns, and openers that continue a thought.
_CONTEXT_DEPENDENT = re.compile(
    r"^(那|那么|这|还|另外|再|然后|其|要|需要|如果|可以|能)|这个|那个|这些|那些|这项|这种|该项|它|他们|其中|上述|此项|呢[？?]?$"
)
# Words that ask or point but name nothing: never key terms of a topic or of what a follow-up asks.
_EMPTY_WORDS = {
    "怎么", "怎样", "如何", "什么", "哪些", "哪里", "哪个", "多少", "是否", "可以", "能否", "需要", "有没有",
    "这个", "那个", "这些", "那些", "那要", "那么", "还有", "的话",
}  # fmt: skip
_ANSWER_PREFIX = re.compile(r"^(改写后的问题|改写为|问题)\s*[:：]\s*")
_MARKER = re.compile(r"\[\d+\]")
_QUOTES = "\"'“”‘’「」 \t"


@dataclass
class Rewrite:
    question: str  # what retrieval should see
    method: Literal["unchanged", "model", "fallback"]


def needs_rewrite(question: str, history: list[Message]) -> bool:
    """A follow-up needs the conversation when there is an earlier question and it is short or points back."""
    return any(turn["role"] == "user" for turn in history) and points_back(question)


def points_back(question: str) -> bool:
    """Whether a question looks like it leans on an earlier one (short, or pronouns and openers like 那/这个)."""
    return len(question) <= SHORT_QUESTION_CHARS or bool(_CONTEXT_DEPENDENT.search(question))


def rewrite_question(llm: ChatLLM, question: str, history: list[Message]) -> Rewrite:
    """The standalone form of ``question`` after ``history``: the model's rewrite if usable, else the fallback."""
    if not needs_rewrite(question, history):
        return Rewrite(question, "unchanged")
    previous = topic_question([t["content"].strip() for t in history if t["role"] == "user"])
    terms = key_terms(previous)
    reply = llm.chat(rewrite_messages(previous, question), max_tokens=REWRITE_MAX_TOKENS, temperature=0.0)
    rewritten = _first_line(reply)
    if _usable(rewritten, question, previous, terms):
        return Rewrite(rewritten, "model")
    return Rewrite(fallback_question(question, terms), "fallback")


def topic_question(user_turns: list[str]) -> str:
    """The last user question, joined with the ones before it while they point back (那/这个...) themselves."""
    start = len(user_turns) - 1
    while start > 0 and len(user_turns) - start < TOPIC_TURNS and _CONTEXT_DEPENDENT.search(user_turns[start]):
        start -= 1
    return " ".join(user_turns[start:])


def key_terms(question: str) -> list[str]:
    """The few words that name a question's topic (jieba TF-IDF), in the order they appear."""
    import jieba.analyse  # loads its dictionary on first use

    tags = [t for t in jieba.analyse.extract_tags(question, topK=KEY_TERMS + 3) if t not in _EMPTY_WORDS]
    return sorted(tags[:KEY_TERMS], key=question.find)


def asked_words(follow_up: str) -> list[str]:
    """The words of a follow-up that say what it asks (材料, 多久, 部门), without pointers and question words."""
    import jieba

    return [w for w in jieba.lcut(follow_up) if len(w) >= 2 and w not in _EMPTY_WORDS and not _is_punctuation(w)]


def fallback_question(question: str, terms: list[str]) -> str:
    follow_up = re.sub(r"^(那么|那)\s*", "", question.strip())
    missing = [t for t in terms if t not in follow_up]
    return f"{''.join(missing)} {follow_up}".strip()


def _first_line(reply: str) -> str:
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    return _ANSWER_PREFIX.sub("", line).strip(_QUOTES)


def _usable(rewritten: str, question: str, previous: str, terms: list[str]) -> bool:
    """Kept when it is a plausible question naming the earlier topic and asking what the follow-up asks."""
    if not rewritten or rewritten in (question.strip(), previous) or "<|" in rewritten or _MARKER.search(rewritten):
        return False
    if len(rewritten) > len(previous) + len(question) + 20:
        return False
    asked = asked_words(question)
    keeps_topic = not terms or any(t in rewritten for t in terms)
    keeps_ask = not asked or any(w in rewritten for w in asked)
    return keeps_topic and keeps_ask


def _is_punctuation(word: str) -> bool:
    return not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", word)
