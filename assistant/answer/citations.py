"""Checking a generated answer against its passages: valid, renumbered citations; unsupported sentences.

The model sees passages numbered [1]..[n]. Its answer may cite numbers that do not exist, write markers
as 【2】 or [1,3], leave sentences uncited (small models often do), or state things the passages do not
say. Post-processing keeps only markers that point at a passage, drops the markers of a sentence that
shares little wording (character bigrams) with the passages it cites, cites an uncited sentence whose
wording mostly comes from one passage, flags sentences supported neither way, and renumbers the cited
passages 1..k in order of first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval.citation import Citation
from assistant.retrieval.search import SearchResult

# [1] [1,2] [1、2] 【1】 【1，2】 ［1］: everything a model writes for "passage 1 (and 2)".
_LOOSE_MARKER = re.compile(r"[\[【［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】］]")
MARKER = re.compile(r"[ \t]*\[(\d{1,3})\]")
_REPEATED_MARKER = re.compile(r"(\[\d+\])(?:\1)+")
# A sentence: text up to its end mark, plus the markers written right after the end mark.
SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+|$)(?:[ \t]*\[\d+\])*", re.MULTILINE)
END_MARKS = "。！？!? \t"
_NOT_CONTENT = re.compile(r"\[\d+\]|[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]")

# Sentences shorter than this (in letters, digits and CJK characters) carry no claim: "根据资料：", "1."
MIN_CLAIM_CHARS = 8
# A sentence is unsupported when fewer than this share of its bigrams occur in the passages it cites
# (in any passage when it cites none); markers of such a sentence are dropped.
MIN_BIGRAM_OVERLAP = 0.4
# An uncited sentence taking at least this share of its bigrams from one passage is cited to it.
ATTRIBUTION_OVERLAP = 0.6


@dataclass
class CheckedAnswer:
    text: str  # markers valid and renumbered 1..k
    citations: list[Citation]  # citations[i].n == i + 1, in order of first use
    unsupported_sentences: list[str]
    claims: int  # sentences long enough to state something
    attributed: int  # claims the model left uncited that were cited here by their wording
    grounded: bool  # at least one claim carries a valid citation, and at most half of the claims are unsupported


def check_answer(text: str, passages: list[SearchResult]) -> CheckedAnswer:
    """Post-process ``text`` written from ``passages`` (``passages[i]`` was numbered ``[i + 1]``)."""
    text = normalise_markers(text, len(passages))
    own_words = [bigrams(content_chars(p.text)) for p in passages]
    known = set().union(*own_words)
    claims, cited, attributed, unsupported = 0, 0, 0, []

    def check(m: re.Match[str]) -> str:
        nonlocal claims, cited, attributed
        sentence, content = m.group(0), content_chars(m.group(0))
        if len(content) < MIN_CLAIM_CHARS:
            return sentence
        claims += 1
        words = bigrams(content)
        marked = {int(n) for n in MARKER.findall(sentence)}
        if marked:
            if overlap(words, set().union(*(own_words[n - 1] for n in marked))) >= MIN_BIGRAM_OVERLAP:
                cited += 1
                return sentence
            unsupported.append(MARKER.sub("", sentence).strip())  # its sources do not say it
            return MARKER.sub("", sentence)
        shares = [overlap(words, passage) for passage in own_words]
        best = max(range(len(shares)), key=shares.__getitem__, default=None)
        if best is not None and shares[best] >= ATTRIBUTION_OVERLAP:
            cited += 1
            attributed += 1
            cut = len(sentence.rstrip(END_MARKS))  # the marker goes before the end mark
            return f"{sentence[:cut]}[{best + 1}]{sentence[cut:]}"
        if overlap(words, known) < MIN_BIGRAM_OVERLAP:
            unsupported.append(sentence.strip())
        return sentence

    text = SENTENCE.sub(check, text)
    order = list(dict.fromkeys(int(n) for n in MARKER.findall(text)))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    text = _REPEATED_MARKER.sub(r"\1", MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)).strip()
    citations = [Citation.from_result(renumber[old], passages[old - 1]) for old in order]
    grounded = cited > 0 and 2 * len(unsupported) <= claims
    return CheckedAnswer(text, citations, unsupported, claims, attributed, grounded)


def normalise_markers(text: str, passages: int) -> str:
    """Every marker form as ``[n]``, one per passage; markers to a number above ``passages`` dropped."""
    text = _LOOSE_MARKER.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text)
    return MARKER.sub(lambda m: m.group(0).lstrip() if 1 <= int(m.group(1)) <= passages else "", text)


def content_chars(text: str) -> str:
    """Letters, digits and CJK characters only, lower-cased: what wording overlap is measured on."""
    return _NOT_CONTENT.sub("", text.lower())


def bigrams(content: str) -> set[str]:
    return {content[i : i + 2] for i in range(len(content) - 1)}


def overlap(own: set[str], known: set[str]) -> float:
    return len(own & known) / len(own) if own else 1.0
