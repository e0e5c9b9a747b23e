"""HTML and Markdown the screens show, built from the services' own results.

Everything that comes from a document or a person is escaped here: passages and titles are
uploaded material and must never be able to inject markup into the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from assistant.answer.excerpt import ExcerptSentence
from assistant.answer.faithfulness import Finding
from assistant.answer.service import LABEL_LINE
from assistant.answer.types import AI_LABEL, Answer
from assistant.ingest.pipeline import FileOutcome
from assistant.retrieval.citation import Citation
from assistant.retrieval.search import SearchResponse

STATUS_NAMES = {"added": "已入库", "unchanged": "已存在，未改动", "replaced": "已替换旧版本", "failed": "失败"}
ACCESS_NAMES = {"public": "公开", "internal": "内部"}
DOCUMENT_COLUMNS = ["标题", "片段数", "范围", "状态", "发文机关", "日期", "文号", "来源", "入库时间", "文档编号"]
NOT_GROUNDED_NOTE = "提示：这个回答中有部分内容未能在引用的文件中找到依据，请以原文为准。"
RECORD_NOTE = "本回答直接摘自办事指南记录，未经模型改写。"
# What the faithfulness check did, in the reader's words (notes are in the answer text itself).
FINDING_ACTIONS = {"replaced": "已按原文更正", "marked": "与原文不一致，请核实", "dropped": "已删除"}
FINDING_KINDS = {
    "polarity": "肯定与否定与原文相反",
    "number": "数字与原文不符",
    "place": "地名与原文不符",
    "repeat": "重复的句子",
    "filler": "没有内容的套话",
}


def answer_markdown(answer: Answer) -> str:
    """The final answer as one chat message: text, a caution if needed, the AI label, the citations."""
    text = answer.answer.removesuffix(LABEL_LINE).strip()
    parts = [f'<div class="decline">{"<br>".join(map(escape, text.splitlines()))}</div>' if answer.declined else text]
    if not answer.declined and not answer.grounded:
        parts.append(f'<p class="caution">{NOT_GROUNDED_NOTE}</p>')
    if answer.answered_by == "record":
        parts.append(f'<p class="record-note">{RECORD_NOTE}</p>')
    repairs = [f for f in answer.findings if f.action != "noted"]
    if repairs:
        parts.append(findings_html(repairs))
    if answer.excerpt:
        parts.append(excerpt_html(answer.excerpt))
    parts.append(ai_label())
    if answer.citations:
        parts.append(citations_html(answer.citations))
    return "\n\n".join(parts)


def draft_markdown(draft: str, passages: int, excerpt: Sequence[ExcerptSentence] = ()) -> str:
    """What the chat shows while the model is still writing: the draft so far, then the excerpt."""
    status = f"正在根据 {passages} 段资料撰写回答…" if passages else "正在检索相关文件…"
    parts = [draft] if draft else []
    parts.append(f'<p class="working">{status}</p>')
    if excerpt:
        parts.append(excerpt_html(excerpt))
    return "\n\n".join(parts)


def excerpt_html(excerpt: Sequence[ExcerptSentence]) -> str:
    """The key sentences of the cited passages, verbatim, under "政策原文"."""
    items = "".join(
        f'<li><span class="excerpt-n">[{s.n}]</span> {escape(s.text)}'
        f' <span class="excerpt-title">——《{escape(s.title)}》</span></li>'
        for s in excerpt
    )
    return f'<div class="excerpt"><div class="excerpt-head">政策原文</div><ul>{items}</ul></div>'


def findings_html(findings: Sequence[Finding]) -> str:
    """What the faithfulness check repaired or could not, each with the source's words."""
    items = "".join(
        f'<li class="finding {f.action}">{FINDING_ACTIONS[f.action]}（{FINDING_KINDS[f.kind]}）：'
        f"<s>{escape(f.sentence)}</s>" + (f" 原文：{escape(f.source)}" if f.source else "") + "</li>"
        for f in findings
    )
    return f'<div class="review"><div class="review-head">核对原文</div><ul>{items}</ul></div>'


