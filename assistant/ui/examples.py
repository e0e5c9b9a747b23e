"""Example questions drawn from the documents a person may read, so they always have an answer.

A document's headings name what it regulates ("1.加快智能算力基础设施建设", "“人工智能+政务服务”");
a service-item record's title names a service. Each becomes a question, taken evenly across the
documents and across each document's sections, so the examples show the breadth of the corpus.
"""

from __future__ import annotations

import re
from itertools import islice, zip_longest

from assistant.retrieval.store import VectorStore

# Leading enumerators of Chinese official documents: 一、 （三） (二) 1. 2、 第五条 and quotes around a topic.
_ENUMERATOR = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]|第.{1,4}[条章节])\s*"
)
_QUOTES = "“”\"'‘’「」《》"
# A topic shorter than this says too little ("主要举措"); a longer one is a sentence, not a topic.
MIN_TOPIC_CHARS, MAX_TOPIC_CHARS = 6, 20
# Chunks read per document when looking for topics: enough for the headings of a long policy.
_CHUNKS_SCANNED = 200
SERVICE_ITEMS = "service_items"


def topic(heading: str) -> str:
    """A heading without its enumerator and quotes: "1.加快智能算力基础设施建设" -> "加快智能算力基础设施建设"."""
    return _ENUMERATOR.sub("", heading).strip().strip(_QUOTES).removeprefix("关于").strip()


def question_for(heading_path: list[str], service_item: bool) -> str | None:
    """A question about the deepest heading that makes a good topic, or None."""
    for heading in reversed(heading_path):
        name = topic(heading)
        if MIN_TOPIC_CHARS <= len(name) <= MAX_TOPIC_CHARS or (service_item and name):
            return f"办理“{name}”需要准备哪些材料？" if service_item else f"关于“{name}”，有哪些具体措施？"
    return None


def example_questions(store: VectorStore, access: list[str], count: int = 4) -> list[str]:
    """Up to ``count`` questions, round-robin over the readable documents, evenly spread in each."""
    per_document: list[list[str]] = []
    for document in store.list_documents():
        if document.get("access", "public") not in access:
            continue
        service_item = document.get("doc_type") == SERVICE_ITEMS
        questions: list[str] = []
        for hit in islice(store.scroll_chunks(document["doc_id"]), _CHUNKS_SCANNED):
            question = question_for(list(hit.payload.get("heading_path") or []), service_item)
            if question and question not in questions:
                questions.append(question)
        if questions:
            per_document.append(questions)
    # Each document's questions evenly spread first, then interleaved across documents.
    spread = [_spread(questions, count) for questions in per_document]
    return [q for round_ in zip_longest(*spread) for q in round_ if q][:count]


def _spread(items: list[str], count: int) -> list[str]:
    """``items`` reordered so that any first ``count`` of them are spread over the whole list."""
    step = max(len(items) // count, 1)
    first = items[::step]
    return first + [item for item in items if item not in first]
