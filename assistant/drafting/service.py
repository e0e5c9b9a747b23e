"""Drafting a 公文: retrieve the policy passages, let the model write the body, assemble the rest.

``stream`` yields a ``citations`` event (the passages the model sees), then ``token`` events (the body as
the model writes it), then ``done`` with the finished ``Draft``: its body parsed, repaired and renumbered,
and every other element (title, 主送, 署名, date, 发文字号, 附件说明, 附注, 版记) assembled by the program.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from assistant.config import Settings
from assistant.drafting.check import DOC_NUMBER, Finding, check_text
from assistant.drafting.doctypes import DocType, template
from assistant.drafting.draft import Draft, Paragraph, render_text
from assistant.drafting.prompts import DraftBrief, plan_draft_prompt
from assistant.drafting.repair import Context, repair_body
from assistant.errors import AssistantError
from assistant.models.llm import ChatLLM, LLMError
from assistant.retrieval.citation import Citation
from assistant.retrieval.search import Searcher, SearchResult
from assistant.retrieval.store import SearchFilter

# Greedy decoding: the same request and passages give the same draft.
DRAFT_TEMPERATURE = 0.0
PLACEHOLDER = "×××"  # a blank the reviewer fills in (签发人, 联系人)
_LIMITS = {"issuer": 40, "subject": 100, "name": 60, "point": 500, "attachment": 100, "query": 500}
MAX_LIST = 20
MAX_QUERY_CHARS = 500  # the default grounding query: the subject and the start of the points


class BadDraftRequest(AssistantError):
    """A draft request that cannot be drafted as given (the message names the field and the rule)."""


class NoGrounding(AssistantError):
    """Retrieval found no policy passage to ground the draft in."""


@dataclass
class DraftRequest:
    """What the drafter asks for; ``query`` or ``doc_ids`` choose the grounding (default: subject and points)."""

    doc_type: str
    issuer: str
    subject: str
    recipients: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)
    doc_number: str | None = None
    date: date | None = None
    attachments: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    signer: str | None = None  # 签发人 of an upward document
    contact: str | None = None  # 附注 of a 请示: 联系人 and 联系电话
    reply_to: str | None = None  # the 请示 a 批复 answers, e.g. 关于申请设立……的请示
    query: str | None = None
    doc_ids: list[str] = field(default_factory=list)


@dataclass
class DraftEvent:
    """One step of a streamed draft: the grounding passages, then body tokens, then the finished draft."""

    type: Literal["citations", "token", "done"]
    citations: list[Citation] | None = None
    token: str | None = None
    draft: Draft | None = None


class DraftService:
    def __init__(self, settings: Settings, searcher: Searcher, llm: ChatLLM) -> None:
        self.settings = settings
        self.searcher = searcher
        self.llm = llm

    def draft(self, request: DraftRequest, flt: SearchFilter | None = None) -> Draft:
        *_, done = self.stream(request, flt)
        assert done.draft is not None
        return done.draft

    def stream(self, request: DraftRequest, flt: SearchFilter | None = None) -> Iterator[DraftEvent]:
        """Check the request now (raising ``BadDraftRequest``); the work happens as the events are consumed."""
        spec = checked_request(request)
        return self._events(spec, request, flt or SearchFilter())

    def _events(self, spec: DocType, request: DraftRequest, flt: SearchFilter) -> Iterator[DraftEvent]:
        results = self._grounding(request, flt)
        basis = _basis_titles(results)
        brief = DraftBrief(spec, request.issuer, request.recipients, request.subject, request.points, basis[0])
        max_tokens = self.settings.draft_max_tokens
        prompt = plan_draft_prompt(brief, results, self.llm, max_tokens)
        if not prompt.passages:
            raise LLMError(
                "no passage fits the model's context beside the brief: "
                f"ASSISTANT_LLM_CONTEXT={self.llm.context_tokens}, ASSISTANT_DRAFT_MAX_TOKENS={max_tokens}; "
                "raise the one or lower the other"
            )
        citations = [Citation.from_result(n, r) for n, r in enumerate(prompt.passages, 1)]
        yield DraftEvent("citations", citations=citations)
        written = []
        with closing(self.llm.stream_chat(prompt.messages, max_tokens, DRAFT_TEMPERATURE)) as pieces:
            for piece in pieces:
                written.append(piece)
                yield DraftEvent("token", token=piece)
        title = spec.title(request.issuer, request.subject)
        ctx = Context(
            title=title,
            issuer=request.issuer,
            recipients=request.recipients,
            subject=request.subject,
            points=request.points,
            basis=_basis_titles(prompt.passages),
            opening=_reply_opening(request) if spec.name == "批复" else "",
        )
        repaired = repair_body("".join(written), spec, ctx)
        body = repaired.body + ([Paragraph(0, "", spec.closing)] if spec.closing else [])
        yield DraftEvent("done", draft=assemble(spec, request, title, body, citations, repaired.repairs, self.llm.name))

    def _grounding(self, request: DraftRequest, flt: SearchFilter) -> list[SearchResult]:
        query = request.query or " ".join([request.subject, *request.points])[:MAX_QUERY_CHARS]
        if request.doc_ids:
            flt = SearchFilter(**{**vars(flt), "doc_ids": request.doc_ids})
        found = self.searcher.search(query, flt=flt)
        if not found.results:
            where = f"in the documents {', '.join(request.doc_ids)}" if request.doc_ids else "in the store"
            raise NoGrounding(
                f"no policy passage {where} matches {query!r:.80}; ingest the policy documents first "
                "(assistant ingest PATH) or ground the draft in other documents"
            )
        return found.results


def assemble(
    spec: DocType,
    request: DraftRequest,
    title: str,
    body: list[Paragraph],
    citations: list[Citation],
    repairs: list[str],
    model: str,
) -> Draft:
    """The whole document around ``body``: every element but the body is the program's."""
    day = request.date or date.today()
    minutes = spec.name == "纪要"
    note = ""
    if request.contact:
        note = f"（联系人：{request.contact}）"
    elif spec.name == "请示":
        note = f"（联系人：{PLACEHOLDER}；联系电话：{PLACEHOLDER}）"
    return Draft(
        id=uuid.uuid4().hex,
        doc_type=spec.name,
        issuer=request.issuer,
        title=title,
        recipients=list(request.recipients),
        body=body,
        date=None if minutes else day,
        doc_number=request.doc_number or "",
        signer=(request.signer or PLACEHOLDER) if spec.upward and request.doc_number else "",
        mark=request.issuer + spec.mark_suffix,
        signature="" if minutes else request.issuer,
        attachments=list(request.attachments),
        note=note,
        cc=list(request.cc),
        printer=f"{request.issuer}办公室",
        print_date=day,
        citations=citations,
        repairs=repairs,
        model=model,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def findings_of(draft: Draft) -> list[Finding]:
    """What the format checker says about the draft's text (a program draft should pass)."""
    return check_text(render_text(draft), draft.doc_type)


def checked_request(request: DraftRequest) -> DocType:
    """The request's template, its fields cleaned in place; ``BadDraftRequest`` naming the first problem."""
    spec = template(request.doc_type)
    request.issuer = _text(request.issuer, "issuer", required=True)
    request.subject = _text(request.subject, "subject", required=True)
    request.recipients = _names(request.recipients, "recipients", "name")
    request.points = _names(request.points, "points", "point")
    request.attachments = [a.rstrip("。.；;，,") for a in _names(request.attachments, "attachments", "attachment")]
    request.cc = _names(request.cc, "cc", "name")
    request.query = _text(request.query, "query") or None
    if "主送机关" in spec.required and not request.recipients:
        raise BadDraftRequest(f"a {spec.name} needs its recipient (主送机关): give recipients")
    if spec.recipients == "one" and len(request.recipients) > 1:
        raise BadDraftRequest(
            f"a {spec.name} goes to one recipient (主送机关) only, got {len(request.recipients)}: "
            f"{'、'.join(request.recipients)}; put the others in cc"
        )
    if spec.recipients == "none" and request.recipients:
        raise BadDraftRequest(f"a {spec.name} has no recipient (主送机关); put the bodies it goes to in cc")
    if request.doc_number:
        request.doc_number = normal_doc_number(request.doc_number)
    if request.reply_to and spec.name != "批复":
        raise BadDraftRequest(f"reply_to names the 请示 a 批复 answers; a {spec.name} answers none")
    return spec


def normal_doc_number(text: str) -> str:
    """A 发文字号 in its one proper form (吉科发〔2026〕12号), repairing brackets, 第 and leading zeros."""
    m = DOC_NUMBER.match(text.strip())
    if m is None or m.end() != len(text.strip()) or int(m.group("seq")) == 0:
        raise BadDraftRequest(
            f"doc_number {text!r} is not a 发文字号: write 机关代字 + year in 〔〕 + number + 号, "
            "e.g. 吉科发〔2026〕12号"
        )
    return f"{m.group('code')}〔{m.group('year')}〕{int(m.group('seq'))}号"


def _text(value: str | None, name: str, required: bool = False) -> str:
    text = re.sub(r"\s+", " ", value or "").strip()
    if required and not text:
        raise BadDraftRequest(f"{name} is empty")
    limit = _LIMITS[name if name in _LIMITS else "name"]
    if len(text) > limit:
        raise BadDraftRequest(f"{name} has {len(text)} characters; at most {limit} are accepted")
    return text


def _names(values: list[str], name: str, kind: str) -> list[str]:
    if len(values) > MAX_LIST:
        raise BadDraftRequest(f"{name} has {len(values)} entries; at most {MAX_LIST} are accepted")
    cleaned = [_text(v, kind).rstrip("：:，,、") for v in values]
    return [c for c in cleaned if c]


def _basis_titles(results: list[SearchResult]) -> list[str]:
    """The distinct documents of ``results``, best first, titled as a basis is cited."""
    titles = [Citation.from_result(0, r).cited_title for r in results]
    return list(dict.fromkeys(t for t in titles if t))


def _reply_opening(request: DraftRequest) -> str:
    asked = f"《{request.reply_to.strip('《》')}》" if request.reply_to else "的请示"
    return f"你单位{asked}收悉。经研究，现批复如下："