def ai_label() -> str:
    return f'<p class="ai-label"><span class="badge">AI生成</span> {escape(AI_LABEL)}</p>'


def citations_html(citations: Sequence[Citation], heading: str = "引用来源（点击查看原文）") -> str:
    """Numbered sources; each opens to show the cited passage with its document and heading path."""
    items = "".join(
        f'<details class="citation"><summary>[{c.n}] {escape(c.citation or c.title or "未命名文件")}'
        + f"{_standing(c)}</summary>"
        + (f'<div class="cite-path">{escape(c.section)}</div>' if c.section else "")
        + f'<div class="cite-text">{escape(c.text)}</div></details>'
        for c in citations
    )
    return f'<div class="citations"><div class="cite-head">{heading}</div>{items}</div>'


def _standing(citation: Citation) -> str:
    """A citation's status and date, e.g. （征求意见稿，2025-05-23）, when the document is not final."""
    if not citation.status:
        return ""
    dated = f"，{citation.date}" if citation.date else ""
    return f' <span class="cite-status">（{escape(citation.status)}{dated}）</span>'


def search_html(response: SearchResponse) -> str:
    """What retrieval returned for a query, best first, with the evidence decision."""
    if not response.results:
        return '<p class="decline">没有检索到任何片段。</p>'
    verdict = "有可用依据，问答会据此回答。" if response.evidence else "依据不足，问答会拒答并给出咨询渠道。"
    rows = "".join(
        f'<details class="citation" open><summary>{i}. {escape(r.title or r.doc_title or "未命名文件")}'
        f' <span class="score">相关度 {r.score:.4f}</span></summary>'
        + (f'<div class="cite-path">{escape(r.section)}</div>' if r.section else "")
        + f'<div class="cite-text">{escape(r.text)}</div></details>'
        for i, r in enumerate(response.results, start=1)
    )
    return f'<p class="verdict">检索到 {len(response.results)} 个片段。{verdict}</p>{rows}'


def outcomes_html(outcomes: list[tuple[str, FileOutcome]]) -> str:
    """One row per uploaded file: (display name, outcome)."""
    rows = "".join(
        f'<tr class="{o.status}"><td>{escape(name)}</td><td>{STATUS_NAMES[o.status]}</td>'
        f"<td>{escape(o.title or '')}</td><td>{o.chunks or ''}</td><td>{escape(_failure(o))}</td></tr>"
        for name, o in outcomes
    )
    return (
        '<table class="outcomes"><thead><tr><th>文件</th><th>结果</th><th>标题</th><th>片段数</th><th>说明</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _failure(outcome: FileOutcome) -> str:
    """Why a file failed, in plain words first; the pipeline's own detail names the file and the reason."""
    if outcome.status != "failed":
        return ""
    return f"文件无法读取或其中没有可用的文字（详情：{outcome.error}）" if outcome.error else "文件无法读取"


def document_rows(documents: list[dict[str, Any]]) -> list[list[Any]]:
    """The document list as table rows, in ``DOCUMENT_COLUMNS`` order."""
    return [
        [
            d.get("title") or "",
            d.get("chunks", 0),
            ACCESS_NAMES.get(d.get("access", "public"), d.get("access", "")),
            "入库未完成" if d.get("pending") else d.get("status") or "",
            d.get("issuer") or "",
            d.get("date") or "",
            d.get("doc_number") or "",
            d.get("source") or "",
            (d.get("ingested_at") or "").replace("T", " ")[:19],
            d["doc_id"],
        ]
        for d in documents
    ]


def document_choice(document: dict[str, Any]) -> tuple[str, str]:
    """(label, doc_id) of a document in a picker: the title and enough of the id to tell copies apart."""
    name = document.get("title") or document.get("source") or "未命名"
    return f"{name}（{document['doc_id'][:8]}）", document["doc_id"]
