"""Knowledge gaps: what people asked that the documents could not answer, grouped by topic.

The questions are those of declined answers and of answers and guides rated 不满意 or 非常不满意
(from the audit log). They are embedded with the product's embedder and grouped greedily: each
question joins the first group whose mean vector it is at least ``similarity`` close to, most
frequent questions first, so a group's topic is its most asked question. Groups come most frequent
first, each with examples.

Nothing is stored: every look recomputes. A group is closed when a search for its topic now finds
evidence in a document ingested after the group's latest question, i.e. someone added a document
that answers it; closed groups are listed after the open ones, with that document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from assistant.audit.feedback import BAD_RATINGS
from assistant.audit.log import ANSWER, GUIDE, AuditLog, utcnow
from assistant.db.models import AuditEntry, Feedback
from assistant.models.embedding import Embedder
from assistant.retrieval.search import Searcher
from assistant.retrieval.store import SearchFilter, VectorStore

MAX_QUESTIONS = 5000  # the most recent ones; more than an administrator reads, few enough to embed at once
EXAMPLES = 5


@dataclass
class GapExample:
    question: str
    at: str
    why: str  # "declined" or the rating


@dataclass
class Gap:
    topic: str
    count: int
    declined: int
    low_rated: int
    examples: list[GapExample]
    closed: bool = False
    answered_by: str | None = None  # title of the document that now answers it
    last_asked: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Asked:
    question: str
    at: datetime
    why: str
    access: list[str] = field(default_factory=list)


class GapFinder:
    def __init__(
        self, audit: AuditLog, embedder: Embedder, searcher: Searcher, store: VectorStore, similarity: float
    ) -> None:
        self.audit = audit
        self.embedder = embedder
        self.searcher = searcher
        self.store = store
        self.similarity = similarity

    def gaps(self, days: int = 90) -> list[Gap]:
        """Open groups most frequent first, then closed ones."""
        asked = self._unanswered(utcnow() - timedelta(days=days))
        if not asked:
            return []
        groups = [self._describe(members) for members in self._group(asked)]
        return sorted(groups, key=lambda g: (g.closed, -g.count, g.topic))

    def _unanswered(self, since: datetime) -> list[_Asked]:
        self.audit.flush()
        with self.audit.database.transaction() as session:
            answers = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.kind == ANSWER, AuditEntry.at >= since)
                .order_by(AuditEntry.at.desc())
                .limit(MAX_QUESTIONS)
            ).all()
            rated = session.execute(
                select(Feedback.rating, AuditEntry)
                .join(AuditEntry, Feedback.entry_id == AuditEntry.id)
                .where(Feedback.rating.in_(BAD_RATINGS), AuditEntry.kind.in_((ANSWER, GUIDE)), Feedback.at >= since)
                .order_by(Feedback.at.desc())
                .limit(MAX_QUESTIONS)
            ).all()
        asked = [_asked(e, "declined") for e in answers if e.detail.get("declined")]
        asked += [_asked(e, rating) for rating, e in rated if not e.detail.get("declined")]
        return [a for a in asked if a.question]

    def _group(self, asked: list[_Asked]) -> list[list[_Asked]]:
        counts = Counter(a.question for a in asked)
        texts = [q for q, _ in counts.most_common()]
        vectors = self.embedder.embed_queries(texts)
        sums: list[np.ndarray] = []
        members: list[list[str]] = []
        for text, vector in zip(texts, vectors, strict=True):
            scores = [float(s @ vector) / float(np.linalg.norm(s)) for s in sums]
            best = int(np.argmax(scores)) if scores else -1
            if best >= 0 and scores[best] >= self.similarity:
                sums[best] = sums[best] + vector
                members[best].append(text)
            else:
                sums.append(vector.copy())
                members.append([text])
        by_text: dict[str, list[_Asked]] = {}
        for a in asked:
            by_text.setdefault(a.question, []).append(a)
        return [[a for text in group for a in by_text[text]] for group in members]

    def _describe(self, members: list[_Asked]) -> Gap:
        topic = Counter(m.question for m in members).most_common(1)[0][0]
        latest = max(m.at for m in members)
        newest_first = sorted(members, key=lambda m: m.at, reverse=True)
        examples, seen = [], set()
        for m in newest_first:
            if m.question not in seen and len(examples) < EXAMPLES:
                seen.add(m.question)
                examples.append(GapExample(m.question, m.at.isoformat(timespec="seconds") + "Z", m.why))
        gap = Gap(
            topic=topic,
            count=len(members),
            declined=sum(m.why == "declined" for m in members),
            low_rated=sum(m.why != "declined" for m in members),
            examples=examples,
            last_asked=latest.isoformat(timespec="seconds") + "Z",
        )
        gap.answered_by = self._answered_since(topic, latest, next((m.access for m in members if m.access), []))
        gap.closed = gap.answered_by is not None
        return gap

    def _answered_since(self, question: str, since: datetime, access: list[str]) -> str | None:
        """The title of a document ingested after ``since`` among the results, when the search finds evidence."""
        response = self.searcher.search(question, flt=SearchFilter(access=access or ["public"]))
        if not response.evidence:
            return None
        for result in response.results:
            document = self.store.get_document(result.doc_id) or {}
            ingested = document.get("ingested_at")
            if ingested and datetime.fromisoformat(ingested).replace(tzinfo=None) > since:
                return document.get("title") or result.doc_title or result.doc_id
        return None


def _asked(entry: AuditEntry, why: str) -> _Asked:
    detail = entry.detail
    question = detail.get("standalone_question") or detail.get("question") or ""
    return _Asked(question=question.strip(), at=entry.at, why=why, access=list(detail.get("access") or []))
