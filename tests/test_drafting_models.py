"""Drafts of the eight common types written by the bundled 0.5B model, grounded in the seed opinion: each one
streams its body, cites the opinion as its basis, and passes the format checker as text and as .docx.

The index is built once for the module; the model writes short bodies (96 tokens) so the module stays a
few minutes on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from assistant.components import Components
from assistant.config import Settings
from assistant.drafting.check import check_docx
from assistant.drafting.docx_export import export_docx
from assistant.drafting.service import DraftRequest, findings_of
from assistant.models.provision import provision

SMALL = "qwen2.5-coder-0.5b-instruct"
OPINION_BASIS = "《吉林省加快推进人工智能创新发展实施意见（征求意见稿）》"

REQUESTS = {
    "通知": ("报送人工智能应用场景", ["各市州梳理本地区人工智能应用场景", "于7月31日前报送省科技厅"]),
    "请示": ("设立人工智能创新发展专项资金", ["支持智能算力基础设施建设"]),
    "报告": ("人工智能创新发展工作进展情况", ["智能算力建设进展", "应用场景建设成效"]),
    "函": ("商请共同开展人工智能应用场景征集", ["联合发布场景清单"]),
    "意见": ("加快人工智能赋能千行百业", ["夯实算力底座", "推动场景应用"]),
    "批复": ("同意建设人工智能创新应用先导区", ["同意建设先导区", "加强算力保障"]),
    "通报": ("人工智能应用场景建设进展", ["部分地区进展较快"]),
    "纪要": ("人工智能创新发展专题", ["研究智能算力建设", "部署应用场景征集"]),
}
ENGLISH = {
    "通知": "notice",
    "请示": "request",
    "报告": "report",
    "函": "letter",
    "意见": "opinion",
    "批复": "reply",
    "通报": "bulletin",
    "纪要": "minutes",
}
RECIPIENTS = {
    "通知": ["各市（州）科技局", "长白山管委会科技局"],
    "请示": ["吉林省人民政府"],
    "报告": ["吉林省人民政府"],
}


@pytest.fixture(scope="module")
def drafting(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[tuple[Components, str]]:
    """The seed opinion ingested and the small model provisioned, once; yields the components and its doc id."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("drafting"), llm_model=SMALL, draft_max_tokens=96, top_k=2)
    provision(settings, only=[SMALL])
    components = Components(settings)
    summary = components.ingestor.ingest_paths([corpus_dir / "jilin-ai-innovation-opinion-draft.txt"])
    assert summary.count("added") == 1, summary.as_dict()
    doc_id = components.store.list_documents()[0]["doc_id"]
    yield components, doc_id
    components.close()


@pytest.mark.slow
@pytest.mark.parametrize("doc_type", list(REQUESTS), ids=list(ENGLISH.values()))
def test_a_model_draft_of_each_common_type_passes_the_checker(drafting: tuple[Components, str], doc_type: str) -> None:
    components, opinion_id = drafting
    subject, points = REQUESTS[doc_type]
    request = DraftRequest(
        doc_type=doc_type,
        issuer="吉林省科学技术厅",
        subject=subject,
        recipients=[] if doc_type == "纪要" else RECIPIENTS.get(doc_type, ["吉林省工业和信息化厅"]),
        points=points,
        doc_number="吉科发〔2026〕12号",
        date=date(2026, 7, 1),
        attachments=["人工智能应用场景申报表"],
        cc=["吉林省发展和改革委员会"],
        doc_ids=[opinion_id],
    )
    generations = components.llm.generations
    events = list(components.drafter.stream(request))
    kinds = [e.type for e in events]
    assert kinds[0] == "citations" and kinds[-1] == "done" and kinds.count("token") >= 5
    assert components.llm.generations == generations + 1
    draft = events[-1].draft
    assert draft is not None

    assert findings_of(draft) == [], draft.repairs
    assert check_docx(export_docx(draft).data, doc_type) == []
    assert all(c.doc_id == opinion_id for c in draft.citations)
    body = "".join(p.heading + p.text for p in draft.body)
    assert OPINION_BASIS in body
    assert not any("没有写出可用的正文" in r for r in draft.repairs), "the model's own body was kept"
    written = "".join(e.token or "" for e in events if e.type == "token")
    assert any(p.text and p.text[:12] in written for p in draft.body), "the body comes from what the model wrote"
    assert draft.title.endswith(doc_type) and draft.date == (None if doc_type == "纪要" else date(2026, 7, 1))
