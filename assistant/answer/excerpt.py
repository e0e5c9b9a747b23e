"""The "政策原文" excerpt: the sentences of the passages that bear on the question, shown before the answer.

A citizen waits seconds for the model's first token; the passages are known at once. The sentences
sharing the most wording with the question (character bigrams, the question's own filler words
set aside) are what a reader would look for in them, so they are sent first, verbatim and numbered
like the passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from assistant.answer.citations import bigrams, content_chars
from assistant.retrieval.search import SearchResult

# Sentences shown at most, in all and per passage, and the longest shown whole.
MAX_SENTENCES = 4
MAX_PER_PASSAGE = 2
MAX_SENTENCE_CHARS = 200
# A sentence must share at least this share of the question's wording to be shown, and at least this
# fraction of the best sentence's share (a weak match beside a strong one is noise).
MIN_MATCH = 0.2
MIN_OF_BEST = 0.5
# Question words that say how something is asked, not what about: they match every passage.
_ASKING = re.compile(r"什么|怎么|怎样|如何|哪些|哪里|多少|多久|是否|可以|需要|请问|有没有|能不能|吗|呢|的|了|吧|我|要")
# Passage sentences: up to an end mark or a line break (a service item's passage is one field per line).
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


@dataclass
class ExcerptSentence:
    n: int  # the passage's number, as in the citations
    title: str  # the passage's document or service item
    text: str  # the sentence, verbatim (shortened with …… past MAX_SENTENCE_CHARS)
    chunk_id: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def key_sentences(question: str, passages: Sequence[SearchResult]) -> list[ExcerptSentence]:
    """The sentences of ``passages`` (numbered from 1) that best match ``question``, in passage order.

    Each passage is matched on what the question asks beyond its title (``about``), without its
    heading-path line, and a sentence an earlier passage already gives is not given again: the chunks
    of one service item all repeat its summary lines.
    """
    scored: list[tuple[float, int, int, str]] = []
    given: set[str] = set()
    for n, passage in enumerate(passages, start=1):
        asked = about(question, passage_title(passage))
        ranked = sorted(scored_sentences(asked, _body(passage.text)), key=lambda item: -item[0])
        fresh = [(score, i, s) for score, i, s in ranked if s not in given][:MAX_PER_PASSAGE]
        given.update(s for _, _, s in fresh)
        scored.extend((score, n, i, s) for score, i, s in fresh if score >= MIN_MATCH)
    top = max((score for score, *_ in scored), default=0.0)
    best = sorted((s for s in scored if s[0] >= MIN_OF_BEST * top), key=lambda item: -item[0])[:MAX_SENTENCES]
    return [
        ExcerptSentence(n, passage_title(passages[n - 1]), _shortened(s), passages[n - 1].chunk_id)
        for _, n, _, s in sorted(best, key=lambda item: (item[1], item[2]))
    ]


def question_bigrams(question: str) -> set[str]:
    """The question's wording as bigrams, its asking words ("什么", "怎么"…) set aside."""
    return bigrams(content_chars(_ASKING.sub(" ", question)).replace(" ", ""))


def about(question: str, title: str) -> set[str]:
    """The question's wording a passage's sentences should match: what the passage's title does not already say.

    For "机动车驾驶证初次申领需要什么材料" and the service item of that name, 材料 decides which of
    its lines matter, not the line that repeats the name. The whole question when the title says it all.
    """
    asked = question_bigrams(question)
    return (asked - bigrams(content_chars(title))) or asked


def scored_sentences(asked: set[str], text: str) -> list[tuple[float, int, str]]:
    """(share of ``asked`` in the sentence, its index, the sentence) for every sentence of ``text`` worth reading."""
    sentences = [s.strip() for s in _SENTENCE.findall(text) if len(content_chars(s)) >= 6]
    if not asked:
        return [(0.0, i, s) for i, s in enumerate(sentences)]
    return [(len(asked & bigrams(content_chars(s))) / len(asked), i, s) for i, s in enumerate(sentences)]


def renumbered(excerpt: Sequence[ExcerptSentence], numbers: dict[str, int]) -> list[ExcerptSentence]:
    """The excerpt's sentences of passages the final answer cites, numbered as it cites them (``chunk_id → n``)."""
    return [ExcerptSentence(numbers[s.chunk_id], s.title, s.text, s.chunk_id) for s in excerpt if s.chunk_id in numbers]


def _body(text: str) -> str:
    """A chunk's text without its opening heading-path line ("title > 二、… > （一）…")."""
    first, newline, rest = text.partition("\n")
    return rest if newline and " > " in first else text


def passage_title(passage: SearchResult) -> str:
    """The name a passage goes by: its item's or document's title, else its source."""
    return passage.title or passage.doc_title or passage.source or "未命名文件"


def _shortened(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_SENTENCE_CHARS else sentence[:MAX_SENTENCE_CHARS] + "……"
